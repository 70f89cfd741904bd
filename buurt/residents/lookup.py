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
    Placement,
    current_areas,
    current_key,
    groups_of,
    in_gemeente,
    place,
)
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, InvalidAddress, format_address, normalize_postcode, parse_house_number
from buurt.geo.geocoding import SOURCE_REGISTER, AddressQuery, GeocodeResult, HouseChoice, HouseChoiceNeeded
from buurt.models import Address, Neighbourhood
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
class NeighbourhoodRef:
    """The neighbourhood of a group, as an answer names it (public: the site shows all of this)."""

    id: int
    slug: str
    name: str
    routing_only: bool = False
    signup_url: str | None = None  # its own sign-up elsewhere (routing-only neighbourhoods)
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer to "which group covers this address" (reused by /api/v1/lookup).

    status: "found" | "outside" | "unknown" | "choose" | "unavailable" | "invalid".
    "found" with ``is_nearest``: the address lies in the gemeente but in no area (between
    neighbourhoods); ``group``/``area`` are the nearest ones, within NEAREST_GROUP_MAX_M, and
    ``distance_m`` is the distance to them. ``neighbourhood`` is the group's neighbourhood;
    ``nearest_neighbourhood`` that of ``nearest_group`` (the other side of a border, or what is
    nearest outside). ``signs_up_elsewhere``: the group's neighbourhood is a routing target only,
    its residents sign up at its own ``signup_url``, not with our form.
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
    neighbourhood: NeighbourhoodRef | None = None
    nearest_neighbourhood: NeighbourhoodRef | None = None
    is_nearest: bool = False

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def signs_up_elsewhere(self) -> bool:
        """Found in a routing-only neighbourhood: its own sign-up, not our form."""
        return self.found and self.neighbourhood is not None and self.neighbourhood.routing_only

    @property
    def other_neighbourhood(self) -> NeighbourhoodRef | None:
        """The neighbourhood across the border when it is not the address's own (border answers)."""
        if not self.is_border or self.nearest_neighbourhood is None or self.neighbourhood is None:
            return None
        return self.nearest_neighbourhood if self.nearest_neighbourhood.id != self.neighbourhood.id else None

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


NEIGHBOURHOODS_KEPT = 4  # one is current; a second while workers move to a new revision


def neighbourhood_refs() -> dict[int, NeighbourhoodRef]:
    """Every neighbourhood by id, as answers name it; kept per process on the areas' key (a
    neighbourhood changed anywhere moves the areas revision, buurt.caching)."""
    key = current_key()
    cache = caching.process_cache("neighbourhood_refs", NEIGHBOURHOODS_KEPT)
    cached = cache.get(key)
    if cached is None:
        t = Neighbourhood.__table__
        rows = db.session.execute(
            db.select(t.c.id, t.c.slug, t.c.name, t.c.routing_only, t.c.signup_url, t.c.contact_email)
        ).all()
        refs = {row[0]: NeighbourhoodRef(row[0], row[1], row[2], bool(row[3]), row[4], row[5]) for row in rows}
        cached = cache.put(key, refs)
    return cached


def neighbourhood_ref(neighbourhood_id: int | None) -> NeighbourhoodRef | None:
    return neighbourhood_refs().get(neighbourhood_id) if neighbourhood_id is not None else None


def nearest_group_area(lat: float, lon: float, placement: Placement) -> AreaInfo | None:
    """For an address in no area: the nearest area when the address lies in the gemeente and the
    area within NEAREST_GROUP_MAX_M (between neighbourhoods: its group may take the address); else None."""
    if placement.area is not None or placement.other is None or placement.distance_m is None:
        return None
    if placement.distance_m > float(current_app.config["NEAREST_GROUP_MAX_M"]):
        return None
    return placement.other if in_gemeente(lat, lon) else None


def outside_message(nearest: AreaInfo | None, distance_m: float | None) -> str:
    """ "Dit adres ligt buiten de gebieden van de buurtgroepen in Katwijk." (+ the nearest group)."""
    message = _(
        "Dit adres ligt buiten de gebieden van de buurtgroepen in %(gemeente)s.",
        gemeente=current_app.config["GEMEENTE_NAME"],
    )
    if nearest is not None and distance_m is not None:
        hood = neighbourhood_ref(nearest.neighbourhood_id)
        message += " " + _(
            "De dichtstbijzijnde groep is %(group)s (%(hood)s), op %(distance)d meter.",
            group=nearest.group_name,
            hood=hood.name if hood else "",
            distance=round(distance_m),
        )
    return message


def lookup_point(lat: float, lon: float, result: GeocodeResult | None, source: str) -> LookupResult:
    """The answer for a point (geocoded, or picked on the map), over every neighbourhood's areas."""
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
    nearest_area = nearest_group_area(lat, lon, placement)
    if placement.area is None and nearest_area is None:
        nearest = placement.other
        with force_locale("nl"):
            message = outside_message(nearest, placement.distance_m)
        return LookupResult(
            "outside",
            message,
            nearest_group=GroupRef(nearest.group_id, nearest.group_name) if nearest else None,
            nearest_neighbourhood=neighbourhood_ref(nearest.neighbourhood_id) if nearest else None,
            distance_m=placement.distance_m,
            contact_email=_contact_for(nearest, areas),
            **common,
        )
    area = placement.area or nearest_area
    hood = neighbourhood_ref(area.neighbourhood_id)
    hood_name = hood.name if hood else ""
    occupancy = occupancy_of(area.group_id, areas)
    other = placement.other if placement.area is not None else None
    other_hood = neighbourhood_ref(other.neighbourhood_id) if other else None
    with force_locale("nl"):
        if nearest_area is not None:
            message = _(
                "Uw adres valt tussen twee buurten; de dichtstbijzijnde groep is %(group)s (%(hood)s), "
                "op %(distance)d m.",
                group=area.group_name,
                hood=hood_name,
                distance=round(placement.distance_m or 0),
            )
        else:
            message = _(
                "Uw adres valt in %(hood)s: %(group)s (%(area)s).",
                hood=hood_name,
                group=area.group_name,
                area=area.name,
            )
        if hood is not None and hood.routing_only:
            message += " " + _("Aanmelden gaat via de eigen aanmelding van %(hood)s.", hood=hood_name)
        elif occupancy.is_full:
            message += " " + _("De groep is vol: u komt op de wachtlijst.")
        else:
            message += " " + _("Er is plek: meld u aan.")
        if placement.is_border and other is not None:
            if other_hood is not None and hood is not None and other_hood.id != hood.id:
                message += " " + _(
                    "Uw adres ligt dicht bij de grens tussen %(hood)s en %(other)s; een beheerder kijkt mee.",
                    hood=hood_name,
                    other=other_hood.name,
                )
            else:
                message += " " + _("Uw adres ligt dicht bij de grens van een ander gebied; een beheerder kijkt mee.")
    return LookupResult(
        "found",
        message,
        group=GroupRef(area.group_id, area.group_name),
        area=AreaRef(area.key, area.name),
        is_border=placement.is_border,
        distance_m=placement.distance_m,
        nearest_group=GroupRef(other.group_id, other.group_name) if other else None,
        has_room=occupancy.has_room,
        waitlist=occupancy.waitlist,
        contact_email=_contact_for(area, areas),
        neighbourhood=hood,
        nearest_neighbourhood=other_hood,
        is_nearest=nearest_area is not None,
        **common,
    )


def outside_error(lat: float, lon: float, result: GeocodeResult | None, source: str) -> OutsideCoverage:
    """The refusal for an address outside every area (and not near enough to one), with what is nearest."""
    answer = lookup_point(lat, lon, result, source)
    return OutsideCoverage(outside_message(None, None), answer)


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


#: Lists kept per process: one per neighbourhood (42 in the gemeente), twice while workers move to a new revision
STREET_LISTS_KEPT = 96


@dataclass(frozen=True, slots=True)
class GroupStreets:
    """A group with the streets of its area ("partly" when the street also runs through another area)."""

    id: int
    slug: str
    name: str
    area_names: tuple[str, ...]
    streets: tuple[tuple[str, bool], ...]


def _street_key() -> tuple:
    """What the street lists and the street boxes depend on: the register and the areas (all neighbourhoods)."""
    return (caching.read_revision(db.session, caching.ADDRESSES), current_key())


def _page_neighbourhood(hood: Neighbourhood | None) -> Neighbourhood | None:
    if hood is not None:
        return hood
    from buurt.neighbourhoods import current_neighbourhood

    return current_neighbourhood()


def _streets_per_group() -> dict[int, list[tuple[str, int]]]:
    """streets_by_group() for every neighbourhood at once, kept per process on the street key: the
    register is placed once, whichever neighbourhood's list is asked first."""
    key = _street_key()
    cache = caching.process_cache("streets_per_group", 2)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, streets_by_group())
    return cached


def street_list(hood: Neighbourhood | None = None) -> list[GroupStreets]:
    """Streets per group of a neighbourhood (default: the page's), from the address register
    (public, no numbers).

    Placing every register address costs ~0.5 s for 100,000, so the placing is done once per
    (addresses revision, areas key) for all neighbourhoods and each list kept per process
    (buurt.caching): an import or an area edit in any process shows on the next request.
    """
    hood = _page_neighbourhood(hood)
    if hood is None:
        return []
    key = (*_street_key(), hood.id)
    cache = caching.process_cache("street_list", STREET_LISTS_KEPT)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, tuple(build_street_list(hood)))
    return list(cached)


def build_street_list(hood: Neighbourhood | None = None) -> list[GroupStreets]:
    """street_list() without its own cache. A street in areas of several groups (in any
    neighbourhood) is "partly" in each."""
    hood = _page_neighbourhood(hood)
    if hood is None:
        return []
    per_group = _streets_per_group()
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


def street_extents(hood: Neighbourhood | None = None) -> tuple[StreetExtent, ...]:
    """Every street of a neighbourhood's public street list (default: the page's) with its box, by
    name: the sign-up map's street search.

    Public data only (the imported register, the streets of the list), no internet; kept per process
    like the street list, on the same key. The box is made of the register addresses near that
    neighbourhood's areas only (a Kerkstraat elsewhere in the gemeente does not stretch it).
    """
    hood = _page_neighbourhood(hood)
    if hood is None:
        return ()
    key = (*_street_key(), hood.id)
    cache = caching.process_cache("street_extents", STREET_LISTS_KEPT)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, build_street_extents(hood))
    return cached


def build_street_extents(hood: Neighbourhood | None = None) -> tuple[StreetExtent, ...]:
    """street_extents() without the cache."""
    hood = _page_neighbourhood(hood)
    if hood is None:
        return ()
    names = {street for group in street_list(hood) for street, _partly in group.streets}
    if not names:
        return ()
    rows = db.session.execute(
        db.select(
            Address.street, func.min(Address.lat), func.min(Address.lon), func.max(Address.lat), func.max(Address.lon)
        )
        .where(imported_only(), near_current_areas(neighbourhood_id=hood.id))
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


def neighbourhood_centre(hood: Neighbourhood | None = None) -> tuple[float, float] | None:
    """(lat, lon) of a neighbourhood's outline (default: the page's): where the sign-up map opens
    when there is no postcode to start from. None without an outline."""
    hood = _page_neighbourhood(hood)
    if hood is None or not hood.outline:
        return None
    from shapely.geometry import shape

    point = shape(hood.outline).representative_point()
    return (point.y, point.x)
