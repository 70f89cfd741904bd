"""Which group covers an address (the residents' page, /api/v1/lookup and the CLI), and the street lists."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func

from buurt import caching
from buurt.addresses.services import (
    ONLINE_SOURCES,
    GeocoderUnavailable,
    geocode,
    imported_only,
    near_current_areas,
    streets_by_group,
)
from buurt.areas.occupancy import occupancy_of
from buurt.areas.services import (
    AreaInfo,
    CurrentAreas,
    current_areas,
    current_key,
    default_neighbourhood,
    groups_of,
    place,
)
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, InvalidAddress, format_address, normalize_postcode, parse_house_number
from buurt.geo.geocoding import SOURCE_REGISTER, AddressQuery, GeocodeResult, HouseChoice, HouseChoiceNeeded
from buurt.models import Address
from buurt.residents.errors import OutsideCoverage


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class AreaRef:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer to "which group covers this address" (reused by /api/v1/lookup).

    status: "found" | "outside" | "unknown" | "choose" | "unavailable" | "invalid".
    "choose": the number exists, but not as typed (a flat without its toevoeging, or a letter that
    is not there); `choice` lists every address at it, with street and place, to pick from.
    `lat`/`lon` are the asker's own address: show them to the asker only, never store or log them.
    `source` is where the coordinates came from (register/pdok/nominatim/map, stored with a sign-up);
    what a public answer may say about it is `public_source`.
    """

    status: str
    message_nl: str
    group: GroupRef | None = None
    area: AreaRef | None = None
    lat: float | None = None
    lon: float | None = None
    is_border: bool = False
    distance_m: float | None = None  # to the nearest other area (inside) or nearest area (outside)
    nearest_group: GroupRef | None = None
    source: str | None = None
    has_room: bool | None = None
    waitlist: int = 0
    contact_email: str | None = None
    address: str | None = None  # display form as found
    postcode: str | None = None
    house: HouseNumber | None = None
    choice: HouseChoice | None = None

    @property
    def found(self) -> bool:
        return self.status == "found"

    def as_dict(self) -> dict:
        """Plain JSON-able dict (house number as its display string)."""
        data = asdict(self)
        data["house"] = str(self.house) if self.house else None
        data["choice"] = choice_payload(self.choice) if self.choice else None
        return data


# ---------------------------------------------------------------------------------------------
# A number with several addresses (issue 14, point 2)


def choice_where(choice: HouseChoice) -> str:
    """ "Proefstraat 7, Katwijk": what the resident checks their postcode against."""
    first = f"{choice.street} {choice.number}" if choice.street else str(choice.number)
    return f"{first}, {choice.place}" if choice.place else first


def choice_message(choice: HouseChoice) -> str:
    """The sentence above the choices (in the current locale); one address is a question."""
    if len(choice.houses) == 1:
        return _(
            "Op %(where)s kennen we alleen %(house)s. Is dat uw adres?",
            where=choice_where(choice),
            house=str(choice.houses[0]),
        )
    return _("Op %(where)s zijn meer adressen. Kies het uwe:", where=choice_where(choice))


def addition_text(house: HouseNumber) -> str:
    """What goes in a form's Toevoeging field for this address ("1", "3A", "A", "A-3")."""
    return "-".join(part for part in (house.letter, house.addition) if part)


def candidate(choice: HouseChoice, house: HouseNumber) -> dict:
    """One address to choose, as the API and `flask buurt which` give it (BAG fields, display form)."""
    return {
        "house": str(house),
        "huisnummer": house.number,
        "huisletter": house.letter,
        "toevoeging": house.addition,
        "address": format_address(choice.street, house, choice.postcode, choice.place),
    }


#: Up to this many addresses the page shows a button each; more become one list (a flat of 250).
CHOICE_BUTTONS = 12


@dataclass(frozen=True, slots=True)
class ChoiceView:
    """What a page needs to offer a choice: the street-and-place check and one option per address.

    ``options`` are (display form, Toevoeging-field text): ("7-1", "1"), ("9a", "A"); ``message``
    is the sentence above them, in the page's language.
    """

    where: str
    message: str
    postcode: str | None
    street: str | None
    options: tuple[tuple[str, str], ...]

    @property
    def as_buttons(self) -> bool:
        return len(self.options) <= CHOICE_BUTTONS


def choice_view(choice: HouseChoice) -> ChoiceView:
    return ChoiceView(
        where=choice_where(choice),
        message=choice_message(choice),
        postcode=choice.postcode,
        street=choice.street,
        options=tuple((str(house), addition_text(house)) for house in choice.houses),
    )


def choice_payload(choice: HouseChoice) -> dict:
    """The whole choice as plain data: street, place, postcode and the candidates."""
    return {
        "street": choice.street,
        "place": choice.place,
        "postcode": choice.postcode,
        "candidates": [candidate(choice, house) for house in choice.houses],
    }


def choice_result(choice: HouseChoice, query: AddressQuery) -> LookupResult:
    """The "choose" answer: no point and no group yet, every address at the number."""
    return LookupResult(
        "choose",
        choice_message(choice),
        postcode=choice.postcode or query.postcode,
        house=query.house,
        choice=choice,
    )


PUBLIC_ONLINE = "online"


def public_source(source: str | None) -> str | None:
    """What a public answer says about where it came from: "register" for the imported register,
    "online" for an address an online geocoder answered, now or at an earlier lookup.

    The same for the first lookup of an address and every later one (answered from the cache), so
    no answer tells whether somebody looked this address up before (issue 13, finding 8).
    """
    if source is None:
        return None
    return PUBLIC_ONLINE if source in ONLINE_SOURCES else SOURCE_REGISTER


def display_address(result: GeocodeResult) -> str:
    """The address as we show it, built from its parts when it has them: an online service's own
    wording (PDOK's "weergavenaam") would differ from the cached answer's and tell them apart."""
    if result.street and result.house_number:
        return format_address(result.street, result.house_number, result.postcode, result.place)
    return result.display_name


def _contact_for(area: AreaInfo | None, areas: CurrentAreas) -> str:
    if area is not None:
        email = areas.contacts.get(area.neighbourhood_id)
        if email:
            return email
    return current_app.config["CONTACT_EMAIL"]


def lookup_point(lat: float, lon: float, result: GeocodeResult | None, source: str) -> LookupResult:
    """The answer for a point (geocoded, or picked on the map)."""
    areas = current_areas()
    placement = place(lat, lon, areas=areas)
    common = {
        "lat": lat,
        "lon": lon,
        "source": source,
        "address": display_address(result) if result else None,
        "postcode": result.postcode if result else None,
        "house": result.house_number if result else None,
    }
    if placement.area is None:
        nearest = placement.other
        with force_locale("nl"):
            message = _("Dit adres ligt buiten de gebieden van BuurtWhatsApp Rijnsoever.")
            if nearest is not None and placement.distance_m is not None:
                message += " " + _(
                    "De dichtstbijzijnde groep is %(group)s, op %(distance)d meter.",
                    group=nearest.group_name,
                    distance=round(placement.distance_m),
                )
        return LookupResult(
            "outside",
            message,
            nearest_group=GroupRef(nearest.group_id, nearest.group_name) if nearest else None,
            distance_m=placement.distance_m,
            contact_email=_contact_for(nearest, areas),
            **common,
        )
    area = placement.area
    occupancy = occupancy_of(area.group_id, areas)
    with force_locale("nl"):
        if occupancy.is_full:
            message = _(
                "Uw adres valt onder %(group)s (%(area)s). De groep is vol: u komt op de wachtlijst.",
                group=area.group_name,
                area=area.name,
            )
        else:
            message = _(
                "Uw adres valt onder %(group)s (%(area)s). Er is plek: meld u aan.",
                group=area.group_name,
                area=area.name,
            )
        if placement.is_border:
            message += " " + _("Uw adres ligt dicht bij de grens van een ander gebied; een beheerder kijkt mee.")
    return LookupResult(
        "found",
        message,
        group=GroupRef(area.group_id, area.group_name),
        area=AreaRef(area.key, area.name),
        is_border=placement.is_border,
        distance_m=placement.distance_m,
        nearest_group=GroupRef(placement.other.group_id, placement.other.group_name) if placement.other else None,
        has_room=occupancy.has_room,
        waitlist=occupancy.waitlist,
        contact_email=_contact_for(area, areas),
        **common,
    )


def outside_error(lat: float, lon: float, result: GeocodeResult | None, source: str) -> OutsideCoverage:
    """The refusal for an address outside every area, with what is nearest."""
    return OutsideCoverage(
        _("Dit adres ligt buiten de gebieden van BuurtWhatsApp Rijnsoever."), lookup_point(lat, lon, result, source)
    )


def parse_house(house_number: str | None, addition: str | None = None) -> HouseNumber:
    """House number plus an optional separate addition field ("12" + "a" -> 12a)."""
    text = " ".join(part for part in ((house_number or "").strip(), (addition or "").strip()) if part)
    return parse_house_number(text)


def make_query(
    postcode: str | None = None,
    house_number: str | None = None,
    addition: str | None = None,
    street: str | None = None,
    text: str | None = None,
) -> AddressQuery:
    """An AddressQuery from form fields (postcode or street, plus number and addition) or free text.

    Raises InvalidAddress (Dutch `.message`).
    """
    if text and not (postcode or street or house_number):
        return AddressQuery.from_text(text[:200])
    house = parse_house(house_number, addition)
    if postcode and postcode.strip():
        return AddressQuery.structured(postcode, house)
    if street and street.strip():
        return AddressQuery(street=" ".join(street.split())[:120], house=house, place="Katwijk")
    raise InvalidAddress("Vul de postcode of de straat in, bijvoorbeeld 2221 AB of Voorbeeldlaan.")


def lookup_address(query: AddressQuery | str) -> LookupResult:
    """Which group covers an address; never raises for bad input or an unreachable geocoder."""
    with force_locale("nl"):
        try:
            if isinstance(query, str):
                query = AddressQuery.from_text(query[:200])
        except InvalidAddress as error:
            return LookupResult("invalid", error.message)
        try:
            result = geocode(query)
        except GeocoderUnavailable as error:
            return LookupResult("unavailable", error.message)
        except HouseChoiceNeeded as needed:
            return choice_result(needed.choice, query)
        if result is None:
            return LookupResult(
                "unknown",
                _(
                    "We kennen dit adres niet. Controleer de postcode en het huisnummer, of bekijk "
                    "de stratenlijst per groep."
                ),
                postcode=query.postcode,
                house=query.house,
            )
    return lookup_point(result.lat, result.lon, result, result.source)


STREET_LISTS_KEPT = 4  # one is current; a second while workers move to a new revision


@dataclass(frozen=True, slots=True)
class GroupStreets:
    """A group with the streets of its area ("partly" when the street also runs through another area)."""

    id: int
    slug: str
    name: str
    area_names: tuple[str, ...]
    streets: tuple[tuple[str, bool], ...]


def _street_key() -> tuple:
    """What the street list and the street boxes depend on: the register, the areas, the neighbourhood."""
    return (
        caching.read_revision(db.session, caching.ADDRESSES),
        current_key(),
        current_app.config["NEIGHBOURHOOD_SLUG"],
    )


def street_list() -> list[GroupStreets]:
    """Streets per group of the default neighbourhood, from the address register (public, no numbers).

    Placing every register address costs ~0.5 s for 100,000, so the list is built once per
    (addresses revision, areas key) and kept per process (buurt.caching): an import or an area edit
    in any process shows on the next request.
    """
    key = _street_key()
    cache = caching.process_cache("street_list", STREET_LISTS_KEPT)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, tuple(build_street_list()))
    return list(cached)


def build_street_list() -> list[GroupStreets]:
    """street_list() without the cache."""
    hood = default_neighbourhood()
    if hood is None:
        return []
    per_group = streets_by_group()
    seen: dict[str, int] = {}
    for streets in per_group.values():
        for street, _count in streets:
            seen[street] = seen.get(street, 0) + 1
    areas = current_areas().areas
    return [
        GroupStreets(
            g.id,
            g.slug,
            g.name,
            tuple(a.name for a in areas if a.group_id == g.id),
            tuple((street, seen[street] > 1) for street, _count in per_group.get(g.id, [])),
        )
        for g in groups_of(hood)
    ]


# ---------------------------------------------------------------------------------------------
# Finding one's house on the sign-up map (issue 15, point 8): the street search and the first view


@dataclass(frozen=True, slots=True)
class StreetExtent:
    """A street of the street list and the box around its register addresses (south, west, north, east)."""

    name: str
    south: float
    west: float
    north: float
    east: float

    @property
    def bbox(self) -> str:
        """ "s,w,n,e" for the map's data attribute (static/js/point-picker.js)."""
        return ",".join(f"{v:.6f}" for v in (self.south, self.west, self.north, self.east))


def street_extents() -> tuple[StreetExtent, ...]:
    """Every street of the public street list with its box, by name: the sign-up map's street search.

    Public data only (the imported register, the streets of the list), no internet; kept per process
    like the street list, on the same key.
    """
    key = _street_key()
    cache = caching.process_cache("street_extents", STREET_LISTS_KEPT)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, build_street_extents())
    return cached


def build_street_extents() -> tuple[StreetExtent, ...]:
    """street_extents() without the cache."""
    names = {street for group in street_list() for street, _partly in group.streets}
    if not names:
        return ()
    rows = db.session.execute(
        db.select(
            Address.street, func.min(Address.lat), func.min(Address.lon), func.max(Address.lat), func.max(Address.lon)
        )
        .where(imported_only(), near_current_areas())
        .group_by(Address.street)
    ).all()
    return tuple(
        sorted((StreetExtent(*row) for row in rows if row[0] in names), key=lambda street: street.name.casefold())
    )


def postcode_centre(postcode: str | None) -> tuple[float, float] | None:
    """The middle of a postcode's register addresses, for the sign-up map's first view when the
    number was not found (a postcode is a street or part of one; the page opens there at the public
    zoom, not at a house). None for an unknown or unreadable postcode."""
    try:
        code = normalize_postcode(postcode or "")
    except InvalidAddress:
        return None
    row = db.session.execute(
        db.select(func.avg(Address.lat), func.avg(Address.lon)).where(Address.postcode == code, imported_only())
    ).one()
    return (float(row[0]), float(row[1])) if row[0] is not None else None
