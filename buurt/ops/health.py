"""Liveness (/health) and readiness (/health/ready, `flask buurt ready`, the end of `flask buurt init`).

`/health` used to answer a constant 200 while every page that touches the database failed (a
read-only instance folder): a load balancer or monitor saw a healthy site that could not take a
single sign-up. Two answers now:

- :func:`liveness`: this process answers requests. No database, no outside service: gunicorn's
  checks and the benchmarks poll it, and a slow database must not make a live worker look dead.
- :func:`readiness`: can this process serve the site? The *required* checks decide: the database
  reads and writes (a write in a transaction that is rolled back: SQLite says "readonly" only when
  a statement writes, ``BEGIN IMMEDIATE`` passes on a read-only file), the migrations are at the
  code's head, the photo store and the instance folder (lock files, SQLite's -wal) take a file.
  The rate-limit store, mail and the online geocoders are reported but do not make the site
  unready, as it works without them: rate limits fall back to counting per process in memory,
  mail waits in the outbox and retries, sign-ups are geocoded later. A shared Redis that is down
  would otherwise take every host out of the load balancer at once, turning weaker limits into an
  outage; the answer says "degraded" instead.

No request waits without a deadline: each check runs on a thread of its own and gets
READINESS_TIMEOUT; the answer is given at that deadline (plus a moment) with whatever has not
finished marked as failed, and a check whose previous run is still stuck is not started twice.
The answer is kept for READINESS_CACHE_SECONDS per process and only one probe runs at a time
(callers meanwhile get the last answer), so a flood of /health/ready is no amplifier towards the
database, the mail relay or PDOK and Nominatim (which are asked with one HEAD request to the
configured address, never a search, and not at all while their circuit breaker is open).

The JSON is public: no URIs, host names, paths, user names or exception texts (they may quote a
connection string); details name an error's class or code at most.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import math
import os
import secrets
import smtplib
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask

#: app.extensions key of this process's cached answer (a per-process cache, hence the prefix)
EXTENSION = "buurt.cache.readiness"
#: extra time past READINESS_TIMEOUT for a check's thread to hand in its answer
GRACE_S = 0.25
#: the revision row the database check inserts and rolls back (never committed)
PROBE_REVISION = "~readiness-probe"


def liveness() -> dict:
    return {"ok": True, "service": "buurt"}


# --- the answer ------------------------------------------------------------------------------


@dataclass
class Readiness:
    """The checks' results; ``ready`` when every required check passed."""

    checks: dict[str, dict]
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def ready(self) -> bool:
        return all(result["ok"] for result in self.checks.values() if result["required"])

    @property
    def degraded(self) -> list[str]:
        """Checks that failed without making the site unready (mail, geocoders, rate-limit store)."""
        return [name for name, result in self.checks.items() if not result["ok"] and not result["required"]]

    @property
    def status(self) -> str:
        if not self.ready:
            return "not ready"
        return "degraded" if self.degraded else "ready"

    def as_json(self) -> dict:
        return {"ready": self.ready, "status": self.status, "checked_at": self.checked_at, "checks": self.checks}


@dataclass(frozen=True)
class Check:
    """One check: ``run(app, deadline)`` returns (ok, detail) by ``deadline`` (monotonic seconds)."""

    name: str
    required: bool
    run: Callable[[Flask, float], tuple[bool, str]]


class _State:
    """One process's readiness: the last answer, the probe lock and the checks still running."""

    def __init__(self) -> None:
        self.probe_lock = threading.Lock()  # held while a probe runs: one at a time
        self.lock = threading.Lock()  # guards the fields below
        self.result: Readiness | None = None
        self.probed_at = -math.inf  # monotonic time of the last answer
        self.probes = 0  # probes run in this process (the tests count them)
        self.running: set[str] = set()


def _state(app: Flask) -> _State:
    return app.extensions.setdefault(EXTENSION, _State())


def probes_run(app: Flask) -> int:
    """How many probes this process ran (each answer from the cache is not one)."""
    return _state(app).probes


# --- the checks --------------------------------------------------------------------------------


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _error_name(error: BaseException) -> str:
    """A short name for an error, never its text: a driver's code or class, or an OS error code."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    code = getattr(cause, "sqlite_errorname", None)
    if code:
        return code
    if isinstance(cause, OSError) and cause.errno in errno.errorcode:
        return errno.errorcode[cause.errno]
    return type(cause).__name__


def check_database(app: Flask, deadline: float) -> tuple[bool, str]:
    """Read a row, then insert one in a transaction that is rolled back (a real write, kept nowhere)."""
    from sqlalchemy import insert, select, text

    from buurt.extensions import db
    from buurt.models import Revision

    table = Revision.__table__
    millis = max(1, int(_remaining(deadline) * 1000))
    with db.engine.connect() as conn:
        restore = _sqlite_wait(conn, millis)
        try:
            with conn.begin() as transaction:
                if conn.dialect.name == "postgresql":  # LOCAL: gone with the rollback
                    conn.execute(text(f"SET LOCAL statement_timeout = {millis}"))
                    conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
                try:
                    conn.execute(select(table.c.name).limit(1)).all()
                except Exception as error:
                    return False, f"lezen mislukt ({_error_name(error)})"
                try:
                    conn.execute(insert(table).values(name=PROBE_REVISION, value=0))
                except Exception as error:
                    return False, f"schrijven mislukt ({_error_name(error)})"
                finally:
                    transaction.rollback()
        finally:
            restore()
    return True, "lezen en schrijven gelukt"


def _sqlite_wait(conn, millis: int) -> Callable[[], None]:
    """The app's SQLite connections wait up to 15 s for the write lock; this one until its deadline."""
    if conn.dialect.name != "sqlite":
        return lambda: None
    driver = conn.connection.dbapi_connection
    before = int(driver.execute("PRAGMA busy_timeout").fetchone()[0])
    driver.execute(f"PRAGMA busy_timeout={millis}")
    return lambda: driver.execute(f"PRAGMA busy_timeout={before}")


@functools.cache
def _code_heads(directory: str) -> tuple[str, ...]:
    """The migration heads of the code (read once per process: the code does not change under it)."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory(directory).get_heads()))


def _known(directory: str, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory(directory).get_revision(revision) is not None
    except CommandError:
        return False


def migration_state(app: Flask) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's current revisions, the code's heads)."""
    from alembic.runtime.migration import MigrationContext

    from buurt.extensions import db

    directory = app.extensions["migrate"].directory
    with db.engine.connect() as conn:
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    return current, _code_heads(directory)


def check_migrations(app: Flask, deadline: float) -> tuple[bool, str]:
    """The database's migration revision is the code's head: not behind (no upgrade), not ahead."""
    current, heads = migration_state(app)
    code, database = ", ".join(heads), ", ".join(current) or "geen"
    if current == heads:
        return True, f"op de laatste versie ({code})"
    if not current:
        return False, f"database zonder migratieversie (code: {code}): voer `flask buurt init` uit"
    directory = app.extensions["migrate"].directory
    if all(_known(directory, revision) for revision in current):
        return False, f"database loopt achter ({database}; code: {code}): voer `flask buurt init` uit"
    return False, f"database op {database}, die deze code niet kent (nieuwer?; code: {code}): zie docs/upgrade.md"


def check_photo_store(app: Flask, deadline: float) -> tuple[bool, str]:
    """Write, read back and delete a probe photo through the store every reader and writer uses."""
    from buurt.photostore import photo_store

    store = photo_store(app)
    name, data = f"{secrets.token_hex(16)}.probe", secrets.token_bytes(32)
    try:
        store.write(name, data)
    except Exception as error:
        return False, f"schrijven mislukt ({_error_name(error)})"
    try:
        back = store.read(name)
    finally:
        store.delete(name)
    if back != data:
        return False, "teruglezen mislukt"
    return True, "schrijven, lezen en wissen gelukt"


def check_instance_folder(app: Flask, deadline: float) -> tuple[bool, str]:
    """The instance folder takes a new file (lock files, SQLite's -wal and -shm are made there)."""
    try:
        handle, path = tempfile.mkstemp(prefix=".readiness-", dir=app.instance_path)
    except OSError as error:
        return False, f"niet schrijfbaar ({_error_name(error)})"
    try:
        os.write(handle, b"ok")
    finally:
        os.close(handle)
        os.unlink(path)
    return True, "schrijfbaar"


def check_ratelimit(app: Flask, deadline: float) -> tuple[bool, str]:
    """The rate-limit store answers; when it does not, limits count per process in memory."""
    from buurt.ratelimit import EXTENSION as LIMITS

    if not app.config.get("RATELIMIT_ENABLED", True):
        return True, "rate limits staan uit"
    kind = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://").split("://", 1)[0]  # never the URI
    store = app.extensions.get(LIMITS)
    if store is None:
        return True, f"{kind}: niet in gebruik"
    if store.storage.check():
        return True, f"{kind}: antwoordt"
    fallback = app.config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED")
    return False, f"{kind}: antwoordt niet" + ("; telt per proces in het geheugen" if fallback else "")


def check_mail(app: Flask, deadline: float) -> tuple[bool, str]:
    """The relay answers: connect, EHLO, QUIT; cut off at the deadline however slowly it talks."""
    server = app.config.get("MAIL_SERVER")
    if not server:
        return True, "geen MAIL_SERVER: de site verstuurt geen mail"
    seconds = _remaining(deadline)
    smtp = smtplib.SMTP(timeout=seconds, local_hostname="localhost")  # no getfqdn(): a DNS lookup
    watchdog = threading.Timer(seconds, _shut, args=(smtp,))
    watchdog.daemon = True
    watchdog.start()
    try:
        smtp.connect(server, int(app.config.get("MAIL_PORT") or 25))
        code, _text = smtp.ehlo()
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    except (OSError, smtplib.SMTPException) as error:
        return False, f"geen antwoord ({_error_name(error)})"
    finally:
        watchdog.cancel()
        smtp.close()
    if code != 250:
        return False, f"EHLO geweigerd ({code})"
    return True, "antwoordt (EHLO)"


def _shut(smtp: smtplib.SMTP) -> None:
    """Wake a read that blocks past the deadline (shutdown wakes it; close would not)."""
    sock = smtp.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


#: per online geocoder: its config key and the path asked (Nominatim's own status page; PDOK's base)
GEOCODER_URLS = {"pdok": ("PDOK_URL", ""), "nominatim": ("NOMINATIM_URL", "/status")}


def geocoder_check(service: str) -> Callable[[Flask, float], tuple[bool, str]]:
    def check(app: Flask, deadline: float) -> tuple[bool, str]:
        """The service answers a HEAD request (no search: no rate budget spent); an open breaker says no."""
        breaker = _breaker(app, service)
        if breaker is not None and breaker.state.value == "open":
            return False, "overgeslagen: na herhaalde fouten even niet gevraagd (circuit breaker open)"
        key, path = GEOCODER_URLS[service]
        url = str(app.config[key]).rstrip("/") + path
        if not url.startswith(("http://", "https://")):
            return False, f"{key} is geen http(s)-adres"
        agent = app.config.get("GEOCODER_USER_AGENT") or "buurt"
        request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": agent})  # noqa: S310 (http(s) only)
        try:
            with urllib.request.urlopen(request, timeout=_remaining(deadline)) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", None)
            return False, f"niet bereikbaar ({_error_name(reason if isinstance(reason, BaseException) else error)})"
        if status >= 500:
            return False, f"antwoordt met een fout (HTTP {status})"
        return True, f"bereikbaar (HTTP {status})"

    return check


def _breaker(app: Flask, service: str):
    """The service's circuit breaker in this process's geocoder chain, if one was built."""
    chain = app.extensions.get("buurt.geocoder", {}).get("chain")
    for geocoder in getattr(chain, "geocoders", ()):
        if getattr(geocoder, "name", None) == service:
            return getattr(geocoder, "breaker", None)
    return None


#: what `flask buurt init` verifies after migrating: what the site cannot serve without
REQUIRED = ("database", "migrations", "photo_store", "instance")


def checks_for(app: Flask) -> list[Check]:
    checks = [
        Check("database", True, check_database),
        Check("migrations", True, check_migrations),
        Check("photo_store", True, check_photo_store),
        Check("instance", True, check_instance_folder),
        Check("ratelimit", False, check_ratelimit),
        Check("mail", False, check_mail),
    ]
    for service in app.config.get("GEOCODER_CHAIN") or ():
        if service in GEOCODER_URLS:
            checks.append(Check(f"geocoder_{service}", False, geocoder_check(service)))
    return checks


# --- running them --------------------------------------------------------------------------------


def probe(app: Flask, names: Iterable[str] | None = None) -> Readiness:
    """Run the checks now (all, or those in ``names``), each on its own thread, by one deadline."""
    app = _real(app)
    state = _state(app)
    with state.lock:
        state.probes += 1
    wanted = set(names) if names is not None else None
    checks = [check for check in checks_for(app) if wanted is None or check.name in wanted]
    timeout = float(app.config.get("READINESS_TIMEOUT") or 2.0)
    start = time.monotonic()
    deadline = start + timeout
    answers: dict[str, dict] = {}
    threads: list[threading.Thread] = []
    for check in checks:
        with state.lock:
            stuck = check.name in state.running
            if not stuck:
                state.running.add(check.name)
        if stuck:
            answers[check.name] = _result(check.required, False, 0.0, "vorige controle loopt nog")
            continue
        thread = threading.Thread(
            target=_run_one, args=(app, check, deadline, answers, state), name=f"readiness-{check.name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline + GRACE_S - time.monotonic()))
    with state.lock:
        answered = dict(answers)
    late_ms = (time.monotonic() - start) * 1000
    late = f"geen antwoord binnen {timeout:g} s"
    return Readiness({c.name: answered.get(c.name) or _result(c.required, False, late_ms, late) for c in checks})


def _real(app: Flask) -> Flask:
    """The app itself, not the `current_app` proxy: the checks' threads have no context to follow."""
    unwrap = getattr(app, "_get_current_object", None)
    return unwrap() if unwrap is not None else app


def _run_one(app: Flask, check: Check, deadline: float, answers: dict, state: _State) -> None:
    started = time.monotonic()
    try:
        with app.app_context():
            ok, detail = check.run(app, deadline)
    except TimeoutError:
        ok, detail = False, "geen antwoord binnen de tijd"
    except Exception as error:  # a check that fails says so; the text may hold a URI, its class does not
        ok, detail = False, f"mislukt ({_error_name(error)})"
    result = _result(check.required, ok, (time.monotonic() - started) * 1000, detail)
    with state.lock:
        state.running.discard(check.name)
        if time.monotonic() <= deadline + GRACE_S:
            answers[check.name] = result


def _result(required: bool, ok: bool, ms: float, detail: str) -> dict:
    return {"ok": ok, "required": required, "ms": round(ms, 1), "detail": detail}


def readiness(app: Flask) -> Readiness:
    """This process's readiness: the cached answer, or a new probe when it is older than
    READINESS_CACHE_SECONDS and no other probe runs (callers meanwhile get the last answer)."""
    app = _real(app)
    state = _state(app)
    if _fresh(app, state):
        return state.result
    if not state.probe_lock.acquire(blocking=False):
        if state.result is not None:
            return state.result
        # this process's first probe is running: wait for it (it ends by its own deadline)
        timeout = float(app.config.get("READINESS_TIMEOUT") or 2.0)
        if state.probe_lock.acquire(timeout=timeout + GRACE_S + 1.0):
            state.probe_lock.release()
        return state.result or Readiness({"probe": _result(True, False, 0.0, "de eerste controle loopt nog")})
    try:
        if _fresh(app, state):
            return state.result  # another caller probed while this one took the lock
        state.result = probe(app)
        state.probed_at = time.monotonic()
        return state.result
    finally:
        state.probe_lock.release()


def _fresh(app: Flask, state: _State) -> bool:
    age = time.monotonic() - state.probed_at
    return state.result is not None and age < float(app.config.get("READINESS_CACHE_SECONDS") or 0)
