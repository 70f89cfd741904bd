"""Online geocoder: the PDOK Locatieserver (BAG addresses of the Dutch government), over geopy.

* :class:`PDOKLocatieserver` is a geopy client for its ``/free`` endpoint (one page per call);
* :class:`PDOKGeocoder` is our :class:`~buurt.geo.geocoding.Geocoder` over it (source ``"pdok"``),
  accepting only an answer for the *same* house, or listing every address at the number
  (:class:`~buurt.geo.geocoding.HouseChoiceNeeded`) when the house exists only with other
  letters or additions.

Issue 14: PDOK is asked for *every* address at the postcode + number (Solr filter
``type:adres AND postcode:2221CM AND huisnummer:7``, ``rows`` = 100, PDOK's maximum, and paged
with ``start`` when ``numFound`` is larger), so "105-H" is found whether it was typed as a letter
or an addition, and "7" where only 7-1 and 7-2 exist gives the complete choice instead of
"unknown". Field names and limits are those of PDOK's own OpenAPI document for v3_1 (``rows``
at most 100, ``start`` at most 10,000, ``fq`` a list of Solr filters). Values typed by residents
never reach Solr as syntax: free text is escaped term by term (:func:`solr_text`) and street and
place names go in as quoted phrases (:func:`solr_phrase`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from geopy.adapters import BaseSyncAdapter
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location

from buurt.geo.addresses import HouseNumber, format_address, house_order, normalize_street
from buurt.geo.coords import in_netherlands
from buurt.geo.geocoding import SOURCE_PDOK, AddressQuery, GeocodeResult, HouseChoice, HouseChoiceNeeded
from buurt.geo.guard import CircuitBreaker, ConcurrencyCap
from buurt.geo.online import OnlineGeocoder, clean_postcode, default_adapter_factory, house_from_parts, reading_rank

__all__ = ["PDOKGeocoder", "PDOKLocatieserver", "PDOKPage", "solr_phrase", "solr_text"]

logger = logging.getLogger(__name__)

_POINT_RE = re.compile(r"^\s*POINT\s*\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$")

#: PDOK's limits for /free (OpenAPI document of v3_1): rows at most 100, start at most 10,000.
PDOK_MAX_ROWS = 100
PDOK_MAX_START = 10_000

# Characters with a meaning in Solr's query syntax; "&&" and "||" are covered by & and |.
_SOLR_SPECIAL = frozenset('+-&|!(){}[]^"~*?:\\/')
# Operator words; PDOK documents a lowercase "and" as an operator too.
_SOLR_OPERATORS = frozenset({"and", "or", "not"})


def solr_phrase(value: str) -> str:
    """``value`` as one quoted Solr phrase: inside quotes only ``\\`` and ``"`` mean anything, so
    ``'t Hoen``, ``Laan 1940-1945`` or ``a:b OR *`` stay the literal text they are."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def solr_text(text: str) -> str:
    """Free text for ``q`` with every Solr special character escaped and operator words quoted:
    the words are still searched for (PDOK's scoring and synonyms apply), but ``a:b OR *`` is
    three words, not a field query, an OR and a wildcard."""
    words = []
    for word in text.split():
        if word.casefold() in _SOLR_OPERATORS:
            words.append(f'"{word}"')
        else:
            words.append("".join(f"\\{char}" if char in _SOLR_SPECIAL else char for char in word))
    return " ".join(words)


def _filter(fields: Iterable[tuple[str, str | int]]) -> str:
    """``straatnaam:"'t Hoen" AND huisnummer:7``: numbers and plain ASCII words (``adres``, a
    postcode) bare, as PDOK's own examples write them; every other value as a quoted phrase."""
    parts = []
    for name, value in fields:
        bare = isinstance(value, int) or (str(value).isascii() and str(value).isalnum())
        parts.append(f"{name}:{value}" if bare else f"{name}:{solr_phrase(str(value))}")
    return " AND ".join(parts)


@dataclass(frozen=True, slots=True)
class PDOKPage:
    """One answer of ``/free``: the docs as geopy Locations (those with a usable ``centroide_ll``),
    ``num_found`` (all docs the filter matches) and ``docs`` (how many this page held)."""

    locations: tuple[Location, ...]
    num_found: int
    docs: int


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

    def search(self, query: str, *, fq: str, rows: int, start: int) -> PDOKPage:
        """One page of ``/free``: the docs from ``start`` (at most ``rows``) and ``numFound``,
        within the client's ``timeout``."""
        params = {"q": query, "fq": fq, "rows": rows, "start": start}
        url = f"{self.api}/free?{urlencode(params)}"
        logger.debug("PDOK request (%d characters; the query is an address, never logged)", len(url))
        return self._call_geocoder(url, self._parse_page)

    @classmethod
    def _parse_page(cls, data: Any) -> PDOKPage:
        response = data.get("response") if isinstance(data, Mapping) else None
        if not isinstance(response, Mapping):
            raise ValueError("PDOK answer without a response")  # the caller's "unavailable"
        docs = response.get("docs")
        found = response.get("numFound")
        count = len(docs) if isinstance(docs, list) else 0
        return PDOKPage(
            locations=tuple(cls._locations(response)),
            num_found=found if isinstance(found, int) and found >= 0 else count,
            docs=count,
        )

    @staticmethod
    def _locations(response: Mapping[str, Any]) -> list[Location]:
        docs = response.get("docs")
        locations: list[Location] = []
        for doc in docs if isinstance(docs, list) else ():
            if not isinstance(doc, Mapping):
                continue
            match = _POINT_RE.match(str(doc.get("centroide_ll", "")))
            if match is None:
                continue
            lon, lat = float(match.group(1)), float(match.group(2))
            locations.append(Location(str(doc.get("weergavenaam", "")), (lat, lon), dict(doc)))
        return locations


# One address at the number asked for: its house and the Location (with the doc as ``raw``).
_Found = dict[HouseNumber, Location]


class PDOKGeocoder(OnlineGeocoder):
    """:class:`Geocoder` over :class:`PDOKLocatieserver` (source ``"pdok"``).

    Query form (documented decision, issue 14):

    * postcode known: ``fq=type:adres AND postcode:2221CM AND huisnummer:7`` and the same
      fields as ``q`` (a fielded ``q`` matches exactly the filtered docs, so the list cannot be
      cut short by how PDOK scores free text), ``rows`` (PDOK_ROWS, at most 100) and, while
      ``numFound`` is larger, the next page with ``start``, up to ``max_houses`` addresses;
    * street only: first ``q`` = the typed text (escaped) with ``fq=type:adres AND huisnummer:7``,
      which lets PDOK's synonyms match "v. Beethovenstr." to "Van Beethovenstraat"; a doc whose
      street normalises to the typed one gives the street's BAG name and place, and when the house
      is not among those docs, every address at that number comes from
      ``fq=type:adres AND straatnaam:"…" AND woonplaatsnaam:"…" AND huisnummer:7``, paged the same.

    Of the docs only one whose postcode (or street), number, letter and addition are one reading
    of the typed house (``HouseNumber.readings``: "105-H" is huisletter H or toevoeging H; the
    typed reading preferred) is a hit, and the hit carries the BAG form from the doc. A bare
    number with exactly one address takes it (as the register does). Otherwise, when addresses
    exist at the number, :class:`HouseChoiceNeeded` lists them all, sorted; no docs: ``None``.

    Every page of one lookup ends by the same deadline (the chain's, or ``max_wait_seconds +
    timeout`` from the start when called alone); a page that does not arrive in time makes the
    lookup :class:`GeocoderUnavailable` rather than a half list. Only the first page waits for a
    turn at the rate limiter: the next pages belong to a lookup that already had its turn.
    Requests: one for a found house and for a number with up to ``rows`` addresses; a street
    query that needs the full list one more.
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
        max_wait_seconds: float = 2.0,
        cap: ConcurrencyCap | None = None,
        breaker: CircuitBreaker | None = None,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
        rows: int = PDOK_MAX_ROWS,
        max_houses: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not user_agent:
            raise ValueError("user_agent is required")
        if not 1 <= rows <= PDOK_MAX_ROWS:
            raise ValueError(f"rows must be 1..{PDOK_MAX_ROWS} (PDOK's maximum)")
        if max_houses < 1:
            raise ValueError("max_houses must be >= 1")
        super().__init__(
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            retry_wait_seconds=retry_wait_seconds,
            max_wait_seconds=max_wait_seconds,
            timeout=timeout,
            cap=cap,
            breaker=breaker,
            clock=clock,
            sleep=sleep,
        )
        self.rows = rows
        self.max_houses = max_houses
        self.client = PDOKLocatieserver(
            domain=domain,
            path=path,
            scheme=scheme,
            timeout=timeout,
            user_agent=user_agent,
            adapter_factory=adapter_factory or default_adapter_factory(),
        )

    def _fetch(self, request: tuple[Any, ...]) -> PDOKPage:
        """``(q, fq)`` or ``(q, fq, start)``: one page of ``/free``."""
        q, fq, *rest = request
        return self.client.search(q, fq=fq, rows=self.rows, start=rest[0] if rest else 0)

    def geocode(self, query: AddressQuery, *, deadline: float | None = None) -> GeocodeResult | None:
        """See class docstring; raises :class:`HouseChoiceNeeded` (the number exists, but not as
        typed) and :class:`GeocoderUnavailable` (PDOK could not answer in time)."""
        house = query.house
        if house is None:
            return None
        if deadline is None:  # alone, not in a chain: all pages within one call's budget
            deadline = self.limiter.clock() + self.max_wait_seconds + self.timeout
        if query.postcode:
            postcode = query.postcode
            fields = (("postcode", postcode), ("huisnummer", house.number))
            return self._complete(
                query, house, fields, deadline, lambda doc: clean_postcode(doc.get("postcode")) == postcode, paced=True
            )
        for reading in query.readings():  # "Proefstraat 12 3": street "Proefstraat 12", or 12-3
            if reading.street and reading.house:
                hit = self._by_street(reading, reading.house, reading.street, deadline)
                if hit is not None:
                    return hit
        return None

    # -- the two query forms -----------------------------------------------------------------

    def _by_street(self, query: AddressQuery, house: HouseNumber, typed: str, deadline: float) -> GeocodeResult | None:
        wanted = normalize_street(typed)
        fq = _filter((("type", "adres"), ("huisnummer", house.number)))
        page: PDOKPage = self._call((solr_text(query.free_text()), fq), deadline)
        on_street = [
            location
            for location in page.locations
            if location.raw.get("straatnaam") and normalize_street(str(location.raw["straatnaam"])) == wanted
        ]
        if query.place:  # a doc in the typed place first; the typed place may be the gemeente's name
            place = query.place.casefold()
            in_place = [loc for loc in on_street if str(loc.raw.get("woonplaatsnaam", "")).casefold() == place]
            on_street = in_place or on_street
        if not on_street:
            logger.debug("PDOK: no doc on the requested street among %d", len(page.locations))
            return None
        first = on_street[0].raw
        street, place = str(first["straatnaam"]), first.get("woonplaatsnaam")
        same = [
            loc for loc in on_street if loc.raw.get("straatnaam") == street and loc.raw.get("woonplaatsnaam") == place
        ]
        hit = self._best(house, self._houses(same, house.number))
        if hit is not None:
            return hit
        fields: list[tuple[str, str | int]] = [("straatnaam", street)]
        if place:
            fields.append(("woonplaatsnaam", str(place)))
        fields.append(("huisnummer", house.number))
        return self._complete(
            query,
            house,
            fields,
            deadline,
            lambda doc: doc.get("straatnaam") == street and doc.get("woonplaatsnaam") == place,
            paced=False,
        )

    def _complete(
        self,
        query: AddressQuery,
        house: HouseNumber,
        fields: Iterable[tuple[str, str | int]],
        deadline: float,
        belongs: Callable[[Mapping[str, Any]], bool],
        *,
        paced: bool,
    ) -> GeocodeResult | None:
        """Every address at the number (paged), then the hit or the choice; see the class docstring."""
        q = _filter(fields)
        fq = _filter((("type", "adres"),)) + " AND " + q
        found: _Found = {}
        start = requests = 0
        complete = True
        while True:
            page: PDOKPage = self._call((q, fq, start), deadline, paced=paced and requests == 0)
            requests += 1
            found.update(
                (key, loc)
                for key, loc in self._houses((loc for loc in page.locations if belongs(loc.raw)), house.number).items()
                if key not in found
            )
            if house in found:  # the typed reading: no later page can beat it
                break
            start += page.docs
            if page.docs == 0 or start >= page.num_found:
                break
            if len(found) >= self.max_houses or start >= PDOK_MAX_START:
                logger.warning("PDOK: stopped paging at %d addresses of %d", len(found), page.num_found)
                complete = False
                break
        logger.debug("PDOK: %d addresses at the number in %d requests", len(found), requests)
        hit = self._best(house, found)
        if hit is not None:
            return hit
        if house.letter is None and house.addition is None and len(found) == 1:
            return self._result(next(iter(found.values())))
        if found:
            raise HouseChoiceNeeded(self._choice(query, found, self.max_houses, complete=complete))
        return None

    # -- judging docs ------------------------------------------------------------------------

    @staticmethod
    def _houses(locations: Iterable[Location], number: int) -> _Found:
        """The address docs at ``number`` inside the Netherlands, by house (first doc wins)."""
        found: _Found = {}
        for location in locations:
            doc = location.raw
            if doc.get("type", "adres") != "adres":
                continue
            house = house_from_parts(doc.get("huisnummer"), doc.get("huisletter"), doc.get("huisnummertoevoeging"))
            if house is None or house.number != number or house in found:
                continue
            if in_netherlands(location.latitude, location.longitude):
                found[house] = location
        return found

    @classmethod
    def _best(cls, wanted: HouseNumber, found: _Found) -> GeocodeResult | None:
        """The doc that is a reading of the typed house, the earliest reading first."""
        ranked = [(rank, house) for house in found if (rank := reading_rank(wanted, house)) is not None]
        if not ranked:
            return None
        return cls._result(found[min(ranked, key=lambda item: item[0])[1]])

    @staticmethod
    def _result(location: Location) -> GeocodeResult:
        doc = location.raw
        house = house_from_parts(doc.get("huisnummer"), doc.get("huisletter"), doc.get("huisnummertoevoeging"))
        postcode = clean_postcode(doc.get("postcode"))
        street = doc.get("straatnaam")
        place = doc.get("woonplaatsnaam")
        return GeocodeResult(
            lat=location.latitude,
            lon=location.longitude,
            display_name=location.address or format_address(street, house, postcode, place),
            source=SOURCE_PDOK,
            postcode=postcode,
            house_number=house,
            street=str(street) if street else None,
            place=str(place) if place else None,
        )

    @staticmethod
    def _choice(query: AddressQuery, found: _Found, max_houses: int, *, complete: bool) -> HouseChoice:
        houses = sorted(found, key=house_order)[:max_houses]
        docs = [found[house].raw for house in houses]
        postcodes = {clean_postcode(doc.get("postcode")) for doc in docs}
        first = docs[0]
        return HouseChoice(
            postcode=postcodes.pop() if len(postcodes) == 1 else query.postcode,
            number=houses[0].number,
            street=str(first["straatnaam"]) if first.get("straatnaam") else None,
            place=str(first["woonplaatsnaam"]) if first.get("woonplaatsnaam") else None,
            houses=tuple(houses),
            source=SOURCE_PDOK,
            complete=complete and len(found) <= max_houses,
        )
