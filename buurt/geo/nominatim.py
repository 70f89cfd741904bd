"""Online geocoder: OpenStreetMap's Nominatim, over geopy (source ``"nominatim"``).

Mind the usage policy: at most 1 request per second and a real ``user_agent``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from geopy.adapters import BaseSyncAdapter
from geopy.geocoders import Nominatim
from geopy.location import Location

from buurt.geo.addresses import HouseNumber, InvalidAddress, format_postcode, normalize_street, parse_house_number
from buurt.geo.coords import in_netherlands
from buurt.geo.geocoding import SOURCE_NOMINATIM, AddressQuery, GeocodeResult
from buurt.geo.guard import CircuitBreaker, ConcurrencyCap
from buurt.geo.online import OnlineGeocoder, clean_postcode, default_adapter_factory, reading_rank

__all__ = ["NominatimGeocoder"]

_NOMINATIM_PLACE_KEYS = ("city", "town", "village", "municipality", "hamlet")


class NominatimGeocoder(OnlineGeocoder):
    """:class:`Geocoder` over geopy's ``Nominatim`` (OpenStreetMap; source ``"nominatim"``).

    Sends a structured query (``street="12a Voorbeeldlaan"``, ``postalcode``, ``city``,
    ``country``) when the street is known, else free text ``"2221AB 12a"``; always
    ``countrycodes=nl`` and ``addressdetails=1``. Accepts only a result whose
    ``address.house_number`` is the requested house (any reading: "105H" and "105-H" are the
    same house; the typed reading preferred), whose road normalises to the requested
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
        max_wait_seconds: float = 2.0,
        cap: ConcurrencyCap | None = None,
        breaker: CircuitBreaker | None = None,
        adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
        limit: int = 5,
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

    def geocode(self, query: AddressQuery, *, deadline: float | None = None) -> GeocodeResult | None:
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
        locations = self._call(request, deadline) or []
        hits = [result for location in locations if (result := self._accept(query, house, location)) is not None]
        # The typed reading first ("105-H" typed, OSM has "105-H" and "105H"), then OSM's order.
        return min(hits, key=lambda hit: reading_rank(house, hit.house_number, found_is_text=True) or 0, default=None)

    @staticmethod
    def _accept(query: AddressQuery, wanted: HouseNumber, location: Location) -> GeocodeResult | None:
        address = location.raw.get("address")  # geopy's Location.raw is the place's JSON object
        if not isinstance(address, Mapping):
            return None
        if address.get("country_code", "nl") != "nl":
            return None
        try:
            house = parse_house_number(str(address["house_number"]))
        except (KeyError, InvalidAddress):
            return None
        # OSM's addr:housenumber is text as ambiguous as the typed one: "105H" may be huisletter H
        # or toevoeging H, so any reading of one that is a reading of the other is the same house.
        # Nominatim cannot list a number's toevoegingen: it never offers a choice.
        if reading_rank(wanted, house, found_is_text=True) is None:
            return None
        postcode = clean_postcode(address.get("postcode"))
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
