"""The daily purge: every retention rule applied once per local day, without anyone running a command.

Like the geocode-later round (buurt.residents.geocode_later), a daemon thread in each web worker,
started on the worker's first request (never in the gunicorn master, never in a `flask` command),
looks every PURGE_CHECK_SECONDS whether today's purge is due: after PURGE_HOUR (local time) and
not yet run today. One process at a time across every host on the database: a round takes the
job lock "purge" (buurt.background.job_lock; `flask buurt purge` waits for it, `--if-due` skips),
and "already run today" is read from the audit log (the purge's own ``retention.purge`` entry),
so a restart, another worker or host, or a manual `flask buurt purge --apply` earlier that day
all count.

Off with PURGE_THREAD = False (the tests; or run `flask buurt purge --apply` from a systemd timer
or cron, docs/retention.md). Logs counts only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, time

from flask import Flask

from buurt.background import BackgroundThread, job_lock
from buurt.extensions import db
from buurt.models import AuditEntry, utcnow
from buurt.times import to_local

log = logging.getLogger(__name__)

_THREAD = "buurt.purge"  # in app.extensions
JOB = "purge"  # the job lock's name
PURGE_ACTION = "retention.purge"
PURGE_CHECK_SECONDS = 15 * 60


def purge_lock(app: Flask, *, wait: bool = False) -> contextlib.AbstractContextManager[bool]:
    """Hold the purge's lock (every process on every host) while the block runs; yields False if
    another process holds it (only with ``wait=False``)."""
    return job_lock(app, JOB, wait=wait)


def last_purge() -> datetime | None:
    """When the purge last ran with --apply (the thread or the command), from the audit log."""
    return db.session.scalar(db.select(db.func.max(AuditEntry.at)).where(AuditEntry.action == PURGE_ACTION))


def purge_due(now: datetime, purge_hour: int, last: datetime | None) -> bool:
    """Due once per local day from `purge_hour` (local time) on, unless it already ran since then."""
    local = to_local(now)
    since = datetime.combine(local.date(), time(purge_hour), tzinfo=local.tzinfo)
    return now >= since and (last is None or last < since)


class PurgeThread(BackgroundThread):
    """run_purge(apply=True) once a day (buurt.background: one per worker, started from a request)."""

    name = "buurt-purge"

    def __init__(self, app: Flask, *, clock: Callable[[], datetime] = utcnow):
        super().__init__(app)
        self.clock = clock

    def interval(self) -> float:
        return float(self.app.config.get("PURGE_CHECK_SECONDS", PURGE_CHECK_SECONDS))

    def work(self) -> None:
        self.run_once()

    def run_once(self):
        """One check: the purge's report if it ran, else None (not due, lock taken, or an error:
        logged by type, never raised; the thread must live on)."""
        from buurt.retention import run_purge

        try:
            with self.app.app_context():
                try:
                    hour = int(self.app.config.get("PURGE_HOUR", 4))
                    if not purge_due(self.clock(), hour, last_purge()):
                        return None
                    with purge_lock(self.app) as got_it:
                        if not got_it or not purge_due(self.clock(), hour, last_purge()):
                            return None
                        return run_purge(apply=True, now=self.clock())
                finally:
                    db.session.remove()
        except Exception as error:
            log.error("purge: %s", type(error).__name__)
            return None


def thread_of(app: Flask) -> PurgeThread | None:
    """The app's purge thread (None without PURGE_THREAD)."""
    return app.extensions.get(_THREAD)


def init_app(app: Flask) -> None:
    """With PURGE_THREAD, run the daily purge from a thread in each web worker; photo files of
    erased incidents are removed once the erasing transaction commits (buurt.retention.forget)."""
    from buurt.retention import forget

    forget.init_app(app)
    if app.config.get("PURGE_THREAD"):
        thread = PurgeThread(app)
        app.extensions[_THREAD] = thread
        app.before_request(thread.ensure_running)
