"""Rate limits that hold as configured: one count for all workers, and the real client behind a proxy.

Two defects made the limits in config.py a wish (issue 12, finding 5):

- ``memory://`` storage counts per process, so `make run`'s 2 gunicorn workers allowed twice
  every limit. The default storage is now ``buurt-db://``: counters in the app's own database
  (SQLite or PostgreSQL), one atomic upsert per hit in a connection and transaction of its own,
  so no extra service is needed and several machines on one PostgreSQL share the counts too.
  ``redis://...`` (BUURT_RATELIMIT_STORAGE_URI) is the faster choice where a Redis runs anyway.
- Behind a reverse proxy every request came from the proxy's address: one attacker used up the
  limit for everyone. TRUSTED_PROXIES > 0 wraps the app in werkzeug's ProxyFix, which takes the
  client address (X-Forwarded-For) and scheme (X-Forwarded-Proto) from that many proxies; with
  0 (the default) those headers are ignored, as anyone can send them.

Flask-Limiter keeps its storage on the (module-global) Limiter; :class:`AppLimiter` keeps it per
app instead, so two apps in one process (tests, a second app on the same database) each count in
their own configured store, as two workers do.

Counter keys never hold a client's IP address (issue 13): :func:`client_key` is a keyed hash of it
(HMAC with SECRET_KEY), so the rate_limit_counter table, a Redis dump or a log of either names no
visitor, while every request from one address still lands on one counter.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from limits.strategies import RateLimiter
from sqlalchemy import Engine, bindparam, case, create_engine, delete, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

EXTENSION = "buurt.ratelimit"
CLIENT_KEY_CHARS = 24  # 96 bits of HMAC-SHA256: no collisions among a town's visitors
ENGINE = "buurt.ratelimit.engine"  # the SQLite counter engine of an app
SWEEP_EVERY_S = 60.0  # expired counter rows are deleted at most this often per process


def client_key() -> str:
    """The limits' key for this client: a keyed hash of its address, never the address itself.

    The address is the peer's, or with TRUSTED_PROXIES what ProxyFix took from X-Forwarded-For.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    address = (get_remote_address() or "").encode()
    return "c-" + hmac.new(secret, address, hashlib.sha256).hexdigest()[:CLIENT_KEY_CHARS]


@dataclass(frozen=True)
class AppStore:
    """The storage and strategy Flask-Limiter built from one app's configuration."""

    storage: Storage
    strategy: RateLimiter


class AppLimiter(Limiter):
    """Flask-Limiter whose storage and strategy belong to the app handling the request."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if self.enabled:
            app.extensions[EXTENSION] = AppStore(storage=self._storage, strategy=self._limiter)

    def _app_store(self) -> AppStore | None:
        return current_app.extensions.get(EXTENSION) if has_app_context() else None

    @property
    def storage(self) -> Storage:
        own = self._app_store()
        return own.storage if own else super().storage

    @property
    def limiter(self) -> RateLimiter:
        own = self._app_store()
        if own is None or (self._storage_dead and self._in_memory_fallback_enabled):
            return super().limiter  # the in-memory fallback while the store is unreachable
        return own.strategy


def init_app(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto from exactly TRUSTED_PROXIES proxies (0: trust no header)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise ValueError("TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front of the app")
    if hops:
        # Not x_host/x_port/x_prefix: nginx passes the Host header itself (docs/deployment-gunicorn.md),
        # the site lives at /, and absolute links in mail come from SITE_URL, not from the request.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def _sqlite_counter_engine(engine: Engine) -> Engine:
    """Same file, synchronous=NORMAL: in WAL mode a commit no longer waits for fsync.

    Safe for the database (WAL with NORMAL cannot corrupt it); a power cut may forget the last
    counter hits, which is harmless. The app's own writes keep FULL on their own connections.
    """
    twin = create_engine(engine.url, hide_parameters=True)

    @event.listens_for(twin, "connect")
    def _normal_sync(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    return twin


class DatabaseStorage(Storage):
    """`limits` storage in the app's database (table rate_limit_counter), fixed-window strategy.

    ``buurt-db://`` means "the database of the app handling the request" (SQLALCHEMY_DATABASE_URI).
    Each call takes a pooled connection of its own and commits at once: a hit is never rolled
    back with the request, and on SQLite the write lock is held for one statement only.
    """

    STORAGE_SCHEME = ["buurt-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()
        self._upserts: dict[str, object] = {}

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine():
        """The app's engine; on SQLite a twin that commits without waiting for the disk (see below)."""
        engine = current_app.extensions["sqlalchemy"].engine
        if engine.dialect.name != "sqlite":
            return engine
        twin = current_app.extensions.get(ENGINE)
        if twin is None or twin.url != engine.url:
            twin = current_app.extensions[ENGINE] = _sqlite_counter_engine(engine)
        return twin

    @staticmethod
    def _table():
        from buurt.models.ratelimit import RateLimitCounter

        return RateLimitCounter.__table__

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count a hit: a live window grows, an expired or missing one starts again at ``amount``."""
        engine, now = self._engine(), time.time()
        values = {"key": key, "now": now, "amount": amount, "expires_at": now + expiry}
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # a counter lost in a crash costs nothing; waiting for the WAL flush costs every hit
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            count = conn.execute(self._upsert(engine.dialect.name), values).scalar_one()
        self._sweep(engine, self._table(), now)
        return count

    def _upsert(self, dialect: str):
        """INSERT ... ON CONFLICT DO UPDATE ... RETURNING count, built once per dialect (bound values)."""
        statement = self._upserts.get(dialect)
        if statement is None:
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            table = self._table()
            live = table.c.expires_at > bindparam("now")
            statement = (
                insert(table)
                .values(key=bindparam("key"), count=bindparam("amount"), expires_at=bindparam("expires_at"))
                .on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={
                        "count": case((live, table.c.count + bindparam("amount")), else_=bindparam("amount")),
                        "expires_at": case((live, table.c.expires_at), else_=bindparam("expires_at")),
                    },
                )
                .returning(table.c.count)
            )
            self._upserts[dialect] = statement
        return statement

    def _sweep(self, engine, table, now: float) -> None:
        """Delete expired rows, at most once a minute per process (an indexed range delete)."""
        with self._sweep_lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + SWEEP_EVERY_S
        with engine.begin() as conn:
            conn.execute(delete(table).where(table.c.expires_at <= now))

    def get(self, key: str) -> int:
        table = self._table()
        query = select(table.c.count).where(table.c.key == key, table.c.expires_at > time.time())
        with self._engine().connect() as conn:
            return conn.execute(query).scalar() or 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        table = self._table()
        query = select(table.c.expires_at).where(table.c.key == key, table.c.expires_at > now)
        with self._engine().connect() as conn:
            return conn.execute(query).scalar() or now

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.execute(select(self._table().c.key).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(self._table())).rowcount

    def clear(self, key: str) -> None:
        table = self._table()
        with self._engine().begin() as conn:
            conn.execute(delete(table).where(table.c.key == key))
