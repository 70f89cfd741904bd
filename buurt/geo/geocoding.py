"""Address -> coordinates: the one small interface every geocoder implements.

* :class:`AddressQuery` (what to look up) and :class:`GeocodeResult` (what was found: ``lat``,
  ``lon``, ``display_name``, ``source``).
* :class:`Geocoder` protocol: ``name``, ``online`` and ``geocode(query) -> GeocodeResult | None``.
  ``None`` means "not found"; an online service that cannot answer raises
  :class:`GeocoderUnavailable` (Dutch message) instead.
* :class:`AddressRegister` protocol: the offline register the first geocoder asks.

The geocoders themselves:

* ``buurt.geo.register``: :class:`~buurt.geo.register.RegisterGeocoder` over an
  :class:`AddressRegister` (the database register lives in ``buurt.addresses``;
  :class:`~buurt.geo.register.MemoryRegister` is the in-memory one);
* ``buurt.geo.pdok`` and ``buurt.geo.nominatim``: the online fallbacks over geopy (shared
  plumbing, rate limiting and privacy in ``buurt.geo.online``);
* ``buurt.geo.chain``: :class:`~buurt.geo.chain.GeocoderChain` tries them in order and
  ``build_chain`` makes one from config names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from buurt.exceptions import UserError
from buurt.geo.addresses import (
    HouseNumber,
    InvalidAddress,
    ParsedAddress,
    format_address,
    house_order,
    normalize_postcode,
    parse_address,
    parse_house_number,
)

__all__ = [
    "ONLINE_SOURCES",
    "SOURCE_NOMINATIM",
    "SOURCE_PDOK",
    "SOURCE_REGISTER",
    "AddressQuery",
    "AddressRegister",
    "GeocodeResult",
    "Geocoder",
    "GeocoderUnavailable",
    "HouseChoice",
    "HouseChoiceNeeded",
]

SOURCE_REGISTER = "register"
SOURCE_PDOK = "pdok"
SOURCE_NOMINATIM = "nominatim"
#: Sources of answers from online services (kept in the database register as a cache of the
#: addresses somebody looked up); every other source is imported register data.
ONLINE_SOURCES = (SOURCE_PDOK, SOURCE_NOMINATIM)

UNAVAILABLE_MESSAGE = (
    "De adreszoeker is nu niet bereikbaar. Probeer het over een paar minuten opnieuw; "
    "lukt het dan nog niet, neem contact op met de beheerder."
)


class GeocoderUnavailable(UserError):
    """An online geocoder could not answer (network, timeout, HTTP 5xx, rate limit).

    ``message`` is Dutch and safe to show; ``detail`` names the cause for logs (no address).
    """

    def __init__(self, message: str = UNAVAILABLE_MESSAGE, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """A found address: WGS84 ``lat``/``lon``, display text and where it came from."""

    lat: float
    lon: float
    display_name: str
    source: str
    postcode: str | None = None
    house_number: HouseNumber | None = None
    street: str | None = None
    place: str | None = None


@dataclass(frozen=True, slots=True)
class HouseChoice:
    """The house number exists, but not as asked: every address at it, for the resident to pick.

    "2221 CM 7" where only 7-1 and 7-2 exist, or "7-3" where 7-3 does not. ``houses`` are sorted
    (``buurt.geo.addresses.house_order``: 20-2 before 20-10) and complete for the source that
    answered (``source``) unless ``complete`` says otherwise.
    ``street`` and ``place`` let the resident check they typed the right postcode.
    """

    postcode: str | None
    number: int
    street: str | None
    place: str | None
    houses: tuple[HouseNumber, ...]
    source: str
    #: False when the source had more addresses at the number than it could list (a paged online
    #: answer cut at PDOK_MAX_HOUSES): the resident's own may be missing, so say how to go on.
    complete: bool = True

    def __post_init__(self) -> None:
        # One order for people wherever a choice comes from (20-2 before 20-10).
        object.__setattr__(self, "houses", tuple(sorted(self.houses, key=house_order)))


#: How many houses a choice message names before "en N andere".
CHOICE_NAMED = 12


class HouseChoiceNeeded(UserError):
    """Raised by a geocoder (and the chain) when the number exists only with other letters or
    additions: not "unknown", but "which one?". ``choice`` lists them; ``message`` is Dutch."""

    def __init__(self, choice: HouseChoice) -> None:
        named = ", ".join(str(house) for house in choice.houses[:CHOICE_NAMED])
        more = len(choice.houses) - CHOICE_NAMED
        if more > 0:
            named += f" en {more} andere"
        where = ", ".join(part for part in (choice.street, choice.place) if part)
        where = f" ({where})" if where else ""
        tail = "" if choice.complete else " Staat het uwe er niet bij, typ dan het huisnummer met toevoeging."
        super().__init__(f"Op huisnummer {choice.number}{where} zijn meer adressen: {named}. Kies het uwe.{tail}")
        self.choice = choice


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """What to look up: structured (postcode + house) and/or street + house, or free text.

    Build with :meth:`structured`, :meth:`from_parsed` or :meth:`from_text`.
    """

    postcode: str | None = None
    house: HouseNumber | None = None
    street: str | None = None
    place: str | None = None
    text: str | None = None
    #: Other ways the typed text can be read (``ParsedAddress.readings``): "Proefstraat 12 3" is
    #: street "Proefstraat 12" number 3, or "Proefstraat" 12-3. Street lookups try them in turn.
    other_readings: tuple[AddressQuery, ...] = field(default=(), compare=False)

    @classmethod
    def structured(cls, postcode: str, house: HouseNumber | str | int) -> AddressQuery:
        """Postcode + house number; both are validated (raises :class:`InvalidAddress`)."""
        if not isinstance(house, HouseNumber):
            house = parse_house_number(str(house))
        return cls(postcode=normalize_postcode(postcode), house=house)

    @classmethod
    def from_parsed(cls, parsed: ParsedAddress, text: str | None = None) -> AddressQuery:
        """From :func:`parse_address` output; needs a house number plus a postcode or street."""
        if parsed.house is None:
            raise InvalidAddress("Vul ook het huisnummer in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12.")
        if parsed.postcode is None and parsed.street is None:
            raise InvalidAddress("Vul de postcode of de straat in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12.")
        others = tuple(
            cls(postcode=other.postcode, house=other.house, street=other.street, place=other.place, text=text)
            for other in parsed.readings()[1:]
        )
        return cls(
            postcode=parsed.postcode,
            house=parsed.house,
            street=parsed.street,
            place=parsed.place,
            text=text,
            other_readings=others,
        )

    @classmethod
    def from_text(cls, text: str) -> AddressQuery:
        """Free text as typed; parsed with :func:`parse_address` (raises :class:`InvalidAddress`)."""
        return cls.from_parsed(parse_address(text), text=" ".join(text.split()))

    def readings(self) -> tuple[AddressQuery, ...]:
        """This query, then the other readings of its text (see ``other_readings``)."""
        return (self, *self.other_readings)

    @property
    def is_structured(self) -> bool:
        """True when postcode and house number are both known."""
        return self.postcode is not None and self.house is not None

    def free_text(self) -> str:
        """One line for services that take free text."""
        if self.postcode and self.house:
            return f"{self.postcode} {self.house}"
        if self.text:
            return self.text
        return format_address(self.street, self.house, self.postcode, self.place)


# ---------------------------------------------------------------------------------------------
# Protocols


@runtime_checkable
class Geocoder(Protocol):
    """Anything that turns an :class:`AddressQuery` into a :class:`GeocodeResult`.

    ``online`` is true for services on the internet; the chain passes their hits to its
    ``on_online_result`` callback. Return ``None`` for "not found"; raise
    :class:`GeocoderUnavailable` for "could not ask".
    """

    name: str
    online: bool

    def geocode(self, query: AddressQuery) -> GeocodeResult | None: ...


class AddressRegister(Protocol):
    """An offline address register (the database one lives in the app).

    Exact-lookup semantics (also for ``find_by_street``): ``letter``/``addition`` compare
    case-insensitively, and every reading of the typed house (``HouseNumber.readings``: "105-H"
    is huisletter H or toevoeging H) is tried in turn; a query without letter and addition takes
    the address when exactly one address has that number; a letter/addition that does not exist
    gives ``None`` even when the bare number exists (no guessing) — ``choice_at`` and
    ``choice_on_street`` then list the addresses that do exist.
    """

    def find_exact(
        self, postcode: str, number: int, letter: str | None, addition: str | None
    ) -> GeocodeResult | None: ...

    def find_by_street(
        self,
        street_normalized: str,
        number: int,
        letter: str | None,
        addition: str | None,
        place: str | None,
    ) -> GeocodeResult | None: ...

    def choice_at(self, postcode: str, number: int) -> HouseChoice | None:
        """Every imported address at this postcode and number (None when there is none)."""
        ...

    def choice_on_street(self, street_normalized: str, number: int, place: str | None) -> HouseChoice | None:
        """Every imported address at this street and number, in ``place`` when given."""
        ...
