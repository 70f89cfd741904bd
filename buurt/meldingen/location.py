"""Where a melding happened: an address, a street, a postcode or a point on the map, and the streets
a pasted police text mentions.

Geocoding goes through buurt.addresses.services; streets, postcodes and the "does this address
exist" check go to the address register. Raises LocationNotFound with a Dutch way forward.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func

from buurt.addresses.services import GeocoderUnavailable, geocode, near_current_areas
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, InvalidAddress, normalize_postcode, normalize_street, parse_address
from buurt.geo.coords import approx_distance_m, box_around
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.meldingen import texts
from buurt.meldingen.errors import LocationNotFound
from buurt.models import Address

log = logging.getLogger(__name__)

MIN_STREET_KEY = 4  # street keys shorter than this ("dam") are too likely to be ordinary words
NEAREST_STREET_M = 150.0


@dataclass(frozen=True, slots=True)
class Location:
    """A resolved location: the point, a label for beheerders, and the words for the group texts."""

    lat: float
    lon: float
    label: str
    street: str | None  # for the WhatsApp text; never a house number the police did not give
    kind: str  # "adres", "straat", "postcode", "kaart"


def _tokens(text: str) -> list[str]:
    return normalize_street(text).split()


def _contains(haystack: list[str], needle: list[str]) -> list[int]:
    """Start positions of `needle` as a run of whole tokens in `haystack`."""
    n = len(needle)
    return [i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle] if n else []


def text_mentions_house(text: str, street: str, house: HouseNumber) -> bool:
    """Whether the police text itself names this house number right after the street."""
    hay, needle = _tokens(text), _tokens(street)
    number, letter = str(house.number), (house.letter or "").lower()
    for start in _contains(hay, needle):
        after = hay[start + len(needle) : start + len(needle) + 2]
        if after and after[0] == number + letter:
            return True
        if letter and after[:1] == [number] and after[1:2] == [letter]:
            return True
    return False


def _where(street: str, place: str | None) -> str:
    return f"{street}, {place}" if place else street


def street_location(street: str, place: str | None = None) -> Location | None:
    """The centre of a street's register addresses (optionally in one place); None when unknown.

    Raises LocationNotFound when the street exists in several places and no place was given.
    """
    key = normalize_street(street)
    if not key:
        return None
    rows = db.session.execute(
        db.select(Address.street, Address.place, func.avg(Address.lat), func.avg(Address.lon), func.count())
        .where(Address.street_norm == key)
        .group_by(Address.street, Address.place)
        .order_by(func.count().desc(), Address.place)
    ).all()
    if place:
        in_place = [r for r in rows if normalize_street(r[1]) == normalize_street(place)]
        rows = in_place or rows
    places = sorted({r[1] for r in rows})
    if len(places) > 1:
        raise LocationNotFound(
            _(
                "De straat %(street)s bestaat in meer plaatsen (%(places)s). Vul ook de plaats in, "
                "bijvoorbeeld ‘%(street)s, %(place)s’.",
                street=rows[0][0],
                places=", ".join(places),
                place=places[0],
            )
        )
    if not rows:
        return None
    name, where, lat, lon, count = rows[0]
    label = _("%(street)s (midden van de straat, %(count)d adressen)", street=_where(name, where), count=count)
    return Location(float(lat), float(lon), label, _("Omgeving %(where)s", where=_where(name, where)), "straat")


def nearest_street(lat: float, lon: float, max_m: float = NEAREST_STREET_M) -> tuple[str, str] | None:
    """The street and place of the register address nearest to a point, within max_m metres."""
    box = box_around(lat, lon, max_m)
    rows = db.session.execute(
        db.select(Address.street, Address.place, Address.lat, Address.lon).where(
            Address.lat.between(box.min_lat, box.max_lat), Address.lon.between(box.min_lon, box.max_lon)
        )
    ).all()
    best, best_d = None, math.inf
    for street, place, a_lat, a_lon in rows:
        d = approx_distance_m(lat, lon, a_lat, a_lon)
        if d < best_d or (d == best_d and best is not None and (street, place) < best):
            best, best_d = (street, place), d
    return best if best_d <= max_m else None


def point_location(lat: float, lon: float) -> Location:
    """A point clicked on the map, named after the nearest street in the register when there is one."""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise LocationNotFound(_("Dit punt op de kaart klopt niet. Klik opnieuw op de kaart."))
    near = nearest_street(lat, lon)
    coords = f"{lat:.5f}, {lon:.5f}"
    if near is None:
        return Location(lat, lon, _("Punt op de kaart (%(coords)s)", coords=coords), None, "kaart")
    where = _where(*near)
    return Location(
        lat,
        lon,
        _("Punt op de kaart bij %(where)s (%(coords)s)", where=where, coords=coords),
        _("Omgeving %(where)s", where=where),
        "kaart",
    )


def postcode_location(postcode: str) -> Location | None:
    rows = db.session.execute(
        db.select(
            func.avg(Address.lat),
            func.avg(Address.lon),
            func.count(),
            func.min(Address.street),
            func.min(Address.place),
        ).where(Address.postcode == postcode)
    ).one()
    if not rows[2]:
        return None
    lat, lon, count, street, place = rows
    label = _("Postcode %(postcode)s (%(count)d adressen)", postcode=f"{postcode[:4]} {postcode[4:]}", count=count)
    return Location(float(lat), float(lon), label, _("Omgeving %(where)s", where=_where(street, place)), "postcode")


def resolve_location(
    text: str | None, lat: float | None = None, lon: float | None = None, received_text: str = ""
) -> Location:
    """Turn what the beheerder gave into a point: an address, a street, a postcode, or a map point.

    Typed text wins over a map point. Raises LocationNotFound with a Dutch way forward.
    """
    text = " ".join((text or "").split())
    if not text:
        if lat is None or lon is None:
            raise LocationNotFound(_("Vul een adres of straat in, of klik op de kaart."))
        return point_location(lat, lon)
    try:
        parsed = parse_address(text)
    except InvalidAddress as error:
        raise LocationNotFound(error.message) from error
    if parsed.house is not None and (parsed.postcode or parsed.street):
        choice_street = choice_place = None
        try:
            found = geocode(AddressQuery.from_parsed(parsed, text))
        except HouseChoiceNeeded as needed:  # several addresses at the number: the street, like a miss
            found = None
            choice_street, choice_place = needed.choice.street, needed.choice.place
        except GeocoderUnavailable:
            found = None
            log.warning("geocoder unavailable while resolving a melding location")
            if not parsed.street:
                raise LocationNotFound(
                    _("De adreszoeker is nu niet bereikbaar. Vul alleen de straatnaam in, of klik op de kaart.")
                ) from None
        if found is not None:
            street = found.street or parsed.street
            place = found.place or parsed.place
            if street and text_mentions_house(received_text, street, found.house_number or parsed.house):
                shown = _where(f"{street} {found.house_number or parsed.house}", place)
                words = shown
            elif street:
                words = _("Omgeving %(where)s", where=_where(street, place))
            else:
                words = None
            return Location(found.lat, found.lon, found.display_name, words, "adres")
        if parsed.street or choice_street:
            by_street = street_location(parsed.street or choice_street, parsed.place or choice_place)
            if by_street is not None:
                label = _(
                    "%(label)s; huisnummer %(house)s niet gevonden", label=by_street.label, house=str(parsed.house)
                )
                return Location(by_street.lat, by_street.lon, label, by_street.street, "straat")
    elif parsed.street:
        by_street = street_location(parsed.street, parsed.place)
        if by_street is not None:
            return by_street
    elif parsed.postcode:
        by_postcode = postcode_location(normalize_postcode(parsed.postcode))
        if by_postcode is not None:
            return by_postcode
    raise LocationNotFound(
        _(
            "We vinden ‘%(text)s’ niet in het adresregister. Controleer de spelling, vul postcode en huisnummer "
            "in, of klik op de kaart.",
            text=text[:80],
        )
    )


# --- suggestions from the police text ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A location found in the pasted text, to offer as the location (the beheerder decides)."""

    value: str  # what goes into the location field
    label: str  # what the button says


def find_streets_in_text(text: str, streets: Iterable[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """Streets (display name) mentioned in a text, longest match first, with a house number after them.

    `streets` holds (street_norm, display name). Pure: matching is on whole normalised words, so
    "Fictieweg" in "Fictiewegje" does not count, and a longer street ("Oude Fictieweg") wins over a
    shorter one inside it ("Fictieweg").
    """
    hay = _tokens(text)
    taken = [False] * len(hay)
    found: list[tuple[str, str | None, int]] = []
    keyed = sorted({(k, d) for k, d in streets if len(k) >= MIN_STREET_KEY}, key=lambda kd: (-len(kd[0]), kd))
    seen: set[str] = set()
    for key, display in keyed:
        needle = key.split()
        for start in _contains(hay, needle):
            end = start + len(needle)
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * len(needle)
            house = hay[end] if end < len(hay) and re.fullmatch(r"\d{1,5}[a-z]?", hay[end]) else None
            if (key, house) not in seen:
                seen.add(key)
                found.append((display, house, start))
    found.sort(key=lambda f: f[2])  # in reading order
    return [(display, house) for display, house, _start in found]


#: How far outside the groups' areas a street may lie and still be suggested for an alert (metres).
SUGGEST_MARGIN_M = 3000


def suggest_locations(received_text: str, limit: int = 3) -> list[Suggestion]:
    """Streets or addresses from the register that the police text mentions, in reading order."""
    text = texts.clean_text(received_text)
    if not text:
        return []
    # Streets near the groups' areas only: the register may hold a province or the country, and
    # an alert is routed to groups within a few hundred metres of its place.
    nearby = near_current_areas(margin_m=SUGGEST_MARGIN_M)
    rows = db.session.execute(
        db.select(Address.street_norm, Address.street, Address.place).where(nearby).distinct()
    ).all()
    if not rows:
        return []
    places_by_key: dict[str, set[str]] = {}
    display: dict[str, str] = {}
    for key, street, place in rows:
        places_by_key.setdefault(key, set()).add(place)
        display.setdefault(key, street)
    hay = _tokens(text)
    result: list[Suggestion] = []
    for street, house in find_streets_in_text(text, ((k, display[k]) for k in places_by_key)):
        key = normalize_street(street)
        places = sorted(places_by_key[key])
        mentioned = [p for p in places if _contains(hay, _tokens(p))]
        for place in mentioned[:1] or places:
            if house is not None and _address_exists(key, house, place):
                value = f"{street} {house}, {place}" if place else f"{street} {house}"
            else:
                value = _where(street, place)
            if all(s.value != value for s in result):
                result.append(Suggestion(value, value))
        if len(result) >= limit:
            break
    return result[:limit]


def _address_exists(street_norm: str, house: str, place: str) -> bool:
    match = re.fullmatch(r"(\d+)([a-z]?)", house)
    if not match:
        return False
    query = db.select(Address.id).filter_by(street_norm=street_norm, house_number=int(match.group(1)), place=place)
    if match.group(2):
        query = query.where(func.upper(Address.house_letter) == match.group(2).upper())
    return db.session.scalar(query.limit(1)) is not None
