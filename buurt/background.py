"""One daemon thread per web worker that does a round of work now and then: the mail sender
(buurt.outbox) and the geocode-later round (buurt.residents.geocode_later).

Started from a request, so in a gunicorn worker after the fork, never in the master or a `flask`
command; a thread never survives a fork, hence the pid check. A round runs at once (work may be
waiting from before a restart), then every ``interval()`` seconds, or sooner when woken.
A subclass says what a round is (``work``) and how long to wait (``interval``); ``work`` must
not raise (the thread must live on).

:func:`job_lock` lets one process at a time do a job that must not run twice at once (the
geocode-later round, the daily purge, the digest), across every worker, thread and `flask buurt`
command of every host that shares the database (issue 16: every host may have the timers):

- PostgreSQL: a session-level advisory lock on a connection of its own, taken out of the pool for
  the block and closed after it. The server drops the lock when that connection ends, so a holder
  that crashes or is killed (even with SIGKILL, even with its host) frees it; no row to clean up.
  The connection sits in autocommit: it holds no transaction and no snapshot while the job runs.
- SQLite: every process that opens one SQLite file runs on the machine that holds the file, so an
  flock on a file beside the database (``<database>.<name>.lock``, 0600) is enough; the kernel
  releases it when the process dies. Beside the database, not in the instance folder: two instance
  folders may share one database.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import text

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """The advisory-lock key of a job: the same 64-bit number in every process (not Python's hash(),
    which differs per process), within the range of PostgreSQL's bigint."""
    digest = hashlib.sha256(b"buurt.job:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file(database_file: str | Path, name: str) -> Path:
    """The lock file of job `name` for a SQLite database file: beside it."""
    database = Path(database_file)
    return database.with_name(f"{database.name}.{name}.lock")


@contextlib.contextmanager
def job_lock(app: Flask, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Hold job `name`'s lock (one holder across every process and host on this database) while
    the block runs; yields False at once if another holder has it (only with ``wait=False``)."""
    engine = _engine_of(app)
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, wait=wait) as got_it:
            yield got_it
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        path = lock_file(database, name)
    else:  # a database in memory lives in one process; the instance folder will do
        os.makedirs(app.instance_path, exist_ok=True)
        path = Path(app.instance_path) / f"{name}.lock"
    with _file_lock(path, wait=wait) as got_it:
        yield got_it


def _engine_of(app: Flask):
    from flask import current_app, has_app_context

    from buurt.extensions import db

    if has_app_context() and current_app._get_current_object() is app:
        return db.engine
    with app.app_context():
        return db.engine


#: the name this lock had when it held only per machine (kept for callers outside buurt)
instance_lock = job_lock


@contextlib.contextmanager
def _advisory_lock(engine, name: str, *, wait: bool) -> Iterator[bool]:
    key = lock_key(name)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # Out of the pool: it closes for real at the end, so a lock can never go back to the pool
        # with the connection, nor can a request's session ever run on it.
        connection.detach()
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            got_it = True
        else:
            got_it = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        if not got_it:
            yield False
            return
        try:
            yield True
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            except Exception as error:  # the close below ends the session, and with it the lock
                log.warning("job lock %s: unlock failed (%s); closing the connection", name, type(error).__name__)
    finally:
        connection.close()


@contextlib.contextmanager
def _file_lock(path: Path, *, wait: bool) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class BackgroundThread:
    """A round of ``work()`` at once, then every ``interval()`` seconds or when woken."""

    #: the thread's name (shows in py-spy, faulthandler and gunicorn's thread dumps)
    name = "buurt-background"

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopped = False

    def interval(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def work(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def ensure_running(self) -> None:
        """Start the thread in this process unless it runs (or was stopped); cheap when it runs."""
        if self.running or self._stopped:
            return
        with self._lock:
            if self.running or self._stopped:
                return
            self._wake = threading.Event()
            self._wake.set()  # a first round at once: work may be waiting from a previous process
            self._thread = threading.Thread(target=self._run, args=(self._wake,), name=self.name, daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def wake(self) -> None:
        """A round now rather than at the next interval."""
        self.ensure_running()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """End the thread after its current round (tests; a worker just exits, the thread is a daemon)."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)

    def _run(self, wake: threading.Event) -> None:
        while not self._stopped:
            wake.wait(self.interval())
            wake.clear()
            if not self._stopped:
                self.work()
