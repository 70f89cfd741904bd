"""Geocoding through the configured chain, with the database address register as first step.

Every address an online geocoder finds is stored in the register, so each is fetched once, and
kept a while in this process's memory with the "not found" answers (buurt.geo.recent).
`geocode` may ask online services, within GEOCODER_TOTAL_DEADLINE, the cap and the breakers
(buurt.geo.guard); `geocode_for_signup` never does: a sign-up is placed from the register or a
recent answer, or stored to be geocoded later (issue 12).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from flask import current_app, g, has_request_context
from sqlalchemy import func

from buurt import caching
from buurt.extensions import db
from buurt.geo.addresses import normalize_street
from buurt.geo.chain import GeocoderChain, build_chain
from buurt.geo.geocoding import (
    SOURCE_NOMINATIM,
    SOURCE_PDOK,
    SOURCE_REGISTER,
    AddressQuery,
    GeocodeResult,
    GeocoderUnavailable,
)
from buurt.geo.recent import MISSING, RecentAnswers, address_key
from buurt.geo.register import MemoryRegister
from buurt.geo.register_io import AddressRecord
from buurt.models import Address

log = logging.getLogger(__name__)

__all__ = [
    "ONLINE_SOURCES",
    "DbRegister",
    "GeocoderUnavailable",
    "geocode",
    "geocode_for_signup",
    "imported_only",
]


ADDRESS_COLUMNS = (
    Address.postcode,
    Address.house_number,
    Address.house_letter,
    Address.house_addition,
    Address.street,
    Address.place,
    Address.lat,
    Address.lon,
)


#: ``Address.source`` of the rows an online geocoder answered (kept by `store_result`): the cache of
#: addresses somebody looked up. Every other source is imported register data ("bag-csv", "geojson",
#: "demo", or what `flask buurt addresses import --source` was given).
ONLINE_SOURCES = (SOURCE_PDOK, SOURCE_NOMINATIM)


def imported_only():
    """A WHERE clause for the imported register only: what is public (the street list) must not
    change when somebody looks up an address (issue 13, finding 8)."""
    return Address.source.not_in(ONLINE_SOURCES)


def _records(rows) -> Iterator[AddressRecord]:
    for postcode, number, letter, addition, street, place, lat, lon in rows:
        yield AddressRecord(postcode, number, letter or None, addition or None, street, place, lat, lon)


def _register_of(rows) -> MemoryRegister:
    """A MemoryRegister of (`ADDRESS_COLUMNS`..., source) rows.

    An imported address answers as "register"; a cached online answer as the service that gave it,
    so the second lookup of an address says what the first said (no answer may tell whether the
    address was looked up before; issue 13, finding 8).
    """
    memory = MemoryRegister()
    for *values, source in rows:
        (record,) = _records([values])
        memory.add(record, source=source if source in ONLINE_SOURCES else SOURCE_REGISTER)
    return memory


class DbRegister:
    """The database address register (implements buurt.geo.geocoding.AddressRegister).

    Lookups are answered from an in-memory snapshot of the whole register (a MemoryRegister,
    about 300 bytes an address; ~1 s to load 100,000), keyed on the ``addresses`` revision
    (buurt.caching) that every change to the register bumps, in any process. A request reads the
    revision once, so an import or a corrected address made by another worker is seen on the next
    request; outside a request (command line, benchmarks) the revision is read every `ttl` seconds.
    A miss falls back to the database.
    """

    def __init__(self, ttl: float = 300.0):
        self.ttl = ttl
        self._snapshot: MemoryRegister | None = None
        self._revision: int | None = None
        self._checked_at = 0.0
        self._hits: dict[tuple, GeocodeResult] = {}  # results built once per snapshot

    def invalidate(self) -> None:
        self._snapshot = None
        self._revision = None
        self._hits = {}

    def _current_revision(self) -> int:
        if has_request_context():
            seen = g.get("buurt_addresses_revision")
            if seen is None:
                seen = g.buurt_addresses_revision = caching.read_revision(db.session, caching.ADDRESSES)
            return seen
        now = time.monotonic()
        if self._revision is None or now - self._checked_at > self.ttl:
            self._checked_at = now
            return caching.read_revision(db.session, caching.ADDRESSES)
        return self._revision

    def _memory(self) -> MemoryRegister:
        revision = self._current_revision()
        if self._snapshot is None or revision != self._revision:
            self._snapshot = _register_of(db.session.execute(db.select(*ADDRESS_COLUMNS, Address.source)))
            self._revision = revision
            self._hits = {}
        return self._snapshot

    def find_exact(self, postcode: str, number: int, letter: str | None, addition: str | None):
        key = (postcode, number, letter, addition)
        memory = self._memory()
        hit = self._hits.get(key)
        if hit is not None:
            return hit
        hit = memory.find_exact(postcode, number, letter, addition)
        if hit is not None:
            self._hits[key] = hit
            return hit
        rows = db.session.execute(
            db.select(*ADDRESS_COLUMNS, Address.source).filter_by(postcode=postcode, house_number=number)
        )
        return _register_of(rows).find_exact(postcode, number, letter, addition)

    def find_by_street(self, street_normalized: str, number: int, letter, addition, place):
        hit = self._memory().find_by_street(street_normalized, number, letter, addition, place)
        if hit is not None:
            return hit
        rows = db.session.execute(
            db.select(*ADDRESS_COLUMNS, Address.source).filter_by(street_norm=street_normalized, house_number=number)
        )
        return _register_of(rows).find_by_street(street_normalized, number, letter, addition, place)

    def choice_at(self, postcode: str, number: int):
        rows = db.session.execute(
            db.select(*ADDRESS_COLUMNS, Address.source).filter_by(postcode=postcode, house_number=number)
        )
        return _register_of(rows).choice_at(postcode, number)

    def choice_on_street(self, street_normalized: str, number: int, place: str | None):
        rows = db.session.execute(
            db.select(*ADDRESS_COLUMNS, Address.source).filter_by(street_norm=street_normalized, house_number=number)
        )
        return _register_of(rows).choice_on_street(street_normalized, number, place)


def store_result(query: AddressQuery, result: GeocodeResult) -> None:
    """Keep an online answer in the register (idempotent)."""
    if not (result.postcode and result.house_number and result.street):
        return
    house = result.house_number
    existing = db.session.scalar(
        db.select(Address).filter_by(
            postcode=result.postcode,
            house_number=house.number,
            house_letter=(house.letter or "").upper(),
            house_addition=(house.addition or "").upper(),
        )
    )
    if existing is None:
        db.session.add(
            Address(
                postcode=result.postcode,
                house_number=house.number,
                house_letter=(house.letter or "").upper(),
                house_addition=(house.addition or "").upper(),
                street=result.street,
                street_norm=normalize_street(result.street),
                place=result.place or "",
                lat=result.lat,
                lon=result.lon,
                source=result.source,
            )
        )
        db.session.commit()


_chain_lock = threading.Lock()


def _chain() -> GeocoderChain:
    """One chain per process and configuration (online geocoders keep their limiters, cap and breakers)."""
    cfg = current_app.config
    key = (
        tuple(cfg["GEOCODER_CHAIN"]),
        cfg["PDOK_URL"],
        cfg["NOMINATIM_URL"],
        cfg["GEOCODER_TIMEOUT"],
        cfg["GEOCODER_MIN_DELAY"],
        cfg["GEOCODER_MAX_WAIT"],
        cfg["GEOCODER_TOTAL_DEADLINE"],
        cfg["GEOCODER_MAX_CONCURRENT"],
        cfg["GEOCODER_BREAKER_FAILURES"],
        cfg["GEOCODER_BREAKER_COOLDOWN"],
        cfg["PDOK_ROWS"],
        cfg["PDOK_MAX_HOUSES"],
    )
    cache = current_app.extensions.setdefault("buurt.geocoder", {})
    if cache.get("key") == key:
        return cache["chain"]
    with _chain_lock:  # one chain for all threads: two would mean two caps, breakers and limiters
        if cache.get("key") == key:
            return cache["chain"]
        cache["register"] = cache.get("register") or DbRegister()
        cache["chain"] = build_chain(
            list(cfg["GEOCODER_CHAIN"]),
            register=cache["register"],
            user_agent=cfg["GEOCODER_USER_AGENT"],
            timeout=cfg["GEOCODER_TIMEOUT"],
            pdok_url=cfg["PDOK_URL"],
            nominatim_url=cfg["NOMINATIM_URL"],
            min_delay_seconds=cfg["GEOCODER_MIN_DELAY"],
            max_wait_seconds=cfg["GEOCODER_MAX_WAIT"],
            on_online_result=_keep_online_result,
            total_deadline_seconds=cfg["GEOCODER_TOTAL_DEADLINE"],
            max_concurrent=cfg["GEOCODER_MAX_CONCURRENT"],
            breaker_failures=cfg["GEOCODER_BREAKER_FAILURES"],
            breaker_cooldown_seconds=cfg["GEOCODER_BREAKER_COOLDOWN"],
            pdok_rows=cfg["PDOK_ROWS"],
            pdok_max_houses=cfg["PDOK_MAX_HOUSES"],
        )
        cache["key"] = key
        return cache["chain"]


def recent_answers() -> RecentAnswers:
    """This process's recent online answers (GEOCODER_RECENT_TTL, GEOCODER_RECENT_SIZE)."""
    cfg = current_app.config
    cache = current_app.extensions.setdefault("buurt.geocoder", {})
    recent = cache.get("recent")
    ttl, size = float(cfg["GEOCODER_RECENT_TTL"]), int(cfg["GEOCODER_RECENT_SIZE"])
    if recent is None or (recent.ttl_seconds, recent.max_size) != (ttl, size):
        with _chain_lock:
            recent = cache.get("recent")
            if recent is None or (recent.ttl_seconds, recent.max_size) != (ttl, size):
                recent = cache["recent"] = RecentAnswers(ttl_seconds=ttl, max_size=size)
    return recent


def _keep_online_result(query: AddressQuery, result: GeocodeResult) -> None:
    """An online hit: kept in memory for the sign-up that follows, and stored in the register."""
    recent = recent_answers()
    recent.put(address_key(query.postcode, query.house), result)
    recent.put(address_key(result.postcode, result.house_number), result)
    store_result(query, result)


def register() -> DbRegister:
    """This process's register (with its snapshot)."""
    _chain()
    return current_app.extensions["buurt.geocoder"]["register"]


def invalidate_register() -> None:
    """Drop this process's snapshot after the register changed (imports, demo data)."""
    cached = current_app.extensions.get("buurt.geocoder", {}).get("register")
    if cached is not None:
        cached.invalidate()


def geocode(query: AddressQuery) -> GeocodeResult | None:
    """Coordinates for an address; None if unknown; raises GeocoderUnavailable if a service is down.

    May ask online services: at most GEOCODER_TOTAL_DEADLINE seconds in all, and unavailable at
    once when GEOCODER_MAX_CONCURRENT calls are running or a service's breaker is open.
    """
    chain = _chain()
    result = chain.geocode(query)
    if result is None and chain.has_online:  # every service answered: a real "not found"
        recent_answers().put(address_key(query.postcode, query.house), None)
    return result


def geocode_for_signup(query: AddressQuery) -> GeocodeResult | None:
    """Like `geocode`, but never asks an online service: a sign-up does not wait on one.

    The register, then a recent online answer for the same postcode + house (the resident's own
    lookup, usually); None when that answer was "not found", or when no online service is
    configured (nothing later could find it either). Otherwise raises GeocoderUnavailable at once:
    the sign-up is stored as TO_GEOCODE and placed later (buurt.residents.geocode_later).
    """
    chain = _chain()
    for geocoder in chain.geocoders:
        if not getattr(geocoder, "online", True) and (hit := geocoder.geocode(query)) is not None:
            return hit
    kept = recent_answers().get(address_key(query.postcode, query.house))
    if kept is not MISSING:
        return kept
    if not chain.has_online:
        return None
    raise GeocoderUnavailable(detail="sign-up: not in the register; geocoded later")


def register_size() -> int:
    return db.session.scalar(db.select(func.count(Address.id))) or 0


def streets_by_group() -> dict[int, list[tuple[str, int]]]:
    """Street names per group id with the number of register addresses in it, from the imported
    register only: the addresses online geocoders answered are somebody's lookup, not public."""
    import numpy as np

    from buurt.areas.services import current_areas

    rows = db.session.execute(db.select(Address.street, Address.lat, Address.lon).where(imported_only())).all()
    if not rows:
        return {}
    areas = current_areas()
    positions = areas.index.locate_many(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    result: dict[int, dict[str, int]] = {}
    for (street, _lat, _lon), pos in zip(rows, positions, strict=True):
        if pos < 0:
            continue
        group_id = areas.areas[int(pos)].group_id
        streets = result.setdefault(group_id, {})
        streets[street] = streets.get(street, 0) + 1
    return {g: sorted(s.items()) for g, s in result.items()}
