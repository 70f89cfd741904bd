"""Meldingen use cases: where it happened, which groups it goes to, forwarding, closing and history.

The routing itself is pure (buurt.meldingen.routing) and the WhatsApp texts too (buurt.meldingen.texts);
these functions load what they need, own the transaction and raise domain exceptions with Dutch
messages. Police texts are not residents' personal data, but logs still carry ids and counts only.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from buurt import audit
from buurt.addresses.services import GeocoderUnavailable, geocode
from buurt.areas.services import current_areas
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, InvalidAddress, normalize_postcode, normalize_street, parse_address
from buurt.geo.geocoding import AddressQuery
from buurt.mail import mail_enabled, send_mail
from buurt.meldingen import texts
from buurt.meldingen.routing import Routing, route_point
from buurt.models import Address, Group, Melding, MeldingCategory, MeldingResult, MeldingTarget, Role, User, utcnow

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

CATEGORY_LABELS = {
    MeldingCategory.WONINGINBRAAK: _l("Woninginbraak"),
    MeldingCategory.OVERVAL: _l("Overval"),
    MeldingCategory.VERDACHTE_SITUATIE: _l("Verdachte situatie"),
    MeldingCategory.VERMISSING: _l("Vermissing"),
    MeldingCategory.AANRIJDING: _l("Aanrijding met vluchtmisdrijf"),
    MeldingCategory.OTHER: _l("Anders"),
}
#: In the WhatsApp texts: always Dutch, whatever language the beheerder's page is in.
CATEGORY_TEXT = {
    MeldingCategory.WONINGINBRAAK: "Woninginbraak",
    MeldingCategory.OVERVAL: "Overval",
    MeldingCategory.VERDACHTE_SITUATIE: "Verdachte situatie",
    MeldingCategory.VERMISSING: "Vermissing",
    MeldingCategory.AANRIJDING: "Aanrijding met vluchtmisdrijf",
    MeldingCategory.OTHER: "Melding van de politie",
}
RESULT_LABELS = {
    MeldingResult.FOUND: _l("Gevonden"),
    MeldingResult.NOT_FOUND: _l("Niet gevonden"),
    MeldingResult.CANCELLED: _l("Ingetrokken"),
}

MIN_STREET_KEY = 4  # street keys shorter than this ("dam") are too likely to be ordinary words
NEAREST_STREET_M = 150.0


class MeldingError(Exception):
    """A melding action that cannot be done; `message` is Dutch and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LocationNotFound(MeldingError):
    """The location could not be turned into a point."""


class MeldingClosed(MeldingError):
    """The melding is already closed."""


class MeldingStillOpen(MeldingError):
    """Closing texts only exist once a melding is closed."""


# --- routing ------------------------------------------------------------------------------------


def group_order() -> dict[int, tuple[int, int]]:
    """Active groups -> their tie-break key (neighbourhood, display order)."""
    rows = db.session.execute(
        db.select(Group.id, Group.neighbourhood_id, Group.sort_order).filter_by(is_active=True)
    ).all()
    return {gid: (hood, order) for gid, hood, order in rows}


def route(lat: float, lon: float, radius_m: float | None = None) -> Routing:
    """The target groups and neighbours for a point, over the current areas of every neighbourhood."""
    cfg = current_app.config
    radius = float(cfg["MELDING_DEFAULT_RADIUS_M"] if radius_m is None else radius_m)
    margin = float(cfg.get("MELDING_NEIGHBOUR_MARGIN_M", 500))
    return route_point(
        current_areas(), lat, lon, radius, neighbour_range_m=radius + max(radius, margin), group_order=group_order()
    )


def format_distance(distance_m: float) -> str:
    """'0 m', '240 m', '1,3 km'."""
    if distance_m < 1000:
        return f"{round(distance_m):d} m"
    return f"{distance_m / 1000:.1f} km".replace(".", ",")


def no_target_message(routing: Routing) -> str | None:
    """Dutch sentence when no group lies within the radius, naming the nearest group; else None."""
    if routing.targets:
        return None
    radius = format_distance(routing.radius_m)
    if routing.nearest is None:
        return _("Geen groep binnen %(radius)s; er zijn nog geen gebieden ingesteld.", radius=radius)
    return _(
        "Geen groep binnen %(radius)s; dichtstbijzijnde: %(group)s (%(distance)s).",
        radius=radius,
        group=routing.nearest.group_name,
        distance=format_distance(routing.nearest.distance_m),
    )


def melding_no_target_message(melding: Melding) -> str | None:
    """The no-target sentence for a stored melding (nearest group from the current areas)."""
    if any(not t.is_neighbour for t in melding.targets):
        return None
    return no_target_message(route(melding.lat, melding.lon, melding.radius_m))


# --- location -----------------------------------------------------------------------------------


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
    dlat = max_m / 111_320.0
    dlon = max_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = db.session.execute(
        db.select(Address.street, Address.place, Address.lat, Address.lon).where(
            Address.lat.between(lat - dlat, lat + dlat), Address.lon.between(lon - dlon, lon + dlon)
        )
    ).all()
    best, best_d = None, math.inf
    for street, place, a_lat, a_lon in rows:
        d = math.hypot((a_lat - lat) * 111_320.0, (a_lon - lon) * 111_320.0 * math.cos(math.radians(lat)))
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
        try:
            found = geocode(AddressQuery.from_parsed(parsed, text))
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
        if parsed.street:
            by_street = street_location(parsed.street, parsed.place)
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


def suggest_locations(received_text: str, limit: int = 3) -> list[Suggestion]:
    """Streets or addresses from the register that the police text mentions, in reading order."""
    text = texts.clean_text(received_text)
    if not text:
        return []
    rows = db.session.execute(db.select(Address.street_norm, Address.street, Address.place).distinct()).all()
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


# --- creating, forwarding, closing ---------------------------------------------------------------


def local_to_utc(moment: datetime) -> datetime:
    """A naive local (Europe/Amsterdam) time as typed in the form -> aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(ZoneInfo("UTC"))


def local_now() -> datetime:
    """Now in Amsterdam, naive and to the minute: the form's default."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, second=0, microsecond=0)


def create_melding(
    *,
    user: User | None,
    received_text: str,
    category: MeldingCategory | str,
    occurred_at: datetime,
    location: Location,
    radius_m: int,
) -> Melding:
    """Store a melding with its routing (targets and neighbours), log it, and mail the beheerders."""
    routing = route(location.lat, location.lon, radius_m)
    cleaned = texts.clean_text(received_text)[: texts.MAX_TEXT_LENGTH]
    if not cleaned:
        raise MeldingError(_("Plak de tekst van de melding."))
    melding = Melding(
        received_text=cleaned,
        category=MeldingCategory(category),
        occurred_at=local_to_utc(occurred_at),
        lat=location.lat,
        lon=location.lon,
        location_label=location.label[:200],
        location_street=(location.street or "")[:200] or None,
        location_kind=location.kind,
        radius_m=int(radius_m),
        created_by_id=user.id if user is not None else None,
    )
    for routed, is_neighbour in [(g, False) for g in routing.targets] + [(g, True) for g in routing.neighbours]:
        melding.targets.append(
            MeldingTarget(group_id=routed.group_id, distance_m=round(routed.distance_m, 1), is_neighbour=is_neighbour)
        )
    db.session.add(melding)
    db.session.flush()
    audit.record(
        "melding.create",
        "melding",
        melding.id,
        targets=len(routing.targets),
        neighbours=len(routing.neighbours),
        category=melding.category.value,
    )
    db.session.commit()
    log.info("melding %s created: %d target group(s)", melding.id, len(routing.targets))
    notify_beheerders(melding)
    return melding


def get_target(melding: Melding, group_id: int) -> MeldingTarget | None:
    return next((t for t in melding.targets if t.group_id == group_id), None)


def mark_forwarded(melding: Melding, target: MeldingTarget, user: User) -> bool:
    """Mark that the text went into the group; False when someone already did (nothing changes)."""
    if not melding.is_open:
        raise MeldingClosed(_("Deze melding is al afgemeld. Stuur de afmelding door in plaats van de melding."))
    if target.forwarded_at is not None:
        return False
    target.forwarded_at = utcnow()
    target.forwarded_by_id = user.id
    audit.record("melding.forward", "melding", melding.id, group_id=target.group_id, neighbour=target.is_neighbour)
    db.session.commit()
    return True


def close_melding(melding: Melding, user: User, result: MeldingResult | str, note: str | None) -> None:
    """Close (afmelden) with a result and an optional note; the closing texts follow from it."""
    if not melding.is_open:
        raise MeldingClosed(_("Deze melding is al afgemeld."))
    melding.closed_at = utcnow()
    melding.closed_by_id = user.id
    melding.result = MeldingResult(result)
    melding.result_note = texts.clean_text(note)[:1000] or None
    audit.record("melding.close", "melding", melding.id, result=melding.result.value)
    db.session.commit()
    notify_beheerders(melding, closing=True)


def mark_close_forwarded(melding: Melding, target: MeldingTarget, user: User) -> bool:
    """Mark that the closing text went into the group; False when someone already did."""
    if melding.is_open:
        raise MeldingStillOpen(_("Meld de melding eerst af; daarna kunt u de afmelding doorsturen."))
    if target.close_forwarded_at is not None:
        return False
    target.close_forwarded_at = utcnow()
    target.close_forwarded_by_id = user.id
    audit.record("melding.close_forward", "melding", melding.id, group_id=target.group_id)
    db.session.commit()
    return True


# --- texts per group ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupText:
    """A ready-to-paste WhatsApp text for one group, with that group's forward state."""

    target: MeldingTarget
    text: str

    @property
    def group_id(self) -> int:
        return self.target.group_id


def reached_targets(melding: Melding) -> list[MeldingTarget]:
    """The groups the melding is for: targets, plus neighbours it was forwarded to after all."""
    return [t for t in melding.targets if not t.is_neighbour or t.forwarded_at is not None]


def forward_texts(melding: Melding) -> list[GroupText]:
    """One text per target and neighbour group (neighbours last)."""
    return [GroupText(t, forward_text_for(melding, t)) for t in melding.targets]


def forward_text_for(melding: Melding, target: MeldingTarget) -> str:
    return texts.forward_text(
        category_label=CATEGORY_TEXT[melding.category],
        occurred_at=melding.occurred_at,
        location=melding.location_street,
        received_text=melding.received_text,
        lat=melding.lat,
        lon=melding.lon,
        distance_m=target.distance_m,
    )


def closing_texts(melding: Melding) -> list[GroupText]:
    """One closing text per group the melding was for; empty while it is open."""
    if melding.is_open or melding.result is None:
        return []
    return [GroupText(t, closing_text_for(melding)) for t in reached_targets(melding)]


def closing_text_for(melding: Melding) -> str:
    return texts.closing_text(
        category_label=CATEGORY_TEXT[melding.category],
        occurred_at=melding.occurred_at,
        location=melding.location_street,
        result=melding.result.value if melding.result else "",
        note=melding.result_note,
    )


def waiting_groups(melding: Melding) -> list[MeldingTarget]:
    """Target groups whose beheerders have not marked the melding as forwarded yet."""
    return [t for t in melding.targets if not t.is_neighbour and t.forwarded_at is None]


# --- mail ---------------------------------------------------------------------------------------


def _melding_url(melding: Melding) -> str:
    path = current_app.url_map.bind("localhost").build("meldingen.detail", {"melding_id": melding.id})
    return current_app.config["SITE_URL"].rstrip("/") + path


def notify_beheerders(melding: Melding, *, closing: bool = False) -> int:
    """Mail each target group's beheerders the text for their group; returns the number of mails sent."""
    if not mail_enabled():
        return 0
    sent = 0
    category = CATEGORY_TEXT[melding.category]
    for target in reached_targets(melding):
        recipients = sorted({u.email for u in target.group.beheerders if u.active})
        if not recipients:
            continue
        if closing:
            subject = f"Afmelding politiebericht voor {target.group.name}: {category}"
            text = closing_text_for(melding)
            intro = "De melding is afgemeld. Plak deze afmelding in de groep:"
        else:
            subject = f"Politiebericht voor {target.group.name}: {category}"
            text = forward_text_for(melding, target)
            intro = "Er is een politiebericht voor uw groep. Plak deze tekst in de groep:"
        body = (
            f"{intro}\n\n{text}\n\n"
            f"Markeer daarna op de site dat u het heeft doorgestuurd:\n{_melding_url(melding)}\n\n"
            "U krijgt deze e-mail als beheerder van de groep."
        )
        if send_mail(recipients, subject, body):
            sent += 1
    log.info("melding %s: %d group mail(s) sent%s", melding.id, sent, " (closing)" if closing else "")
    return sent


# --- history ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One step in a melding's life, for the timeline."""

    at: datetime
    kind: str  # created, forward, close, close_forward
    text: str
    who: str | None


def timeline(melding: Melding) -> list[TimelineEvent]:
    """Created, each forward, the close and each forward of the closing text, in time order."""

    def name(user: User | None) -> str | None:
        return user.name if user is not None else None

    events = [TimelineEvent(melding.created_at, "created", _("Melding ingevoerd"), name(melding.created_by))]
    for t in melding.targets:
        if t.forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.forwarded_at,
                    "forward",
                    _("Doorgestuurd naar %(group)s", group=t.group.name),
                    name(t.forwarded_by),
                )
            )
    if melding.closed_at is not None:
        label = RESULT_LABELS.get(melding.result, "") if melding.result else ""
        events.append(
            TimelineEvent(melding.closed_at, "close", _("Afgemeld: %(result)s", result=label), name(melding.closed_by))
        )
    for t in melding.targets:
        if t.close_forwarded_at is not None:
            events.append(
                TimelineEvent(
                    t.close_forwarded_at,
                    "close_forward",
                    _("Afmelding doorgestuurd naar %(group)s", group=t.group.name),
                    name(t.close_forwarded_by),
                )
            )
    order = {"created": 0, "forward": 1, "close": 2, "close_forward": 3}
    return sorted(events, key=lambda e: (e.at, order[e.kind]))


@dataclass(frozen=True, slots=True)
class MeldingFilter:
    """What the list shows; None means no filter."""

    since: date | None = None  # local dates, inclusive
    until: date | None = None
    category: MeldingCategory | None = None
    group_id: int | None = None
    status: str | None = None  # "open", "closed"


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def visible_meldingen_query(user: User, filters: MeldingFilter):
    """A select of the meldingen this user may see, filtered, newest first."""
    query = db.select(Melding)
    if user.role == Role.BEHEERDER:
        mine = [g.id for g in user.groups]
        reached = db.select(MeldingTarget.melding_id).where(
            MeldingTarget.group_id.in_(mine),
            or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
        )
        query = query.where(or_(Melding.id.in_(reached), Melding.created_by_id == user.id))
    if filters.since is not None:
        query = query.where(Melding.occurred_at >= _local_day_start(filters.since))
    if filters.until is not None:
        query = query.where(Melding.occurred_at < _local_day_start(filters.until + timedelta(days=1)))
    if filters.category is not None:
        query = query.where(Melding.category == filters.category)
    if filters.group_id is not None:
        query = query.where(
            Melding.id.in_(
                db.select(MeldingTarget.melding_id).where(
                    MeldingTarget.group_id == filters.group_id,
                    or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
                )
            )
        )
    if filters.status == "open":
        query = query.where(Melding.closed_at.is_(None))
    elif filters.status == "closed":
        query = query.where(Melding.closed_at.is_not(None))
    return query.order_by(Melding.occurred_at.desc(), Melding.id.desc())


def list_meldingen(user: User, filters: MeldingFilter, page: int = 1, per_page: int = 25):
    """One page of the meldingen this user may see (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(visible_meldingen_query(user, filters), page=page, per_page=per_page, error_out=False)


def filter_groups(user: User) -> list[Group]:
    """Groups offered in the list's group filter: all for coordinators and wijkagenten, else their own."""
    groups = list(db.session.scalars(db.select(Group).order_by(Group.neighbourhood_id, Group.sort_order)))
    if user.role == Role.BEHEERDER:
        mine = {g.id for g in user.groups}
        return [g for g in groups if g.id in mine]
    return groups


def meldingen_for_map(since: datetime, until: datetime, group_ids: Iterable[int] | None = None) -> list[dict]:
    """Meldingen as plain points for the wijkagent's incident map: lat, lon, category, occurred_at, id.

    `since`/`until` are aware datetimes (until exclusive); with `group_ids`, only meldingen that went to
    one of those groups (targets, or neighbours it was forwarded to). Ordered by time.
    """
    query = db.select(Melding).where(Melding.occurred_at >= since, Melding.occurred_at < until)
    if group_ids is not None:
        ids = list(group_ids)
        query = query.where(
            Melding.id.in_(
                db.select(MeldingTarget.melding_id).where(
                    MeldingTarget.group_id.in_(ids),
                    or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
                )
            )
        )
    return [
        {"lat": m.lat, "lon": m.lon, "category": m.category.value, "occurred_at": m.occurred_at, "id": m.id}
        for m in db.session.scalars(query.order_by(Melding.occurred_at, Melding.id))
    ]


# --- map ----------------------------------------------------------------------------------------


def melding_map_document(melding: Melding) -> str:
    """The result map for a melding (point, radius circle, target areas, neighbours dashed) as HTML."""
    from buurt.geo.folium_assets import render_map_document
    from buurt.meldingen.maps import MapGroup, routing_map

    areas = current_areas()
    shapes = []
    for t in melding.targets:
        geometries = tuple(a.geometry for a in areas.areas if a.group_id == t.group_id)
        shapes.append(MapGroup(t.group.name, geometries, t.distance_m, t.is_neighbour, format_distance(t.distance_m)))
    legend = {
        "target": _("Doelgroep (binnen de straal)"),
        "neighbour": _("Buurgroep (overwegen)"),
        "radius": _("Straal %(radius)s", radius=format_distance(melding.radius_m)),
        "point": _("Locatie van de melding"),
        "inside": _("in het gebied"),
        "distance": _("afstand"),
    }
    return render_map_document(routing_map(melding.lat, melding.lon, melding.radius_m, shapes, legend))
