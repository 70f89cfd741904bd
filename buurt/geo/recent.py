"""Recent online answers per address, in memory: :class:`RecentAnswers`.

A resident usually looks their address up (/welke-groep) a minute before signing up. A sign-up
never waits on an online geocoder (issue 12), so it is placed from the register, from this
cache of what an online service answered for the same postcode + house a short while ago, or
else stored to be geocoded later. Answers are kept ``ttl_seconds`` (30 minutes by default), at
most ``max_size`` of them (the oldest go first); a "not found" is an answer too.

Addresses and points are personal data: this lives in one process's memory only, is never
written anywhere and never logged. Pure: no Flask.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import GeocodeResult

__all__ = ["MISSING", "RecentAnswers", "address_key"]

#: :meth:`RecentAnswers.get` for an address it holds no (fresh) answer for
MISSING = object()

AddressKey = tuple[str, int, str, str]


def address_key(postcode: str | None, house: HouseNumber | None) -> AddressKey | None:
    """``(postcode, number, LETTER, ADDITION)`` for a normalised postcode and a house; None without both."""
    if not postcode or house is None:
        return None
    return (postcode, house.number, (house.letter or "").upper(), (house.addition or "").upper())


class RecentAnswers:
    """A bounded, expiring, thread-safe map from an address to its online answer (or None)."""

    def __init__(
        self, *, ttl_seconds: float = 1800.0, max_size: int = 2000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_size = max_size
        self.clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[AddressKey, tuple[float, GeocodeResult | None]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def put(self, key: AddressKey | None, answer: GeocodeResult | None) -> None:
        if key is None or self.max_size <= 0:
            return
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (self.clock() + self.ttl_seconds, answer)
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)

    def get(self, key: AddressKey | None) -> GeocodeResult | object | None:
        """The answer kept for ``key`` (a result, or None for "not found"), else :data:`MISSING`."""
        if key is None:
            return MISSING
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return MISSING
            expires, answer = item
            if expires <= self.clock():
                del self._items[key]
                return MISSING
            return answer
