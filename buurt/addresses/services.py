"""Geocoding through the configured chain, with the database address register as first step.

Every address an online geocoder finds is stored in the register, so each is fetched once, and
kept a while in this process's memory with the "not found" answers (buurt.geo.recent).
`geocode` may ask online services, within GEOCODER_TOTAL_DEADLINE, the cap and the breakers
(buurt.geo.guard); `geocode_for_signup` never does: a sign-up is placed from the register or a
recent answer, or stored to be geocoded later (issue 12).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from functools import lru_cache

from flask import current_app, g, has_request_context
from sqlalchemy import and_, bindparam, false, func, or_, select

from buurt import caching
from buurt.extensions import db
from buurt.geo.addresses import normalize_street
from buurt.geo.chain import GeocoderChain, build_chain
from buurt.geo.geocoding import (
    ONLINE_SOURCES,
    SOURCE_REGISTER,
    AddressQuery,
    GeocodeResult,
    GeocoderUnavailable,
)
from buurt.geo.recent import MISSING, RecentAnswers, address_key
from buurt.geo.register import Entry, MemoryRegister, choice_among, pick, result_of
from buurt.geo.register_io import AddressRecord
from buurt.models import Address
from buurt.ops import metrics

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


# ``Address.source`` of the rows an online geocoder answered (kept by `store_result`) is one of
# ONLINE_SOURCES (buurt.geo.geocoding): the cache of addresses somebody looked up. Every other
# source is imported register data ("bag-csv", "geojson", "demo", or `addresses import --source`).


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


#: Snapshot mode keeps at most this many built results (the addresses looked up since the snapshot
#: was loaded), so a long-running worker does not grow a second copy of the register.
HITS_KEPT = 20_000

SNAPSHOT = "snapshot"
SQL = "sql"

_t = Address.__table__
#: What an SQL-mode lookup reads, in the order `_entries` expects; "a" is the postcode or street.
_LOOKUP_COLUMNS = (_t.c.house_letter, _t.c.house_addition, _t.c.postcode, _t.c.house_number, _t.c.street,
                   _t.c.place, _t.c.lat, _t.c.lon, _t.c.source)  # fmt: skip
# the unique index (postcode, house_number, house_letter, house_addition) answers this one,
_AT_POSTCODE = select(*_LOOKUP_COLUMNS).where(_t.c.postcode == bindparam("a"), _t.c.house_number == bindparam("n"))
# and ix_address_street_norm_number this one
_ON_STREET = select(*_LOOKUP_COLUMNS).where(_t.c.street_norm == bindparam("a"), _t.c.house_number == bindparam("n"))


@lru_cache(maxsize=16)
def _compiled(statement, dialect) -> tuple[str, bool]:
    """SQL text for the DBAPI, and whether it takes its parameters as a tuple ("a", then "n") —
    the positional paramstyles — rather than as a dict (``pyformat``, psycopg's)."""
    compiled = statement.compile(dialect=dialect)
    order = compiled.positiontup
    if order is not None and list(order) != ["a", "n"]:
        raise RuntimeError(f"unexpected parameter order {order}")
    return compiled.string, order is not None


def _rows(engine, statement, a: str, number: int) -> list[tuple]:
    """Rows of one indexed lookup, on the session's own connection (same transaction).

    Through the raw DBAPI cursor with SQL compiled once per dialect: a lookup is then one prepared
    statement (sqlite3's statement cache, psycopg's automatic prepare) and a few microseconds of
    Python, which is what lets the SQL mode answer 20,000+ lookups a second from a register of a
    million addresses (Core costs ~4x as much per statement, the ORM far more).
    """
    connection = db.session().connection(bind_arguments={"bind": engine})  # the bind given: no search
    sql, positional = _compiled(statement, engine.dialect)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, (a, number) if positional else {"a": a, "n": number})
        return cursor.fetchall()
    finally:
        cursor.close()


def _find(rows: list[tuple], number: int, letter: str | None, addition: str | None) -> GeocodeResult | None:
    """`pick` on `_rows` output, with the common case (the house as typed, or the only one at a
    bare number) answered straight from the row."""
    letter_key, addition_key = (letter or "").strip().upper(), (addition or "").strip().upper()
    exact = [row for row in rows if row[0] == letter_key and row[1] == addition_key]
    if len(exact) != 1 and not letter_key and not addition_key and len(rows) == 1:
        exact = rows
    if len(exact) == 1:
        return result_of(*_entries(exact)[0][2:])
    if not rows:
        return None
    # The other readings (105-H as 105h), and a bare number counted among the imported addresses.
    return pick(_entries(rows), number, letter, addition)


def _entries(rows: list[tuple]) -> list[Entry]:
    """Register entries of `_rows` output; a cached online answer keeps its service as source."""
    entries: list[Entry] = []
    for letter, addition, postcode, number, street, place, lat, lon, source in rows:
        letter = letter.upper() if letter else None
        addition = addition.upper() if addition else None
        record = AddressRecord(postcode, number, letter, addition, street, place, lat, lon)
        entries.append((letter, addition, record, source if source in ONLINE_SOURCES else SOURCE_REGISTER))
    return entries


def _at_postcode(engine, postcode: str, number: int) -> list[tuple]:
    return _rows(engine, _AT_POSTCODE, postcode, number)


def _on_street(engine, street_normalized: str, number: int, place: str | None) -> list[tuple]:
    rows = _rows(engine, _ON_STREET, street_normalized, number)
    if place:
        wanted = place.casefold()
        rows = [row for row in rows if row[5].casefold() == wanted]
    return rows


def count_up_to(limit: int) -> int:
    """The number of addresses, counted no further than ``limit + 1``: the cost of deciding the
    register's mode stays bounded however large the register is."""
    some = db.select(Address.id).limit(limit + 1).subquery()
    return db.session.scalar(db.select(func.count()).select_from(some)) or 0


class DbRegister:
    """The database address register (implements buurt.geo.geocoding.AddressRegister).

    Two modes, decided per ``addresses`` revision (buurt.caching) from a bounded count, so every
    process decides the same for the same register and the decision costs at most
    ADDRESS_SNAPSHOT_MAX index entries, never a read of the whole table:

    * ``snapshot`` (up to ADDRESS_SNAPSHOT_MAX addresses): lookups are answered from an in-memory
      MemoryRegister of the imported register (~1.1 KB an address in each worker), reloaded when
      the revision moves. A miss asks the database (an address added since the snapshot, or an
      online answer kept in the register: those do not move the revision, see buurt.caching).
    * ``sql`` (more addresses): every lookup is one indexed query (see `_rows`); nothing of the
      register is kept in memory, so a worker's memory does not grow with the register.

    A request reads the revision once, so an import or a corrected address made by another worker
    is seen on the next request; outside a request (command line, benchmarks) the revision is read
    every `ttl` seconds. Choices list imported addresses only: from the snapshot, or the database.
    """

    def __init__(self, ttl: float = 300.0, snapshot_max: int | None = None):
        self.ttl = ttl
        self.snapshot_max = snapshot_max  # None: the app's ADDRESS_SNAPSHOT_MAX
        self._snapshot: MemoryRegister | None = None
        self._mode: str | None = None
        self._revision: int | None = None
        self._checked_at = 0.0
        self._hits: dict[tuple, GeocodeResult] = {}  # results built once per snapshot
        self._lock = threading.Lock()  # one load at a time: two would hold two snapshots
        self._engine = None  # the app's engine, taken when the mode is decided

    def invalidate(self) -> None:
        self._snapshot = None
        self._mode = None
        self._revision = None
        self._hits = {}

    @property
    def mode(self) -> str:
        """``snapshot`` or ``sql``, for the current revision."""
        self._memory()
        return self._mode or SNAPSHOT

    def _limit(self) -> int:
        if self.snapshot_max is not None:
            return self.snapshot_max
        return int(current_app.config["ADDRESS_SNAPSHOT_MAX"])

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

    def _memory(self) -> MemoryRegister | None:
        """The snapshot, or None in SQL mode."""
        revision = self._current_revision()
        if self._mode is not None and revision == self._revision:
            return self._snapshot
        with self._lock:
            if self._mode is None or revision != self._revision:
                self._snapshot, self._hits = None, {}  # the old snapshot goes before the new one comes
                self._engine = db.engine
                limit = self._limit()
                if count_up_to(limit) > limit:
                    self._mode = SQL
                else:
                    # Imported addresses only: cached online answers come and go without a new
                    # revision (every lookup would reload every worker's snapshot) and are found by
                    # the database fallback of a miss, so a purged one is gone at once.
                    imported = db.select(*ADDRESS_COLUMNS, Address.source).where(imported_only())
                    self._snapshot = _register_of(db.session.execute(imported))
                    self._mode = SNAPSHOT
                self._revision = revision
            return self._snapshot

    def find_exact(self, postcode: str, number: int, letter: str | None, addition: str | None):
        memory = self._memory()
        if memory is not None:
            key = (postcode, number, letter, addition)
            hit = self._hits.get(key)
            if hit is not None:
                return hit
            hit = memory.find_exact(postcode, number, letter, addition)
            if hit is not None:
                if len(self._hits) >= HITS_KEPT:
                    self._hits = {}
                self._hits[key] = hit
                return hit
        return _find(_at_postcode(self._engine, postcode, number), number, letter, addition)

    def find_by_street(self, street_normalized: str, number: int, letter, addition, place):
        memory = self._memory()
        if memory is not None:
            hit = memory.find_by_street(street_normalized, number, letter, addition, place)
            if hit is not None:
                return hit
        return _find(_on_street(self._engine, street_normalized, number, place), number, letter, addition)

    # A choice lists imported addresses only, which is exactly what a snapshot holds (and an import
    # moves the revision): in snapshot mode it costs no query.

    def choice_at(self, postcode: str, number: int):
        memory = self._memory()
        if memory is not None:
            return memory.choice_at(postcode, number)
        return choice_among(_entries(_at_postcode(self._engine, postcode, number)))

    def choice_on_street(self, street_normalized: str, number: int, place: str | None):
        memory = self._memory()
        if memory is not None:
            return memory.choice_on_street(street_normalized, number, place)
        return choice_among(_entries(_on_street(self._engine, street_normalized, number, place)))


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
            on_unavailable=metrics.geocoder_error,  # /metrics: errors by service and kind
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


def near_current_areas(margin_m: float = 0.0, neighbourhood_id: int | None = None):
    """A WHERE clause for the addresses inside the bounding box of each neighbourhood's current
    areas (widened by ``margin_m``), or of one neighbourhood's (``neighbourhood_id``): what a page
    about the neighbourhood reads of a register that may hold a province or the whole country.
    ix_address_lat_lon makes it a range scan."""
    from shapely.geometry import shape

    from buurt.areas.services import current_areas

    boxes: dict[int, list[float]] = {}
    for info in current_areas().areas:
        if neighbourhood_id is not None and info.neighbourhood_id != neighbourhood_id:
            continue
        min_lon, min_lat, max_lon, max_lat = shape(info.geometry).bounds
        box = boxes.setdefault(info.neighbourhood_id, [min_lat, max_lat, min_lon, max_lon])
        box[:] = [min(box[0], min_lat), max(box[1], max_lat), min(box[2], min_lon), max(box[3], max_lon)]
    if not boxes:
        return false()
    lat_margin = margin_m / 111_000  # metres per degree of latitude
    clauses = []
    for min_lat, max_lat, min_lon, max_lon in boxes.values():
        lon_margin = margin_m / (111_000 * max(0.1, math.cos(math.radians(max(abs(min_lat), abs(max_lat))))))
        clauses.append(
            and_(
                Address.lat.between(min_lat - lat_margin, max_lat + lat_margin),
                Address.lon.between(min_lon - lon_margin, max_lon + lon_margin),
            )
        )
    return or_(*clauses)


def streets_by_group() -> dict[int, list[tuple[str, int]]]:
    """Street names per group id with the number of register addresses in it, from the imported
    register only: the addresses online geocoders answered are somebody's lookup, not public.

    Reads only the addresses in the areas' bounding boxes (`near_current_areas`), not the register.
    """
    import numpy as np

    from buurt.areas.services import current_areas

    rows = db.session.execute(
        db.select(Address.street, Address.lat, Address.lon).where(imported_only(), near_current_areas())
    ).all()
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
