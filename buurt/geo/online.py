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

Issue 12: a hard deadline per call that a trickling server cannot defeat (the HTTP call runs on
its own thread and its sockets are shut at the deadline: buurt.geo.deadline), a cap on online
calls at once per process and a circuit breaker per service (buurt.geo.guard). The chain gives
each call the request's remaining budget (GEOCODER_TOTAL_DEADLINE for all services together);
without one a call ends within ``max_wait_seconds + timeout``.

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
from geopy.adapters import BaseSyncAdapter, URLLibAdapter

from buurt.geo.addresses import HouseNumber, InvalidAddress, house_part, normalize_postcode
from buurt.geo.deadline import DeadlinePassed, WatchedRequestsAdapter, call_with_deadline
from buurt.geo.geocoding import GeocoderUnavailable
from buurt.geo.guard import Busy, CircuitBreaker, ConcurrencyCap, Slot

__all__ = [
    "Busy",
    "OnlineGeocoder",
    "SlotLimiter",
    "clean_postcode",
    "default_adapter_factory",
    "house_from_parts",
    "reading_rank",
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
    """requests with keep-alive but *no* urllib3 retries (those log URLs, i.e. addresses), and
    sockets that a call's hard deadline can cut (buurt.geo.deadline)."""
    if WatchedRequestsAdapter.is_available:
        return partial(WatchedRequestsAdapter, pool_connections=2, pool_maxsize=4, max_retries=0)
    return URLLibAdapter  # pragma: no cover - requests is a dependency of folium


class OnlineGeocoder:
    """Shared plumbing: a hard deadline per call, cap, breaker, rate limiting, own retries.

    One call (:meth:`_call`, the first attempt and any retries) ends by ``deadline`` (a ``clock``
    time, given by the chain: the request's budget for all online services together) and in any
    case within ``max_wait_seconds + timeout`` of its start:

    * the breaker is open (``breaker``): :class:`GeocoderUnavailable` ``"<name>: breaker open"``
      at once;
    * the cap is full (``cap``, shared by the chain's services): ``"<name>: busy"`` at once;
    * no turn at the service within ``max_wait_seconds`` (and before the deadline): ``"busy"``;
    * the HTTP call runs on its own thread (:func:`~buurt.geo.deadline.call_with_deadline`) and is
      cut off at the deadline, however slowly the server trickles: ``"<name>: GeocoderTimedOut
      (deadline)"``; its place under the cap is held until that thread has ended.

    Errors and deadline cut-offs count as failures for the breaker, answers (also "not found")
    as successes; a caller that never got to ask the service counts as neither.
    """

    name = "online"
    online = True

    def __init__(
        self,
        *,
        min_delay_seconds: float,
        max_retries: int,
        retry_wait_seconds: float,
        max_wait_seconds: float,
        timeout: float,
        cap: ConcurrencyCap | None = None,
        breaker: CircuitBreaker | None = None,
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
        self.timeout = timeout
        self.cap = cap
        self.breaker = breaker
        self.limiter = SlotLimiter(min_delay_seconds, clock=clock, sleep=sleep)

    def _fetch(self, request: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _unavailable(self, why: str) -> GeocoderUnavailable:
        return GeocoderUnavailable(detail=f"{self.name}: {why}")

    def _call(self, request: Any, deadline: float | None = None, *, paced: bool = True) -> Any:
        """One request to the service (see the class docstring). ``paced=False`` skips the wait for a
        turn: for the next page of a lookup that already had its turn (PDOK paging a block of flats),
        which the rate limit must not push past the request's deadline; cap, breaker and deadline
        still apply."""
        clock = self.limiter.clock
        start = clock()
        end = start + self.max_wait_seconds + self.timeout
        if deadline is not None:
            end = min(end, deadline)
        if end <= start:
            raise self._unavailable("no time left")
        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            logger.info("%s geocoder skipped: breaker open", self.name)
            raise self._unavailable("breaker open")
        try:
            slot = self.cap.take() if self.cap is not None else None
        except Busy:
            if breaker is not None:
                breaker.not_tried()
            logger.warning("%s geocoder busy: %d online calls already running", self.name, self.cap.limit)
            raise self._unavailable("busy") from None
        asked = answered = False
        try:
            wait_deadline = min(start + self.max_wait_seconds, end)
            attempt = 0
            while True:
                try:
                    if paced or attempt:
                        self.limiter.wait(wait_deadline)
                except Busy:
                    logger.warning("%s geocoder busy: no turn within %.1f s", self.name, self.max_wait_seconds)
                    raise self._unavailable("busy") from None
                asked = True
                try:
                    result = self._fetch_by(request, end, slot)
                except DeadlinePassed:
                    logger.warning("%s geocoder cut off at the deadline", self.name)
                    raise self._unavailable("GeocoderTimedOut (deadline)") from None
                except Exception as exc:  # a garbled answer (geopy may trip over it) is no 500 either
                    retryable = isinstance(exc, geopy.exc.GeopyError) and not isinstance(exc, _NOT_RETRYABLE)
                    if (
                        retryable
                        and attempt < self.max_retries
                        and clock() + self.retry_wait_seconds <= wait_deadline + _EPSILON
                    ):
                        attempt += 1
                        logger.info(
                            "%s geocoder: %s, retry %d/%d", self.name, type(exc).__name__, attempt, self.max_retries
                        )
                        if self.retry_wait_seconds > 0:
                            self.limiter.sleep(self.retry_wait_seconds)
                        continue
                    logger.warning("%s geocoder unavailable: %s", self.name, type(exc).__name__)
                    # not the text: a geopy error quotes the URL, and so the address asked for
                    raise self._unavailable(type(exc).__name__) from None
                answered = True
                return result
        finally:
            if breaker is not None:
                if answered:
                    breaker.succeeded()
                elif asked:
                    breaker.failed()
                else:
                    breaker.not_tried()
            if slot is not None:
                slot.release()

    def _fetch_by(self, request: Any, end: float, slot: Slot | None) -> Any:
        """:meth:`_fetch` on its own thread, cut off at ``end``; that thread holds ``slot`` too."""
        if slot is not None:
            slot.hold()
        return call_with_deadline(
            partial(self._fetch, request), end - self.limiter.clock(), on_end=slot.release if slot else None
        )


def house_from_parts(number: Any, letter: Any, addition: Any) -> HouseNumber | None:
    try:
        number_int = int(str(number).strip())
        return HouseNumber(number_int, house_part(str(letter or "")), house_part(str(addition or "")))
    except (TypeError, ValueError):
        return None


def reading_rank(wanted: HouseNumber, found: HouseNumber | None, *, found_is_text: bool = False) -> int | None:
    """Which reading of the typed house ``found`` is (0: as typed), or None when it is none of them.

    "105-H", "105 H" and "105H" may mean huisletter H or toevoeging H (``HouseNumber.readings``);
    an online answer for either is the house asked for, the typed reading preferred. A BAG answer
    (PDOK) says which one it is; a house number read from text (OSM's ``addr:housenumber``,
    ``found_is_text``) is as ambiguous as the typed one, so every reading of it counts.
    """
    if found is None or found.number != wanted.number:
        return None
    readings = wanted.readings()
    candidates = found.readings() if found_is_text else (found,)
    ranks = [readings.index(candidate) for candidate in candidates if candidate in readings]
    return min(ranks) if ranks else None


def clean_postcode(value: Any) -> str | None:
    try:
        return normalize_postcode(str(value)) if value else None
    except InvalidAddress:
        return None
