"""Per-process caches that stay true across processes.

A gunicorn worker (or another machine) keeps the current areas, their group names, capacities
and contacts in memory. Every transaction that changes one of the tables behind them bumps the
``areas`` revision (a row in the database) before it commits; every use of the cache reads that
revision and rebuilds when it moved. So a rename in one process shows in every other process on
its next request, with one small indexed read per request.

The bump is automatic: a session hook sees ORM changes (flush) and ORM-enabled bulk INSERT, UPDATE
and DELETE statements on the watched models, so no service can forget it (Core statements on a
table pass no session hook: their caller bumps, as the address import does).

Caches of pages built from that data (``process_cache``) live in ``app.extensions``, are bounded
in size and keyed on the revisions they were built from, so the same rule holds for them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from buurt.geo.geocoding import ONLINE_SOURCES
from buurt.models import Address, Area, BoundaryGeneration, Group, Incident, Neighbourhood, Revision

AREAS = "areas"
ADDRESSES = "addresses"
INCIDENTS = "incidents"
#: models whose rows feed each cache: the current areas (names, capacities, contacts, geometry,
#: current generation), the address register's snapshot, and the public incident picture
WATCHED = {
    AREAS: (Area, BoundaryGeneration, Group, Neighbourhood),
    ADDRESSES: (Address,),
    INCIDENTS: (Incident,),
}


@cache
def _read_statement(name: str):
    t = Revision.__table__
    return select(t.c.value).where(t.c.name == name)


def read_revision(session, name: str = AREAS) -> int:
    """The current revision of `name` (0 when it was never bumped)."""
    return session.execute(_read_statement(name)).scalar() or 0


@cache
def _read_many_statement(names: tuple[str, ...]):
    t = Revision.__table__
    return select(t.c.name, t.c.value).where(t.c.name.in_(names))


def read_revisions(session, *names: str) -> tuple[int, ...]:
    """The current revisions of `names`, in that order, with one query (0 for one never bumped)."""
    values = dict(session.execute(_read_many_statement(names)).all())
    return tuple(values.get(name) or 0 for name in names)


class BoundedCache:
    """A small key -> value map for one process; past `size` entries the least recently used goes.

    Safe to share between a worker's threads. Keys must hold every revision the value was built
    from (see the module docstring): this class never asks the database whether a value is stale.
    """

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


def process_cache(name: str, size: int = 16) -> BoundedCache:
    """The current app's per-process cache `name` (``app.extensions["buurt.cache.<name>"]``)."""
    return current_app.extensions.setdefault(f"buurt.cache.{name}", BoundedCache(size))


def bump(session, name: str = AREAS) -> None:
    """Increment the revision of `name` inside the session's transaction.

    Runs on the session's connection (no autoflush: it is called from inside a flush). The row is
    created by the migration; should it be missing, it is inserted race-free (ON CONFLICT DO NOTHING).
    """
    t = Revision.__table__
    conn = session.connection()
    increment = update(t).where(t.c.name == name).values(value=t.c.value + 1)
    if conn.execute(increment).rowcount:
        return
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(t).values(name=name, value=0).on_conflict_do_nothing(index_elements=[t.c.name]))
    conn.execute(increment)


def _feeds_cache(obj) -> bool:
    """A proposal (an inactive generation never activated) is not in any cache: saving one costs
    nothing. Nor is an online answer kept in the address register: the register snapshot, the street
    list and the public grid hold imported addresses only, and a bump per lookup would make every
    worker reload its snapshot (seconds at 100,000 addresses) after each new address looked up."""
    if isinstance(obj, Address):
        return obj.source not in ONLINE_SOURCES
    return not (isinstance(obj, BoundaryGeneration) and obj.activated_at is None and not obj.is_current)


def _touched(objects, kinds) -> bool:
    return any(isinstance(obj, kinds) and _feeds_cache(obj) for obj in objects)


def _watched_names(session: Session) -> list[str]:
    dirty = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    changed = [*session.new, *dirty, *session.deleted]
    return [name for name, kinds in WATCHED.items() if _touched(changed, kinds)]


def init_app(app) -> None:
    """Install the session hooks once per process (they serve every app and session)."""
    if getattr(init_app, "_installed", False):
        return

    @event.listens_for(Session, "before_flush")
    def _bump_on_flush(session, _context, _instances):
        for name in _watched_names(session):
            if not session.info.get(f"bumped:{name}"):
                bump(session, name)
                session.info[f"bumped:{name}"] = True

    @event.listens_for(Session, "after_transaction_end")
    def _reset(session, transaction):
        if transaction.parent is None:
            for key in [k for k in session.info if k.startswith("bumped:")]:
                del session.info[key]

    @event.listens_for(Session, "do_orm_execute")
    def _bump_on_bulk(state):
        if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
            return
        target = state.bind_mapper.class_
        for name, kinds in WATCHED.items():
            if issubclass(target, kinds) and not state.session.info.get(f"bumped:{name}"):
                bump(state.session, name)
                state.session.info[f"bumped:{name}"] = True

    init_app._installed = True
