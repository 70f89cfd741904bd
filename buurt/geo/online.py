"""Shared plumbing of the online geocoders (``buurt.geo.pdok``, ``buurt.geo.nominatim``).

:class:`OnlineGeocoder` rate-limits, retries on its own and turns geopy exceptions into
:class:`~buurt.geo.geocoding.GeocoderUnavailable`. The helpers judge an answer: an online hit is
accepted only for the *same* house (number, letter, addition), never a neighbour.

Why our own :class:`SlotLimiter` and not geopy's ``RateLimiter``: geopy's makes the N-th of N
concurrent callers sleep about N x ``min_delay_seconds`` with no upper bound, so on a busy
evening (many residents whose address is not in the register, 16 threads per gunicorn worker,
Nominatim's 1 request/s) a request would wait past gunicorn's timeout. Here every call has a
deadline: a caller whose turn is more than ``max_wait_seconds`` away is told "busy" at once
(:class:`GeocoderUnavailable`, the path for an unreachable service: a sign-up is kept to geocode
later), and neither the wait for a turn nor our own retries ever sleep past that deadline.
Worst case per online service and request: ``max_wait_seconds`` + the HTTP ``timeout`` (every
attempt starts before the deadline).

Privacy: addresses and coordinates are logged at DEBUG only; the lines here carry the service
name and the exception type, never the request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import geopy.exc
from geopy.adapters import BaseSyncAdapter, RequestsAdapter, URLLibAdapter

from buurt.geo.addresses import HouseNumber, InvalidAddress, house_part, normalize_postcode
from buurt.geo.geocoding import GeocoderUnavailable

__all__ = [
    "Busy",
    "OnlineGeocoder",
    "SlotLimiter",
    "clean_postcode",
    "default_adapter_factory",
    "house_from_parts",
    "same_house",
]

logger = logging.getLogger(__name__)

# Slots are sums of floats (0.2 + 0.2 + ... ); a slot "exactly" at the deadline must not be
# refused for a rounding error of 1e-16.
_EPSILON = 1e-9

_NOT_RETRYABLE = (
    geopy.exc.GeocoderQueryError
    | geopy.exc.GeocoderAuthenticationFailure
    | geopy.exc.GeocoderInsufficientPrivileges
    | geopy.exc.ConfigurationError
)


class Busy(Exception):
    """The next free slot of a :class:`SlotLimiter` lies past the caller's deadline."""


class SlotLimiter:
    """At most one call per ``min_delay_seconds``, first come first served, thread-safe.

    A caller *reserves* the next free slot under a lock (``max(now, next_free)``; the next free
    slot then moves ``min_delay_seconds`` on), releases the lock and only then sleeps until its
    slot, so callers never queue on the lock itself. A slot later than the caller's deadline is
    refused with :class:`Busy` at once: no sleep, and nothing is reserved, so a refused caller
    costs later callers nothing. ``clock`` (monotonic seconds) and ``sleep`` are injectable
    for tests.
    """

    def __init__(
        self,
        min_delay_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if min_delay_seconds < 0:
            raise ValueError("min_delay_seconds must be >= 0")
        self.min_delay_seconds = min_delay_seconds
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next_free = -math.inf

    def reserve(self, deadline: float) -> float:
        """Reserve the next free slot (a ``clock`` time) if it is not after ``deadline``.

        Raises :class:`Busy` (reserving nothing) otherwise.
        """
        with self._lock:
            slot = max(self.clock(), self._next_free)
            if slot > deadline + _EPSILON:
                raise Busy
            self._next_free = slot + self.min_delay_seconds
        return slot

    def wait(self, deadline: float) -> None:
        """Reserve a slot no later than ``deadline`` and sleep until it (the lock is not held)."""
        slot = self.reserve(deadline)
        delay = slot - self.clock()
        if delay > 0:
            self.sleep(delay)


def default_adapter_factory() -> Callable[..., BaseSyncAdapter]:
    """requests with keep-alive but *no* urllib3 retries (those log URLs, i.e. addresses)."""
    if RequestsAdapter.is_available:
        return partial(RequestsAdapter, pool_connections=2, pool_maxsize=4, max_retries=0)
    return URLLibAdapter  # pragma: no cover - requests is a dependency of folium


class OnlineGeocoder:
    """Shared plumbing: a deadline per call, rate limiting, own retries, -> GeocoderUnavailable.

    Each call may wait at most ``max_wait_seconds`` in all for its turns (the first attempt and
    any retry, ``retry_wait_seconds`` included); past that it raises
    :class:`GeocoderUnavailable` with detail ``"<name>: busy"`` (no turn in time) or the last
    error's type. One limiter per geocoder object, shared by every thread that uses it.
    """

    name = "online"
    online = True

    def __init__(
        self,
        *,
        min_delay_seconds: float,
        max_retries: int,
        retry_wait_seconds: float,
        max_wait_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must be >= 0")
        self.max_retries = max_retries
        self.retry_wait_seconds = retry_wait_seconds
        self.max_wait_seconds = max_wait_seconds
        self.limiter = SlotLimiter(min_delay_seconds, clock=clock, sleep=sleep)

    def _fetch(self, request: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _call(self, request: Any) -> Any:
        limiter = self.limiter
        deadline = limiter.clock() + self.max_wait_seconds
        attempt = 0
        while True:
            try:
                limiter.wait(deadline)
            except Busy:
                logger.warning("%s geocoder busy: no turn within %.1f s", self.name, self.max_wait_seconds)
                raise GeocoderUnavailable(detail=f"{self.name}: busy") from None
            try:
                return self._fetch(request)
            except geopy.exc.GeopyError as exc:
                retryable = not isinstance(exc, _NOT_RETRYABLE)
                if (
                    retryable
                    and attempt < self.max_retries
                    and limiter.clock() + self.retry_wait_seconds <= deadline + _EPSILON
                ):
                    attempt += 1
                    logger.info(
                        "%s geocoder: %s, retry %d/%d", self.name, type(exc).__name__, attempt, self.max_retries
                    )
                    if self.retry_wait_seconds > 0:
                        limiter.sleep(self.retry_wait_seconds)
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
