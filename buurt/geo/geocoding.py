"""Address -> coordinates through one small interface, offline register first.

* :class:`Geocoder` protocol: ``name``, ``online`` and ``geocode(query) -> GeocodeResult | None``.
  ``None`` means "not found"; an online service that cannot answer raises
  :class:`GeocoderUnavailable` (Dutch message) instead.
* :class:`RegisterGeocoder` looks addresses up in an :class:`AddressRegister` (the database
  register lives elsewhere; :class:`MemoryRegister` is the in-memory one for tests/benchmarks).
* :class:`PDOKGeocoder` (over the geopy geocoder :class:`PDOKLocatieserver`) and
  :class:`NominatimGeocoder` (over geopy's ``Nominatim``) are the online fallbacks. Both accept
  only an answer for the *same* house (postcode/number/letter/addition checked), never a
  neighbour or a street centroid.
* :class:`GeocoderChain` tries geocoders in order and hands online hits to a callback so the
  caller can store them in the register: each address is fetched online at most once.

Privacy: addresses and coordinates are logged at DEBUG only. geopy's ``RateLimiter`` logs the
call arguments at WARNING when it retries, so it is used with ``max_retries=0`` and retries
are done here; the request is passed as an object whose ``repr`` hides the address.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode, urlsplit

import geopy.exc
from geopy.adapters import BaseSyncAdapter, RequestsAdapter, URLLibAdapter
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location

from buurt.geo.addresses import (
    HouseNumber,
    InvalidAddress,
    ParsedAddress,
    format_address,
    format_postcode,
    normalize_postcode,
    normalize_street,
    parse_address,
    parse_house_number,
)
from buurt.geo.coords import in_netherlands
from buurt.geo.register_io import AddressRecord

__all__ = [
    "SOURCE_NOMINATIM",
    "SOURCE_PDOK",
    "SOURCE_REGISTER",
    "AddressQuery",
    "AddressRegister",
    "GeocodeResult",
    "Geocoder",
    "GeocoderChain",
    "GeocoderUnavailable",
    "MemoryRegister",
    "NominatimGeocoder",
    "PDOKGeocoder",
    "PDOKLocatieserver",
    "RegisterGeocoder",
    "build_chain",
]

logger = logging.getLogger(__name__)

SOURCE_REGISTER = "register"
SOURCE_PDOK = "pdok"
SOURCE_NOMINATIM = "nominatim"

UNAVAILABLE_MESSAGE = (
    "De adreszoeker is nu niet bereikbaar. Probeer het over een paar minuten opnieuw; "
    "lukt het dan nog niet, neem contact op met de beheerder."
)


class GeocoderUnavailable(Exception):
    """An online geocoder could not answer (network, timeout, HTTP 5xx, rate limit).

    ``message`` is Dutch and safe to show; ``detail`` names the cause for logs (no address).
    """

    def __init__(self, message: str = UNAVAILABLE_MESSAGE, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
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
class AddressQuery:
    """What to look up: structured (postcode + house) and/or street + house, or free text.

    Build with :meth:`structured`, :meth:`from_parsed` or :meth:`from_text`.
    """

    postcode: str | None = None
    house: HouseNumber | None = None
    street: str | None = None
    place: str | None = None
    text: str | None = None

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
        return cls(
            postcode=parsed.postcode,
            house=parsed.house,
            street=parsed.street,
            place=parsed.place,
            text=text,
        )

    @classmethod
    def from_text(cls, text: str) -> AddressQuery:
        """Free text as typed; parsed with :func:`parse_address` (raises :class:`InvalidAddress`)."""
        return cls.from_parsed(parse_address(text), text=" ".join(text.split()))

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


class _Redacted:
    """Carries a request through geopy's RateLimiter without its address reaching a log line."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"


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
    case-insensitively; a query without letter and addition takes the address when exactly one
    address has that number; a letter/addition that does not exist gives ``None`` even when
    the bare number exists (no guessing).
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


# ---------------------------------------------------------------------------------------------
# Offline register


def _upper_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value.upper() or None


# One stored address: (letter, addition, record, source); letter/addition in capitals or None.
_Entry = tuple[str | None, str | None, AddressRecord, str]


def _result(record: AddressRecord, source: str) -> GeocodeResult:
    house = HouseNumber(record.number, record.letter, record.addition)
    return GeocodeResult(
        lat=record.lat,
        lon=record.lon,
        display_name=format_address(record.street, house, record.postcode, record.place),
        source=source,
        postcode=record.postcode,
        house_number=house,
        street=record.street,
        place=record.place,
    )


def _pick(candidates: Sequence[_Entry], letter: str | None, addition: str | None) -> GeocodeResult | None:
    wanted = (_upper_or_none(letter), _upper_or_none(addition))
    exact = [entry for entry in candidates if entry[:2] == wanted]
    if len(exact) == 1:
        return _result(exact[0][2], exact[0][3])
    if not exact and wanted == (None, None) and len(candidates) == 1:
        return _result(candidates[0][2], candidates[0][3])
    return None


class MemoryRegister:
    """In-memory :class:`AddressRegister` (tests, benchmarks, snapshots of the database).

    Stores the records as given (about 100k addresses in ~1 s); results are built on lookup.
    """

    def __init__(self, records: Iterable[AddressRecord] = ()) -> None:
        self._by_postcode: dict[tuple[str, int], list[_Entry]] = {}
        self._by_street: dict[tuple[str, int], list[tuple[str, _Entry]]] = {}
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_postcode.values())

    def add(self, record: AddressRecord, *, source: str = SOURCE_REGISTER) -> None:
        """Store one address (replacing the same postcode/number/letter/addition)."""
        letter, addition = _upper_or_none(record.letter), _upper_or_none(record.addition)
        if (letter, addition) != (record.letter, record.addition):
            record = replace(record, letter=letter, addition=addition)
        entry: _Entry = (letter, addition, record, source)
        entries = self._by_postcode.setdefault((record.postcode, record.number), [])
        if entries:
            entries[:] = [old for old in entries if old[:2] != (letter, addition)]
        entries.append(entry)
        place_key = record.place.casefold()
        street_entries = self._by_street.setdefault((_street_key(record.street), record.number), [])
        if street_entries:
            street_entries[:] = [
                old for old in street_entries if (old[0], *old[1][:2]) != (place_key, letter, addition)
            ]
        street_entries.append((place_key, entry))

    def add_result(self, result: GeocodeResult) -> None:
        """Store an online hit (what a chain's ``on_online_result`` callback would do)."""
        if result.postcode is None or result.house_number is None or result.street is None:
            return
        house = result.house_number
        record = AddressRecord(
            postcode=result.postcode,
            number=house.number,
            letter=house.letter,
            addition=house.addition,
            street=result.street,
            place=result.place or "",
            lat=result.lat,
            lon=result.lon,
        )
        self.add(record, source=result.source)

    def find_exact(self, postcode: str, number: int, letter: str | None, addition: str | None) -> GeocodeResult | None:
        """See :class:`AddressRegister`."""
        return _pick(self._by_postcode.get((postcode, number), ()), letter, addition)

    def find_by_street(
        self,
        street_normalized: str,
        number: int,
        letter: str | None,
        addition: str | None,
        place: str | None,
    ) -> GeocodeResult | None:
        """See :class:`AddressRegister`; ``place`` (case-insensitive) narrows the search."""
        entries = self._by_street.get((street_normalized, number), ())
        wanted = place.casefold() if place else None
        return _pick([entry for place_key, entry in entries if wanted in (None, place_key)], letter, addition)


@lru_cache(maxsize=8192)
def _street_key(street: str) -> str:
    # A neighbourhood has few streets and many numbers: normalise each street once.
    return normalize_street(street)


class RegisterGeocoder:
    """Offline lookup in an :class:`AddressRegister`: postcode + number first, then street."""

    name = SOURCE_REGISTER
    online = False

    def __init__(self, register: AddressRegister) -> None:
        self.register = register

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """Exact register hit or ``None``; never guesses a neighbouring house."""
        house = query.house
        if house is None:
            return None
        if query.postcode is not None:
            hit = self.register.find_exact(query.postcode, house.number, house.letter, house.addition)
            if hit is not None:
                return hit
        if query.street:
            return self.register.find_by_street(
                normalize_street(query.street), house.number, house.letter, house.addition, query.place
            )
        return None


# ---------------------------------------------------------------------------------------------
# geopy: PDOK Locatieserver


_POINT_RE = re.compile(r"^\s*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$")


class PDOKLocatieserver(GeopyGeocoder):
    """geopy geocoder for the PDOK Locatieserver v3.1 ``/free`` endpoint (BAG addresses).

    ``https://api.pdok.nl/bzk/locatieserver/search/v3_1/free?q=...&fq=...&rows=...``; the
    response is Solr JSON ``{"response": {"numFound": n, "docs": [...]}}`` where each doc has
    ``weergavenaam``, ``centroide_ll`` (``"POINT(lon lat)"``) and BAG fields (``postcode``,
    ``huisnummer``, ``huisletter``, ``huisnummertoevoeging``, ``straatnaam``,
    ``woonplaatsnaam``). Locations carry the doc as ``raw``. ``domain``, ``scheme`` and
    ``path`` are configurable (tests point it at ``http://127.0.0.1:PORT``).
    """

    def __init__(
        self,
        *,
        domain: str = "api.pdok.nl",
        path: str = "/bzk/locatieserver/search/v3_1",
        scheme: str | None = None,
        timeout: Any = DEFAULT_SENTINEL,
        proxies: Any = DEFAULT_SENTINEL,
        user_agent: str | None = None,
        ssl_context: Any = DEFAULT_SENTINEL,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
    ) -> None:
        super().__init__(
            scheme=scheme,
            timeout=timeout,
            proxies=proxies,
            user_agent=user_agent,
            ssl_context=ssl_context,
            adapter_factory=adapter_factory,
        )
        self.domain = domain.strip("/")
        self.api = f"{self.scheme}://{self.domain}{path.rstrip('/')}"

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        rows: int = 10,
        fq: str = "type:adres",
        timeout: Any = DEFAULT_SENTINEL,
    ) -> Location | list[Location] | None:
        """Free-text search; ``fq`` is a Solr filter such as ``type:adres AND postcode:2221AB``."""
        params = {"q": query, "fq": fq, "rows": 1 if exactly_one else rows}
        url = f"{self.api}/free?{urlencode(params)}"
        logger.debug("PDOK request %s", url)
        return self._call_geocoder(url, partial(self._parse, exactly_one=exactly_one), timeout=timeout)

    @staticmethod
    def _parse(data: Any, exactly_one: bool) -> Location | list[Location] | None:
        response = data.get("response") if isinstance(data, Mapping) else None
        docs = response.get("docs") if isinstance(response, Mapping) else None
        locations: list[Location] = []
        for doc in docs if isinstance(docs, list) else ():
            if not isinstance(doc, Mapping):
                continue
            match = _POINT_RE.match(str(doc.get("centroide_ll", "")))
            if match is None:
                continue
            lon, lat = float(match.group(1)), float(match.group(2))
            locations.append(Location(str(doc.get("weergavenaam", "")), (lat, lon), dict(doc)))
        if not locations:
            return None
        return locations[0] if exactly_one else locations


# ---------------------------------------------------------------------------------------------
# Online adapters (our protocol over geopy)


def default_adapter_factory() -> Callable[..., BaseSyncAdapter]:
    """requests with keep-alive but *no* urllib3 retries (those log URLs, i.e. addresses)."""
    if RequestsAdapter.is_available:
        return partial(RequestsAdapter, pool_connections=2, pool_maxsize=4, max_retries=0)
    return URLLibAdapter  # pragma: no cover - requests is a dependency of folium


class _OnlineGeocoder:
    """Shared plumbing: rate limiting, own retries, geopy exceptions -> GeocoderUnavailable."""

    name = "online"
    online = True

    def __init__(self, *, min_delay_seconds: float, max_retries: int, retry_wait_seconds: float) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.retry_wait_seconds = retry_wait_seconds
        # max_retries=0: geopy's own retries would log the query at WARNING.
        self._limited = RateLimiter(
            self._fetch_redacted,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            swallow_exceptions=False,
        )

    def _fetch_redacted(self, request: _Redacted) -> Any:
        return self._fetch(request.value)

    def _fetch(self, request: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _call(self, request: Any) -> Any:
        attempt = 0
        while True:
            try:
                return self._limited(_Redacted(request))
            except geopy.exc.GeopyError as exc:
                retryable = not isinstance(
                    exc,
                    geopy.exc.GeocoderQueryError
                    | geopy.exc.GeocoderAuthenticationFailure
                    | geopy.exc.GeocoderInsufficientPrivileges
                    | geopy.exc.ConfigurationError,
                )
                if retryable and attempt < self.max_retries:
                    attempt += 1
                    logger.info(
                        "%s geocoder: %s, retry %d/%d", self.name, type(exc).__name__, attempt, self.max_retries
                    )
                    time.sleep(self.retry_wait_seconds)
                    continue
                logger.warning("%s geocoder unavailable: %s", self.name, type(exc).__name__)
                logger.debug("%s geocoder error detail: %s", self.name, exc)
                raise GeocoderUnavailable(detail=f"{self.name}: {type(exc).__name__}") from None


def _house_from_parts(number: Any, letter: Any, addition: Any) -> HouseNumber | None:
    try:
        number_int = int(str(number).strip())
        return HouseNumber(number_int, _upper_or_none(str(letter or "")), _upper_or_none(str(addition or "")))
    except (TypeError, ValueError):
        return None


def _same_house(wanted: HouseNumber, found: HouseNumber | None) -> bool:
    return found is not None and (found.number, found.letter, found.addition) == (
        wanted.number,
        wanted.letter,
        wanted.addition,
    )


def _clean_postcode(value: Any) -> str | None:
    try:
        return normalize_postcode(str(value)) if value else None
    except InvalidAddress:
        return None


class PDOKGeocoder(_OnlineGeocoder):
    """:class:`Geocoder` over :class:`PDOKLocatieserver` (source ``"pdok"``).

    Query form (documented decision): ``q`` is free text (``"2221AB 12a-3"`` or
    ``"Voorbeeldlaan 12a-3 Katwijk"``) and ``fq`` is ``type:adres``, plus
    ``AND postcode:2221AB`` when the postcode is known; ``rows=10``. Of the returned docs only
    one whose postcode (when asked), huisnummer, huisletter and toevoeging equal the request
    (and, for street queries, whose street normalises equal) is accepted, so a fuzzy hit on a
    neighbouring house is a miss, not a wrong location.
    """

    name = SOURCE_PDOK

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 3.0,
        domain: str = "api.pdok.nl",
        path: str = "/bzk/locatieserver/search/v3_1",
        scheme: str = "https",
        min_delay_seconds: float = 0.2,
        max_retries: int = 0,
        retry_wait_seconds: float = 1.0,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
        rows: int = 10,
    ) -> None:
        if not user_agent:
            raise ValueError("user_agent is required")
        super().__init__(
            min_delay_seconds=min_delay_seconds, max_retries=max_retries, retry_wait_seconds=retry_wait_seconds
        )
        self.rows = rows
        self.client = PDOKLocatieserver(
            domain=domain,
            path=path,
            scheme=scheme,
            timeout=timeout,
            user_agent=user_agent,
            adapter_factory=adapter_factory or default_adapter_factory(),
        )

    def _fetch(self, request: tuple[str, str]) -> Any:
        q, fq = request
        return self.client.geocode(q, exactly_one=False, rows=self.rows, fq=fq)

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """See class docstring; raises :class:`GeocoderUnavailable` when PDOK cannot answer."""
        if query.house is None:
            return None
        fq = "type:adres"
        if query.postcode:
            fq += f" AND postcode:{query.postcode}"
        locations = self._call((query.free_text(), fq)) or []
        for location in locations:
            result = self._accept(query, location)
            if result is not None:
                return result
        logger.debug("PDOK: no doc matched the requested house among %d", len(locations))
        return None

    @staticmethod
    def _accept(query: AddressQuery, location: Location) -> GeocodeResult | None:
        doc = location.raw
        if doc.get("type", "adres") != "adres" or query.house is None:
            return None
        house = _house_from_parts(doc.get("huisnummer"), doc.get("huisletter"), doc.get("huisnummertoevoeging"))
        postcode = _clean_postcode(doc.get("postcode"))
        if not _same_house(query.house, house):
            return None
        if query.postcode is not None and postcode != query.postcode:
            return None
        street = doc.get("straatnaam")
        if query.postcode is None and (
            not street or not query.street or normalize_street(str(street)) != normalize_street(query.street)
        ):
            return None
        if not in_netherlands(location.latitude, location.longitude):
            return None
        return GeocodeResult(
            lat=location.latitude,
            lon=location.longitude,
            display_name=location.address or format_address(street, house, postcode, doc.get("woonplaatsnaam")),
            source=SOURCE_PDOK,
            postcode=postcode,
            house_number=house,
            street=str(street) if street else None,
            place=str(doc["woonplaatsnaam"]) if doc.get("woonplaatsnaam") else None,
        )


_NOMINATIM_PLACE_KEYS = ("city", "town", "village", "municipality", "hamlet")


class NominatimGeocoder(_OnlineGeocoder):
    """:class:`Geocoder` over geopy's ``Nominatim`` (OpenStreetMap; source ``"nominatim"``).

    Sends a structured query (``street="12a Voorbeeldlaan"``, ``postalcode``, ``city``,
    ``country``) when the street is known, else free text ``"2221AB 12a"``; always
    ``countrycodes=nl`` and ``addressdetails=1``. Accepts only a result whose
    ``address.house_number`` is the requested house, whose road normalises to the requested
    street (street queries) and whose postcode is the requested one (required for postcode-only
    queries; for street queries only checked when OSM has one). Mind the usage policy: at most
    1 request per second and a real ``user_agent``.
    """

    name = SOURCE_NOMINATIM

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 3.0,
        domain: str = "nominatim.openstreetmap.org",
        scheme: str = "https",
        min_delay_seconds: float = 1.0,
        max_retries: int = 0,
        retry_wait_seconds: float = 2.0,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
        limit: int = 5,
    ) -> None:
        if not user_agent:
            raise ValueError("user_agent is required")
        super().__init__(
            min_delay_seconds=min_delay_seconds, max_retries=max_retries, retry_wait_seconds=retry_wait_seconds
        )
        self.limit = limit
        self.client = Nominatim(
            domain=domain,
            scheme=scheme,
            timeout=timeout,
            user_agent=user_agent,
            adapter_factory=adapter_factory or default_adapter_factory(),
        )

    def _fetch(self, request: str | dict[str, str]) -> Any:
        return self.client.geocode(
            request, exactly_one=False, limit=self.limit, addressdetails=True, country_codes="nl"
        )

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """See class docstring; raises :class:`GeocoderUnavailable` when Nominatim cannot answer."""
        house = query.house
        if house is None:
            return None
        request: str | dict[str, str]
        if query.street:
            request = {"street": f"{house} {query.street}", "country": "Nederland"}
            if query.postcode:
                request["postalcode"] = format_postcode(query.postcode)
            if query.place:
                request["city"] = query.place
        else:
            request = query.free_text()
        locations = self._call(request) or []
        for location in locations:
            result = self._accept(query, location)
            if result is not None:
                return result
        return None

    @staticmethod
    def _accept(query: AddressQuery, location: Location) -> GeocodeResult | None:
        address = location.raw.get("address") if isinstance(location.raw, Mapping) else None
        if not isinstance(address, Mapping) or query.house is None:
            return None
        if address.get("country_code", "nl") != "nl":
            return None
        try:
            house = parse_house_number(str(address.get("house_number", "")))
        except InvalidAddress:
            return None
        if not _same_house(query.house, house):
            return None
        postcode = _clean_postcode(address.get("postcode"))
        if query.postcode is not None and postcode is not None and postcode != query.postcode:
            return None
        road = address.get("road")
        if query.street and (not road or normalize_street(str(road)) != normalize_street(query.street)):
            return None
        if not query.street and postcode is None:
            return None  # only a house number matched: could be any street in the country
        if not in_netherlands(location.latitude, location.longitude):
            return None
        place = next((str(address[key]) for key in _NOMINATIM_PLACE_KEYS if address.get(key)), None)
        return GeocodeResult(
            lat=location.latitude,
            lon=location.longitude,
            display_name=location.address,
            source=SOURCE_NOMINATIM,
            postcode=postcode or query.postcode,
            house_number=house,
            street=str(road) if road else None,
            place=place,
        )


# ---------------------------------------------------------------------------------------------
# Chain


class GeocoderChain:
    """Tries geocoders in order and returns the first hit.

    Raises :class:`GeocoderUnavailable` only when nothing was found *and* at least one
    geocoder could not answer (so the caller can retry later, e.g. ``flask buurt
    geocode-pending``); returns ``None`` when every geocoder answered "not found".
    Hits from online geocoders go to ``on_online_result(query, result)`` before being
    returned, so the caller can store them in the register; errors raised by the callback
    propagate.
    """

    name = "chain"
    online = False

    def __init__(
        self,
        geocoders: Sequence[Geocoder],
        on_online_result: Callable[[AddressQuery, GeocodeResult], None] | None = None,
    ) -> None:
        self.geocoders = list(geocoders)
        self.on_online_result = on_online_result

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """First hit in order; see class docstring for misses and unavailability."""
        unavailable: list[str] = []
        for geocoder in self.geocoders:
            try:
                result = geocoder.geocode(query)
            except GeocoderUnavailable as exc:
                unavailable.append(geocoder.name)
                logger.info("geocoder %s unavailable (%s); trying the next one", geocoder.name, exc.detail)
                continue
            if result is None:
                continue
            logger.debug("geocoded by %s: %s", geocoder.name, result.display_name)
            if getattr(geocoder, "online", True) and self.on_online_result is not None:
                self.on_online_result(query, result)
            return result
        if unavailable:
            raise GeocoderUnavailable(detail="unavailable: " + ", ".join(unavailable))
        return None


def _split_url(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


def build_chain(
    names: Sequence[str],
    *,
    register: AddressRegister | None,
    user_agent: str,
    timeout: float,
    pdok_url: str | None = None,
    nominatim_url: str | None = None,
    min_delay_seconds: float = 1.0,
    on_online_result: Callable[[AddressQuery, GeocodeResult], None] | None = None,
    max_retries: int = 0,
    adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
) -> GeocoderChain:
    """A chain from config names, e.g. ``["register", "pdok", "nominatim"]``.

    ``pdok_url`` is the API base (default ``https://api.pdok.nl/bzk/locatieserver/search/v3_1``,
    ``/free`` is appended); ``nominatim_url`` the server root (default
    ``https://nominatim.openstreetmap.org``, ``/search`` is appended). Unknown or repeated
    names, an empty list, ``"register"`` without a register and online services without a
    ``user_agent`` raise ``ValueError``.
    """
    if not names:
        raise ValueError("no geocoders configured")
    if len(set(names)) != len(names):
        raise ValueError(f"geocoder listed twice: {list(names)}")
    geocoders: list[Geocoder] = []
    for name in names:
        if name == SOURCE_REGISTER:
            if register is None:
                raise ValueError("geocoder 'register' needs a register")
            geocoders.append(RegisterGeocoder(register))
        elif name == SOURCE_PDOK:
            scheme, domain, path = _split_url(pdok_url or "https://api.pdok.nl/bzk/locatieserver/search/v3_1")
            geocoders.append(
                PDOKGeocoder(
                    user_agent=user_agent,
                    timeout=timeout,
                    domain=domain,
                    path=path,
                    scheme=scheme,
                    min_delay_seconds=min_delay_seconds,
                    max_retries=max_retries,
                    adapter_factory=adapter_factory,
                )
            )
        elif name == SOURCE_NOMINATIM:
            scheme, domain, path = _split_url(nominatim_url or "https://nominatim.openstreetmap.org")
            geocoders.append(
                NominatimGeocoder(
                    user_agent=user_agent,
                    timeout=timeout,
                    domain=domain + path,
                    scheme=scheme,
                    min_delay_seconds=min_delay_seconds,
                    max_retries=max_retries,
                    adapter_factory=adapter_factory,
                )
            )
        else:
            raise ValueError(f"unknown geocoder {name!r}; choose from register, pdok, nominatim")
    return GeocoderChain(geocoders, on_online_result=on_online_result)
