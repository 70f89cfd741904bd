"""Shared plumbing of the online geocoders (``buurt.geo.pdok``, ``buurt.geo.nominatim``).

:class:`OnlineGeocoder` rate-limits, retries on its own and turns geopy exceptions into
:class:`~buurt.geo.geocoding.GeocoderUnavailable`. The helpers judge an answer: an online hit is
accepted only for the *same* house (number, letter, addition), never a neighbour.

Privacy: addresses and coordinates are logged at DEBUG only. geopy's ``RateLimiter`` logs the
call arguments at WARNING when it retries, so it is used with ``max_retries=0`` and retries
are done here; the request is passed as an object whose ``repr`` hides the address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import geopy.exc
from geopy.adapters import BaseSyncAdapter, RequestsAdapter, URLLibAdapter
from geopy.extra.rate_limiter import RateLimiter

from buurt.geo.addresses import HouseNumber, InvalidAddress, house_part, normalize_postcode
from buurt.geo.geocoding import GeocoderUnavailable

__all__ = ["OnlineGeocoder", "clean_postcode", "default_adapter_factory", "house_from_parts", "same_house"]

logger = logging.getLogger(__name__)


class _Redacted:
    """Carries a request through geopy's RateLimiter without its address reaching a log line."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<redacted>"


def default_adapter_factory() -> Callable[..., BaseSyncAdapter]:
    """requests with keep-alive but *no* urllib3 retries (those log URLs, i.e. addresses)."""
    if RequestsAdapter.is_available:
        return partial(RequestsAdapter, pool_connections=2, pool_maxsize=4, max_retries=0)
    return URLLibAdapter  # pragma: no cover - requests is a dependency of folium


class OnlineGeocoder:
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


def house_from_parts(number: Any, letter: Any, addition: Any) -> HouseNumber | None:
    try:
        number_int = int(str(number).strip())
        return HouseNumber(number_int, house_part(str(letter or "")), house_part(str(addition or "")))
    except (TypeError, ValueError):
        return None


def same_house(wanted: HouseNumber, found: HouseNumber | None) -> bool:
    return found is not None and (found.number, found.letter, found.addition) == (
        wanted.number,
        wanted.letter,
        wanted.addition,
    )


def clean_postcode(value: Any) -> str | None:
    try:
        return normalize_postcode(str(value)) if value else None
    except InvalidAddress:
        return None
