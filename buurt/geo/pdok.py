"""Online geocoder: the PDOK Locatieserver (BAG addresses of the Dutch government), over geopy.

* :class:`PDOKLocatieserver` is a geopy geocoder for its ``/free`` endpoint;
* :class:`PDOKGeocoder` is our :class:`~buurt.geo.geocoding.Geocoder` over it (source ``"pdok"``),
  accepting only an answer for the *same* house.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from geopy.adapters import BaseSyncAdapter
from geopy.geocoders.base import DEFAULT_SENTINEL
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location

from buurt.geo.addresses import format_address, normalize_street
from buurt.geo.coords import in_netherlands
from buurt.geo.geocoding import SOURCE_PDOK, AddressQuery, GeocodeResult
from buurt.geo.guard import CircuitBreaker, ConcurrencyCap
from buurt.geo.online import OnlineGeocoder, clean_postcode, default_adapter_factory, house_from_parts, same_house

__all__ = ["PDOKGeocoder", "PDOKLocatieserver"]

logger = logging.getLogger(__name__)

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
        logger.debug("PDOK request (%d characters; the query is an address, never logged)", len(url))
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


class PDOKGeocoder(OnlineGeocoder):
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
        max_wait_seconds: float = 2.0,
        cap: ConcurrencyCap | None = None,
        breaker: CircuitBreaker | None = None,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
        rows: int = 10,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not user_agent:
            raise ValueError("user_agent is required")
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

    def geocode(self, query: AddressQuery, *, deadline: float | None = None) -> GeocodeResult | None:
        """See class docstring; raises :class:`GeocoderUnavailable` when PDOK cannot answer."""
        if query.house is None:
            return None
        fq = "type:adres"
        if query.postcode:
            fq += f" AND postcode:{query.postcode}"
        locations = self._call((query.free_text(), fq), deadline) or []
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
        house = house_from_parts(doc.get("huisnummer"), doc.get("huisletter"), doc.get("huisnummertoevoeging"))
        postcode = clean_postcode(doc.get("postcode"))
        if not same_house(query.house, house):
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
