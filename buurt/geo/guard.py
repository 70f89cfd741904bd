"""What keeps a slow or broken online geocoder from holding the site: a cap and a circuit breaker.

* :class:`ConcurrencyCap`: at most N online calls at once per process (all services together).
  A caller past the cap is refused at once (:class:`Busy`), never queued: a request thread that
  waits for a geocoder is a thread that cannot answer ``/health`` or a beheerder. A slot is held
  for as long as the call's own thread runs, so a call cut off at its deadline whose thread is
  still stuck (say, in a DNS lookup) keeps its slot and the cap still counts it.
* :class:`CircuitBreaker`: after ``failures`` consecutive failures (errors, timeouts, calls cut
  off at the deadline) a service is skipped for ``cooldown_seconds``; then exactly one caller
  makes a trial call (half-open): success closes the breaker, failure opens it for another
  cool-down. Thread-safe; the clock is injectable.

Why our own breaker and not a library: ``pybreaker`` (maintained) holds one lock for the whole
wrapped call, so concurrent calls through one breaker run one at a time: with a geocoder that
hangs, every request would queue on that lock, the very thing this module prevents; its clock
(``datetime.now``) cannot be injected either. ``circuitbreaker`` takes no locks at all (not
thread-safe; its half-open state lets every caller through). This class is ~60 lines and its lock
is only held to read or change the state, never during a call.

Pure: no Flask, no I/O.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "Busy", "CircuitBreaker", "ConcurrencyCap", "Slot"]

logger = logging.getLogger(__name__)


class Busy(Exception):
    """No room now: the slot limiter's next turn is past the deadline, or the cap is full."""


class Slot:
    """One place under a :class:`ConcurrencyCap`, given back when every holder has released it.

    The caller holds it from the start; a worker thread that runs the call takes a second hold
    (:meth:`hold`), so the place is free again only when the caller has stopped waiting *and*
    the worker has ended.
    """

    def __init__(self, cap: ConcurrencyCap) -> None:
        self._cap = cap
        self._holders = 1
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            if self._holders <= 0:
                raise RuntimeError("slot already given back")
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            last = self._holders == 0
        if last:
            self._cap._give_back()


class ConcurrencyCap:
    """At most ``limit`` slots taken at once; :meth:`take` never waits. Thread-safe."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("limit must be >= 0")
        self.limit = limit
        self._lock = threading.Lock()
        self._in_use = 0

    @property
    def in_use(self) -> int:
        with self._lock:
            return self._in_use

    def take(self) -> Slot:
        """A slot, or :class:`Busy` at once when all ``limit`` are taken."""
        with self._lock:
            if self._in_use >= self.limit:
                raise Busy
            self._in_use += 1
        return Slot(self)

    def _give_back(self) -> None:
        with self._lock:
            self._in_use -= 1


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Skip a service after ``failures`` failures in a row, for ``cooldown_seconds``; then one trial.

    Protocol: :meth:`allow` before a call (False: skip it, at once); after an allowed call exactly
    one of :meth:`succeeded`, :meth:`failed` or :meth:`not_tried` (the caller gave up before asking
    the service, e.g. it found no turn: that says nothing about the service).
    """

    def __init__(
        self,
        name: str,
        *,
        failures: int = 3,
        cooldown_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be >= 1")
        if cooldown_seconds < 0:
            raise ValueError("cooldown_seconds must be >= 0")
        self.name = name
        self.failures = failures
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._count = 0
        self._opened_at = -math.inf

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open state only the one trial caller may."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN and self.clock() - self._opened_at >= self.cooldown_seconds:
                self._state = BreakerState.HALF_OPEN
                logger.info("%s geocoder: cool-down over, one trial call", self.name)
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            if self._state is not BreakerState.CLOSED:
                logger.info("%s geocoder answers again: breaker closed", self.name)
            self._state = BreakerState.CLOSED
            self._count = 0

    def failed(self) -> None:
        with self._lock:
            self._count += 1
            if self._state is BreakerState.HALF_OPEN or self._count >= self.failures:
                self._state = BreakerState.OPEN
                self._opened_at = self.clock()
                logger.warning(
                    "%s geocoder: %d failure(s) in a row, skipped for %.0f s",
                    self.name,
                    self._count,
                    self.cooldown_seconds,
                )

    def not_tried(self) -> None:
        """An allowed caller did not call after all; a trial goes to the next caller."""
        with self._lock:
            if self._state is BreakerState.HALF_OPEN:
                self._state = BreakerState.OPEN  # opened_at unchanged: the cool-down is already over
