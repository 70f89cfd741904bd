"""The geocoders in configured order: :class:`GeocoderChain` and :func:`build_chain`.

The chain hands online hits to a callback so the caller can store them in the register: each
address is fetched online at most once. It gives one call (one request's lookup) one budget for
all online services together (``total_deadline_seconds``): services add up no more.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from geopy.adapters import BaseSyncAdapter

from buurt.geo.geocoding import (
    SOURCE_NOMINATIM,
    SOURCE_PDOK,
    SOURCE_REGISTER,
    AddressQuery,
    AddressRegister,
    Geocoder,
    GeocodeResult,
    GeocoderUnavailable,
    HouseChoiceNeeded,
)
from buurt.geo.guard import CircuitBreaker, ConcurrencyCap
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.online import OnlineGeocoder
from buurt.geo.pdok import PDOKGeocoder
from buurt.geo.register import RegisterGeocoder

__all__ = ["GeocoderChain", "build_chain"]

logger = logging.getLogger(__name__)


class GeocoderChain:
    """Tries geocoders in order and returns the first hit.

    Raises :class:`GeocoderUnavailable` only when nothing was found *and* at least one
    geocoder could not answer (so the caller can retry later, e.g. ``flask buurt
    geocode-pending``); returns ``None`` when every geocoder answered "not found".
    Hits from online geocoders go to ``on_online_result(query, result)`` before being
    returned, so the caller can store them in the register; errors raised by the callback
    propagate. Each geocoder that could not answer goes to ``on_unavailable(name, detail)`` (the
    caller counts them: /metrics), also when a later one answers.

    A :class:`HouseChoiceNeeded` (the number exists, but not as typed: pick one) ends the chain
    wherever it comes from: the register (imported addresses) or PDOK (every address at the
    number). It is an answer, so no later geocoder is asked, and no hit, so nothing goes to
    ``on_online_result`` and nothing is stored.

    One :meth:`geocode` may spend at most ``total_deadline_seconds`` (``clock`` time) on the
    online services together: each :class:`~buurt.geo.online.OnlineGeocoder` is given what is
    left, and one asked when nothing is left counts as unavailable without being called.
    """

    name = "chain"
    online = False

    def __init__(
        self,
        geocoders: Sequence[Geocoder],
        on_online_result: Callable[[AddressQuery, GeocodeResult], None] | None = None,
        *,
        total_deadline_seconds: float = math.inf,
        clock: Callable[[], float] = time.monotonic,
        on_unavailable: Callable[[str, str], None] | None = None,
    ) -> None:
        self.geocoders = list(geocoders)
        self.on_online_result = on_online_result
        self.on_unavailable = on_unavailable
        self.total_deadline_seconds = total_deadline_seconds
        self.clock = clock

    @property
    def has_online(self) -> bool:
        """True when some geocoder in the chain asks a service on the internet."""
        return any(getattr(geocoder, "online", True) for geocoder in self.geocoders)

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """First hit in order; see class docstring for misses, unavailability and the deadline."""
        unavailable: list[str] = []
        deadline = self.clock() + self.total_deadline_seconds
        for geocoder in self.geocoders:
            try:
                if isinstance(geocoder, OnlineGeocoder):
                    result = geocoder.geocode(query, deadline=deadline)
                else:
                    result = geocoder.geocode(query)
            except GeocoderUnavailable as exc:
                unavailable.append(geocoder.name)
                if self.on_unavailable is not None:
                    self.on_unavailable(geocoder.name, exc.detail)
                logger.info("geocoder %s unavailable (%s); trying the next one", geocoder.name, exc.detail)
                continue
            except HouseChoiceNeeded as choice:
                logger.debug("choice of %d houses from %s", len(choice.choice.houses), geocoder.name)
                raise
            if result is None:
                continue
            logger.debug("geocoded by %s", geocoder.name)  # never the address, at no level
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
    max_wait_seconds: float = 2.0,
    on_online_result: Callable[[AddressQuery, GeocodeResult], None] | None = None,
    max_retries: int = 0,
    adapter_factory: Callable[..., BaseSyncAdapter] | None = None,
    total_deadline_seconds: float = math.inf,
    max_concurrent: int | None = None,
    breaker_failures: int | None = None,
    breaker_cooldown_seconds: float = 60.0,
    pdok_rows: int = 100,
    pdok_max_houses: int = 1000,
    clock: Callable[[], float] = time.monotonic,
    on_unavailable: Callable[[str, str], None] | None = None,
) -> GeocoderChain:
    """A chain from config names, e.g. ``["register", "pdok", "nominatim"]``.

    ``pdok_url`` is the API base (default ``https://api.pdok.nl/bzk/locatieserver/search/v3_1``,
    ``/free`` is appended); ``nominatim_url`` the server root (default
    ``https://nominatim.openstreetmap.org``, ``/search`` is appended). Unknown or repeated
    names, an empty list, ``"register"`` without a register and online services without a
    ``user_agent`` raise ``ValueError``. Each online service gets its own limiter: at most one
    call per ``min_delay_seconds``, and a caller whose turn is more than ``max_wait_seconds``
    away is told it is unavailable ("busy") at once, so one service costs a request at most
    ``max_wait_seconds + timeout`` and all of them together at most ``total_deadline_seconds``.
    ``max_concurrent`` caps the online calls at once over all services (one cap per chain; None:
    no cap); ``breaker_failures`` gives each online service a circuit breaker that skips it for
    ``breaker_cooldown_seconds`` after that many failures in a row (None: no breaker).
    ``pdok_rows`` (PDOK_ROWS, at most 100) docs per PDOK request, paged up to ``pdok_max_houses``
    (PDOK_MAX_HOUSES) addresses at one number. ``clock`` (monotonic seconds) is shared by the
    deadline, the limiters and the breakers. ``on_unavailable``: see :class:`GeocoderChain`.
    """
    if not names:
        raise ValueError("no geocoders configured")
    if len(set(names)) != len(names):
        raise ValueError(f"geocoder listed twice: {list(names)}")
    cap = ConcurrencyCap(max_concurrent) if max_concurrent is not None else None

    def breaker(name: str) -> CircuitBreaker | None:
        if breaker_failures is None:
            return None
        return CircuitBreaker(name, failures=breaker_failures, cooldown_seconds=breaker_cooldown_seconds, clock=clock)

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
                    max_wait_seconds=max_wait_seconds,
                    max_retries=max_retries,
                    adapter_factory=adapter_factory,
                    cap=cap,
                    breaker=breaker(name),
                    rows=pdok_rows,
                    max_houses=pdok_max_houses,
                    clock=clock,
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
                    max_wait_seconds=max_wait_seconds,
                    max_retries=max_retries,
                    adapter_factory=adapter_factory,
                    cap=cap,
                    breaker=breaker(name),
                    clock=clock,
                )
            )
        else:
            raise ValueError(f"unknown geocoder {name!r}; choose from register, pdok, nominatim")
    return GeocoderChain(
        geocoders,
        on_online_result=on_online_result,
        total_deadline_seconds=total_deadline_seconds,
        clock=clock,
        on_unavailable=on_unavailable,
    )
