"""The daily purge (buurt.retention.schedule): once per local day from PURGE_HOUR, exactly at the hour
and not a second before, never twice, never beside another purge, and a failing round does not end
the thread. Fixed clocks only, no sleeping.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

import buurt.retention
from buurt.extensions import db
from buurt.models import AuditEntry, Resident, ResidentStatus, utcnow
from buurt.retention import schedule
from buurt.retention.schedule import PurgeThread, last_purge, purge_due, purge_lock, thread_of

S = ResidentStatus
SECOND = timedelta(seconds=1)


def local(year, month, day, hour, minute=0, second=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)


def residents() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Resident))


def test_due_exactly_from_the_hour_and_not_again_after_a_run_at_the_hour(app):
    hour = local(2026, 6, 1, 4)
    assert not purge_due(hour - SECOND, 4, None)
    assert purge_due(hour, 4, None)
    assert not purge_due(hour + timedelta(hours=5), 4, hour)  # it ran at the hour itself
    assert purge_due(hour + timedelta(hours=5), 4, hour - SECOND)  # it ran a second before the hour
    # local time: in winter 04:00 in Katwijk is 03:00 UTC
    assert purge_due(datetime(2026, 1, 10, 3, 0, tzinfo=UTC), 4, None)
    assert not purge_due(datetime(2026, 1, 10, 2, 59, 59, tzinfo=UTC), 4, None)


def test_last_purge_is_the_latest_purge_entry_only(app):
    assert last_purge() is None
    first, second = local(2026, 6, 1, 4), local(2026, 6, 2, 4)
    db.session.add_all(
        [
            AuditEntry(action="retention.purge", at=second),
            AuditEntry(action="retention.purge", at=first),
            AuditEntry(action="resident.view", at=second + timedelta(hours=1)),
        ]
    )
    db.session.commit()
    assert last_purge() == second


def old_sign_up(make_resident, groups, now: datetime) -> None:
    make_resident(groups[0], status=S.UNCONFIRMED, created_at=now - timedelta(days=400))


def test_the_hour_comes_from_the_settings(app, groups, make_resident):
    app.config["PURGE_HOUR"] = 6
    clock = [local(2026, 6, 1, 5, 59, 59)]
    thread = PurgeThread(app, clock=lambda: clock[0])
    old_sign_up(make_resident, groups, clock[0])
    assert thread.run_once() is None
    assert residents() == 1
    clock[0] = local(2026, 6, 1, 6)
    thread.work()  # the thread's round
    assert residents() == 0
    del app.config["PURGE_HOUR"]  # without the setting: from 04:00
    clock[0] = local(2026, 6, 2, 3, 59, 59)
    assert thread.run_once() is None
    clock[0] = local(2026, 6, 2, 4)
    assert thread.run_once() is not None


def test_the_check_interval_comes_from_the_settings(app):
    thread = PurgeThread(app)
    app.config["PURGE_CHECK_SECONDS"] = 30
    assert thread.interval() == 30.0
    del app.config["PURGE_CHECK_SECONDS"]
    assert thread.interval() == 15 * 60


def test_the_command_waits_for_the_lock_and_the_thread_does_not(app, monkeypatch):
    """`flask buurt purge` waits for a running purge (wait=True); a thread's round skips (wait=False)."""
    taken = []

    @contextlib.contextmanager
    def job_lock(app_, name, *, wait):
        taken.append((app_, name, wait))
        yield True

    monkeypatch.setattr(schedule, "job_lock", job_lock)
    with purge_lock(app, wait=True):
        pass
    with purge_lock(app):
        pass
    assert taken == [(app, "purge", True), (app, "purge", False)]


def test_no_round_while_another_purge_holds_the_lock(app, groups, make_resident):
    now = local(2026, 6, 1, 5)
    thread = PurgeThread(app, clock=lambda: now)
    old_sign_up(make_resident, groups, now)
    with purge_lock(app) as got_it:
        assert got_it
        assert thread.run_once() is None
        assert residents() == 1
    assert thread.run_once() is not None
    assert residents() == 0


def test_a_purge_that_ran_while_waiting_for_the_lock_is_not_run_again(app, groups, make_resident, monkeypatch):
    """Checked again once the lock is held: another process may have finished today's purge meanwhile."""
    now = local(2026, 6, 1, 5)
    old_sign_up(make_resident, groups, now)
    answers = iter([None, now - timedelta(minutes=1)])  # before the lock: never; inside it: just now
    monkeypatch.setattr(schedule, "last_purge", lambda: next(answers))
    assert PurgeThread(app, clock=lambda: now).run_once() is None
    assert residents() == 1


def test_a_failing_round_is_logged_by_type_and_the_thread_lives_on(app, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database gone: secret details")

    monkeypatch.setattr(buurt.retention, "run_purge", broken)
    thread = PurgeThread(app, clock=lambda: local(2026, 6, 1, 5))
    with caplog.at_level(logging.ERROR, logger="buurt.retention.schedule"):
        assert thread.run_once() is None
    assert "RuntimeError" in caplog.text
    assert "secret details" not in caplog.text


def test_init_app_starts_the_thread_on_a_request_only_with_purge_thread():
    on, off = Flask("on"), Flask("off")
    on.config["PURGE_THREAD"] = True
    off.config["PURGE_THREAD"] = False
    schedule.init_app(on)
    schedule.init_app(off)
    thread = thread_of(on)
    assert isinstance(thread, PurgeThread)
    assert thread.app is on
    assert thread.clock is utcnow  # the real clock
    assert on.before_request_funcs[None] == [thread.ensure_running]
    assert not thread.running  # started by a request, never at import or in a command
    assert thread_of(off) is None
    assert off.before_request_funcs == {}
