"""/metrics: Prometheus text format through prometheus_client, without personal data (issue 16).

Two kinds of numbers:

* counted by the processes: requests (by route template, method and status class), request
  latency (by route), sign-ups, geocoder errors (by service and kind). Under gunicorn every worker
  counts in its own file of PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it before any worker
  imports the app and empties it at server start), and a scrape adds the files up, so whichever
  worker answers shows the whole server. Without gunicorn (tests, `flask run`) the counters live in
  prometheus_client's default registry of the one process;
* read from the database at scrape time (:class:`DatabaseCollector`): sign-ups today, and per group
  the queue, the age of its oldest pending sign-up, the waitlist and the members. Every process
  and every host answers the same, and nothing is kept in memory to drift.

Labels hold route templates, endpoint names, status classes, group ids and group names (public on
the home page), service names and error kinds: never a path, a postcode or a person.

Access: without METRICS_TOKEN /metrics is a 404; with one it wants "Authorization: Bearer <token>"
(compared in constant time) and answers anything else with the same 404, so the page is not
advertised to whoever probes the site.
"""

from __future__ import annotations

import hmac
import os
import re
import time
from dataclasses import dataclass
from functools import cache

from flask import abort, g
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import event, func
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from buurt.extensions import db
from buurt.models import AuditEntry, Group, Resident, ResidentStatus, utcnow
from buurt.ops import logs
from buurt.times import local_midnight, local_now

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the audit action of a sign-up (buurt.residents.signup): what "sign-ups" counts
SIGNUP_ACTION = "residents.signup"
#: seconds; from a static file to a sign-up that waits for the database's write lock
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: a geocoder error's kind as a label: a fixed word or an exception class name, nothing else
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,40}")
_SERVICE = re.compile(r"[a-z][a-z0-9_]{0,20}")


@dataclass(frozen=True)
class Instruments:
    requests: Counter
    latency: Histogram
    signups: Counter
    geocoder_errors: Counter


@cache
def instruments() -> Instruments:
    """The process's counters, made once (in the default registry; under gunicorn they write to
    PROMETHEUS_MULTIPROC_DIR, whatever registry they are in)."""
    return Instruments(
        requests=Counter(
            "buurt_http_requests",
            "Requests answered, by route template, method and status class (2xx, 4xx, ...).",
            ["route", "method", "status"],
        ),
        latency=Histogram(
            "buurt_http_request_duration_seconds",
            "Time to build the response, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
        ),
        signups=Counter("buurt_signups", "Sign-ups stored (each one a residents.signup audit entry)."),
        geocoder_errors=Counter(
            "buurt_geocoder_errors",
            "An online geocoder could not answer, by service and kind (busy, breaker_open, deadline, ...).",
            ["service", "kind"],
        ),
    )


# --- counted by the processes --------------------------------------------------------------------


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.get("metrics_started")
    route = logs.route()
    meters = instruments()
    meters.requests.labels(route, logs.method(), f"{response.status_code // 100}xx").inc()
    if started is not None:
        meters.latency.labels(route).observe(time.perf_counter() - started)
    return response


def geocoder_error(service: str, detail: str) -> None:
    """Count one unavailable answer of `service`; `detail` is GeocoderUnavailable.detail
    ("pdok: busy", "pdok: GeocoderTimedOut (deadline)"), reduced to a bounded kind."""
    service = service if _SERVICE.fullmatch(service) else "other"
    instruments().geocoder_errors.labels(service, error_kind(service, detail)).inc()


def error_kind(service: str, detail: str) -> str:
    """'busy', 'breaker_open', 'deadline', 'no_time_left' or the exception's class name."""
    why = detail.removeprefix(f"{service}:").strip()
    if "(deadline)" in why:
        return "deadline"
    why = why.replace(" ", "_")
    return why if _KIND.fullmatch(why) else "other"


def _signups_flushed(session, _context, _instances) -> None:
    """Remember the sign-ups a flush wrote; they count when the transaction commits."""
    new = sum(1 for obj in session.new if isinstance(obj, AuditEntry) and obj.action == SIGNUP_ACTION)
    if new:
        session.info["metrics_signups"] = session.info.get("metrics_signups", 0) + new


def _signups_committed(session) -> None:
    count = session.info.pop("metrics_signups", 0)
    if count:
        instruments().signups.inc(count)


def _signups_rolled_back(session) -> None:
    session.info.pop("metrics_signups", None)


def _install_session_hooks() -> None:
    """Once per process: they serve every app and session (as buurt.caching's)."""
    if not event.contains(Session, "before_flush", _signups_flushed):
        event.listen(Session, "before_flush", _signups_flushed)
        event.listen(Session, "after_commit", _signups_committed)
        event.listen(Session, "after_rollback", _signups_rolled_back)


# --- read from the database at scrape time --------------------------------------------------------


class DatabaseCollector:
    """Gauges from the database, read when Prometheus scrapes (two queries)."""

    def collect(self):
        up = GaugeMetricFamily("buurt_metrics_database_up", "1 when the database gauges below could be read.")
        try:
            families = list(self._families())
        except SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self):
        today = GaugeMetricFamily(
            "buurt_signups_today", "Sign-ups since local midnight (audit log; includes those deleted since)."
        )
        midnight = local_midnight(local_now().date())
        today.add_metric(
            [],
            db.session.scalar(
                db.select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == SIGNUP_ACTION, AuditEntry.at >= midnight
                )
            )
            or 0,
        )
        yield today
        yield from self._groups()

    def _groups(self):
        info = GaugeMetricFamily(
            "buurt_group_info", "1 per active group: its id and (public) name.", labels=["group_id", "name"]
        )
        queue = GaugeMetricFamily("buurt_group_queue", "Pending sign-ups (the beheerders' queue).", labels=["group_id"])
        age = GaugeMetricFamily(
            "buurt_group_queue_oldest_age_seconds",
            "Age of the oldest pending sign-up (0 with an empty queue).",
            labels=["group_id"],
        )
        waitlist = GaugeMetricFamily(
            "buurt_group_waitlist", "Sign-ups on the waitlist (group full).", labels=["group_id"]
        )
        members = GaugeMetricFamily("buurt_group_members", "Members (added in WhatsApp).", labels=["group_id"])
        groups = db.session.execute(db.select(Group.id, Group.name).where(Group.is_active).order_by(Group.id)).all()
        r = Resident.__table__
        shown = (ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED)
        rows = db.session.execute(
            db.select(r.c.group_id, r.c.status, func.count(), func.min(r.c.created_at))
            .where(r.c.status.in_([s.value for s in shown]), r.c.group_id.is_not(None))
            .group_by(r.c.group_id, r.c.status)
        ).all()
        db.session.commit()  # end the read transaction: a scrape holds no snapshot open
        counts = {(group_id, ResidentStatus(status)): (n, oldest) for group_id, status, n, oldest in rows}
        now = utcnow()
        for group_id, name in groups:
            label = [str(group_id)]
            info.add_metric([str(group_id), name], 1)
            pending, oldest = counts.get((group_id, ResidentStatus.PENDING), (0, None))
            queue.add_metric(label, pending)
            age.add_metric(label, _age_seconds(now, oldest))
            waitlist.add_metric(label, counts.get((group_id, ResidentStatus.WAITLIST), (0, None))[0])
            members.add_metric(label, counts.get((group_id, ResidentStatus.ADDED), (0, None))[0])
        yield from (info, queue, age, waitlist, members)


def _age_seconds(now, oldest) -> float:
    """Seconds since `oldest` (aware UTC: MIN() keeps the column's type), 0 without one."""
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


class _DefaultRegistry:
    """prometheus_client's default registry (this process's counters, and its process_* and
    python_* metrics) as one collector of a scrape's registry."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    """The text format: the process counters (all workers' under gunicorn) and the database gauges."""
    instruments()  # the families exist (at 0) before the first request is counted
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_DefaultRegistry())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def authorized(app, given: str | None) -> bool:
    """METRICS_TOKEN is set and `given` is "Bearer <it>" (constant-time compare)."""
    token = app.config.get("METRICS_TOKEN")
    if not token:
        return False
    return hmac.compare_digest(f"Bearer {token}".encode(), (given or "").encode())


def response(app, req):
    """The metrics page, or the site's ordinary 404 (no token configured, none or another given)."""
    if not authorized(app, req.headers.get("Authorization")):
        abort(404)
    return exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


def init_app(app) -> None:
    """Count every request of `app`, and the sign-ups of every session."""
    instruments()
    _install_session_hooks()
    app.before_request(_start_timer)
    app.after_request(_observe)
