"""Sign-ups stored as TO_GEOCODE are placed without anyone running a command (issue 12).

A sign-up never waits on an online geocoder (buurt.addresses.services.geocode_for_signup): an
address that is neither in the register nor among this process's recent online answers is
stored as TO_GEOCODE. `geocode_pending` (buurt.residents.signup, also `flask buurt
geocode-pending`) places those; this module runs it from a daemon thread in each web worker,
started on the worker's first request (never in the gunicorn master, never in a `flask` command),
at once and then every GEOCODE_LATER_SECONDS, with the same limits as a lookup (the total
deadline, the cap and the breakers of the geocoder chain).

One round at a time across every process on every host of the database: a round takes the job
lock "geocode-pending" (buurt.background.job_lock), and a worker that finds it taken skips its
round (so does the command, unless given --wait). A round stops at the first outage (the
service is down or its breaker is open), so a broken geocoder costs one refused call per round.
Sign-ups already marked for review (geocode_pending found nothing, or a point outside the areas)
are only retried once an hour unless new ones are waiting too.

Off with GEOCODE_LATER_THREAD = False (the tests; or run `flask buurt geocode-pending` under a
timer). Logs counts only, never an address.
"""

from __future__ import annotations

import contextlib
import logging
import time

from flask import Flask, current_app

from buurt.background import BackgroundThread, job_lock
from buurt.extensions import db
from buurt.models import Resident, ResidentStatus

log = logging.getLogger(__name__)

_THREAD = "buurt.geocode_later"  # in app.extensions
JOB = "geocode-pending"  # the job lock's name
REVIEWED_EVERY_SECONDS = 3600


def pending_lock(app: Flask, *, wait: bool = False) -> contextlib.AbstractContextManager[bool]:
    """Hold the geocode-pending lock (every process on every host) while the block runs; yields False
    if another process holds it (only with ``wait=False``)."""
    return job_lock(app, JOB, wait=wait)


def waiting_counts() -> tuple[int, int]:
    """(new, reviewed): TO_GEOCODE sign-ups not yet tried, and those already marked for review."""
    rows = db.session.execute(
        db.select(Resident.needs_review, db.func.count())
        .where(Resident.status == ResidentStatus.TO_GEOCODE)
        .group_by(Resident.needs_review)
    ).all()
    counts = {bool(reviewed): n for reviewed, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


class GeocodeLaterThread(BackgroundThread):
    """geocode_pending in its own app context, at once and then every GEOCODE_LATER_SECONDS
    (buurt.background: one per worker, started from a request, like buurt.outbox.SenderThread)."""

    name = "buurt-geocode-later"

    def __init__(self, app: Flask, *, clock=time.monotonic):
        super().__init__(app)
        self.clock = clock
        self._reviewed_at = -float(REVIEWED_EVERY_SECONDS)

    def interval(self) -> float:
        return float(self.app.config.get("GEOCODE_LATER_SECONDS", 60))

    def work(self) -> None:
        self.run_once()

    def run_once(self):
        """One round: geocode_pending under the lock; its report, or None (nothing due, lock
        taken, or an error: logged by type, never raised, the thread must live on)."""
        from buurt.residents.signup import geocode_pending

        try:
            with self.app.app_context():
                try:
                    new, reviewed = waiting_counts()
                    due_reviewed = reviewed and self.clock() - self._reviewed_at >= REVIEWED_EVERY_SECONDS
                    if not new and not due_reviewed:
                        return None
                    with pending_lock(self.app) as got_it:
                        if not got_it:
                            return None
                        report = geocode_pending()
                    if reviewed:
                        self._reviewed_at = self.clock()
                    if (
                        report.placed
                        or report.not_found
                        or report.outside
                        or report.choice_needed
                        or report.still_unavailable
                    ):
                        log.info(
                            "geocode later: %d placed, %d not found, %d outside, %d need a choice, %d still waiting",
                            report.placed,
                            report.not_found,
                            report.outside,
                            report.choice_needed,
                            report.still_unavailable,
                        )
                    return report
                finally:
                    db.session.remove()
        except Exception as error:
            log.error("geocode later: %s", type(error).__name__)
            return None


def thread_of(app: Flask) -> GeocodeLaterThread | None:
    """The app's geocode-later thread (None without GEOCODE_LATER_THREAD)."""
    return app.extensions.get(_THREAD)


def wake() -> None:
    """Ask this process's thread for a round now; nothing without GEOCODE_LATER_THREAD."""
    thread = thread_of(current_app)
    if thread is not None:
        thread.wake()


def init_app(app: Flask) -> None:
    """With GEOCODE_LATER_THREAD, place TO_GEOCODE sign-ups from a thread in each web worker."""
    if app.config.get("GEOCODE_LATER_THREAD"):
        thread = GeocodeLaterThread(app)
        app.extensions[_THREAD] = thread
        app.before_request(thread.ensure_running)
