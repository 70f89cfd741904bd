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

A shared store that is down (issue 16): the limits fall back to Flask-Limiter's in-memory counters,
per process, until the store answers again (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED; docs/scaling.md
says what that means). Before, a Redis that was not there at start went unnoticed (Flask-Limiter
logs it to a logger nobody reads), and a Redis that accepted connections but did not answer held a
request 5-10 s (redis-py's 5 s timeouts, every time the fallback probed for it). Now each worker
checks the store on its first request and says in one log line which store is gone and what
happens meanwhile (the URI without its password), every change of state is logged, and Redis gets
timeouts of REDIS_TIMEOUT_S unless RATELIMIT_STORAGE_OPTIONS says otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
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
# A Redis next door answers in a millisecond; one that does not answer within this is treated as
# gone (in-memory fallback) rather than holding the request. redis-py's own default is 5 s.
REDIS_TIMEOUT_S = 0.5
REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel", "valkey", "valkeys")

log = logging.getLogger(__name__)


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


def describe_store(uri: str) -> str:
    """The store's URI for a log line: scheme, host and path, never a user name or password."""
    scheme, _, rest = (uri or "").partition("://")
    location, slash, path = rest.partition("/")
    return f"{scheme}://{location.rpartition('@')[2]}{slash}{path}"


def _is_shared_service(uri: str) -> bool:
    """A store in another service (Redis, memcached, ...), not the app's database or this process."""
    scheme = (uri or "").partition("://")[0]
    return bool(scheme) and scheme not in ("buurt-db", "memory")


def _storage_options(app: Flask) -> dict:
    """RATELIMIT_STORAGE_OPTIONS, with Redis timeouts of REDIS_TIMEOUT_S unless they are given."""
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    if (app.config.get("RATELIMIT_STORAGE_URI") or "").partition("://")[0] in REDIS_SCHEMES:
        options.setdefault("socket_connect_timeout", REDIS_TIMEOUT_S)
        options.setdefault("socket_timeout", REDIS_TIMEOUT_S)
    return options


class AppLimiter(Limiter):
    """Flask-Limiter whose storage and strategy belong to the app handling the request."""

    def init_app(self, app: Flask) -> None:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = _storage_options(app)
        self._storage_options = {}  # Flask-Limiter adds each app's options to one dict: only this app's
        super().init_app(app)
        if self.enabled:
            app.extensions[EXTENSION] = AppStore(storage=self._storage, strategy=self._limiter)

    # Flask-Limiter sets _storage_dead when a hit fails (and it falls back to memory) and clears it
    # when its probe finds the store again; as a property, each change is said in the log.
    @property
    def _storage_dead(self) -> bool:
        return self.__dict__.get("_buurt_storage_dead", False)

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        was = self.__dict__.get("_buurt_storage_dead", False)
        self.__dict__["_buurt_storage_dead"] = dead
        if dead == was or not has_app_context():
            return
        store = describe_store(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
        if dead:
            log.warning(
                "Rate-limit store %s is unreachable: process %d counts the limits in its own memory "
                "until the store answers again (it is checked again after 1, 2, 4 ... 32 s); meanwhile "
                "each process allows the full limit",
                store,
                os.getpid(),
            )
        else:
            log.warning("Rate-limit store %s answers again: process %d counts there again", store, os.getpid())

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


class StartCheck:
    """On a worker's first request (gunicorn's health check or the first visitor): is the store there?

    Not in create_app (no network work there, and `flask` commands need no Redis). A store that does
    not answer is marked dead at once, with the log line above, so no visitor waits for it.
    """

    def __init__(self, app: Flask, limiter: AppLimiter) -> None:
        self.app, self.limiter = app, limiter
        self.done = False
        self.lock = threading.Lock()

    def __call__(self) -> None:
        if self.done:
            return
        with self.lock:
            if self.done:
                return
            self.done = True
            own = self.app.extensions.get(EXTENSION)
            if own is None or not self.limiter.enabled:
                return
            try:
                reachable = own.storage.check()
            except Exception:
                reachable = False
            if reachable:
                log.info("Rate-limit store %s is reachable", describe_store(self.app.config["RATELIMIT_STORAGE_URI"]))
            elif self.limiter._in_memory_fallback_enabled:
                self.limiter._storage_dead = True  # logs which store, and what happens meanwhile
            else:
                log.warning(
                    "Rate-limit store %s is unreachable and RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is off: "
                    "requests are not limited until it answers",
                    describe_store(self.app.config["RATELIMIT_STORAGE_URI"]),
                )


def init_app(app: Flask) -> None:
    """ProxyFix for TRUSTED_PROXIES; the start check of a store in another service (Redis)."""
    from buurt.extensions import limiter

    if app.config.get("RATELIMIT_ENABLED", True) and _is_shared_service(app.config.get("RATELIMIT_STORAGE_URI")):
        app.before_request(StartCheck(app, limiter))
    _trust_proxies(app)


def _trust_proxies(app: Flask) -> None:
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
