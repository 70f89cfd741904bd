"""The rate-limit store itself: buurt-db:// is the default, counts in its own transaction, expires
and sweeps its rows; memory:// counts per worker (why it is not the default); an unreachable store
degrades to counting per process, never to no limit and never to a 500.
"""

from __future__ import annotations

import time

import pytest

from buurt.auth import throttle
from buurt.config import Defaults
from buurt.extensions import db, limiter
from buurt.models import RateLimitCounter
from buurt.ratelimit import DatabaseStorage
from tests.gunicorn_support import free_port
from tests.security.test_rate_limits import LIMITS, dispose, post_login, second_worker


@pytest.fixture
def app_config():
    return dict(LIMITS)  # the default store


def test_the_default_is_the_database_store_with_the_fixed_window_strategy(app):
    assert Defaults.RATELIMIT_STORAGE_URI == app.config["RATELIMIT_STORAGE_URI"] == "buurt-db://"
    assert Defaults.RATELIMIT_STRATEGY == "fixed-window"
    assert Defaults.TRUSTED_PROXIES == 0
    assert isinstance(limiter.storage, DatabaseStorage)
    post_login(app.test_client(), "d@example.org")
    assert [k for k in db.session.scalars(db.select(RateLimitCounter.key)) if "auth.login" in k]


def test_a_hit_is_committed_on_its_own_and_survives_the_requests_rollback(app):
    storage = DatabaseStorage("buurt-db://")
    db.session.execute(db.text("SELECT 1"))  # the request's session has a transaction open ...
    assert storage.incr("k", 60) == 1
    db.session.rollback()  # ... and rolls it back: the hit was committed on its own connection
    assert storage.get("k") == 1
    assert storage.incr("k", 60, amount=2) == 3
    assert storage.check()


def test_windows_expire_and_expired_rows_are_swept(app):
    storage = DatabaseStorage("buurt-db://")
    past = time.time() - 1
    db.session.add_all(
        [RateLimitCounter(key="old", count=9, expires_at=past), RateLimitCounter(key="gone", count=5, expires_at=past)]
    )
    db.session.commit()
    assert storage.get("old") == 0  # an expired window counts nothing ...
    assert storage.incr("old", 60) == 1  # ... and the next hit starts a new one
    assert time.time() < storage.get_expiry("old") <= time.time() + 60
    db.session.expire_all()
    assert db.session.get(RateLimitCounter, "gone") is None  # swept by that hit (the store's first)
    storage.clear("old")
    assert storage.get("old") == 0
    assert storage.reset() == 0


def test_memory_storage_counts_per_worker_which_is_why_it_is_not_the_default(app, tmp_path):
    """The two-worker test of test_rate_limits.py against memory://: each worker allows the whole limit."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = second_worker(app, tmp_path / "a", RATELIMIT_STORAGE_URI="memory://")
    second = second_worker(app, tmp_path / "b", RATELIMIT_STORAGE_URI="memory://")
    try:
        for client in (first.test_client(), second.test_client()):
            assert [post_login(client, f"m{i}@example.org").status_code for i in range(5)] == [200] * 4 + [429]
    finally:
        dispose(first)
        dispose(second)


@pytest.fixture
def unreachable_store_app(app, tmp_path):
    """The app with its store on a port nobody listens on."""
    dead = second_worker(app, tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    yield dead
    limiter._storage_dead = False  # Flask-Limiter keeps this flag on the one Limiter of the process
    dispose(dead)


def test_an_unreachable_store_falls_back_to_counting_in_the_process(unreachable_store_app):
    client = unreachable_store_app.test_client()
    assert [post_login(client, f"f{i}@example.org").status_code for i in range(5)] == [200] * 4 + [429]
    with unreachable_store_app.test_request_context("/inloggen", method="POST"):
        attempts = [throttle.LoginAttempt.start("same@example.org").allowed for _ in range(4)]
    assert attempts == [True, True, True, False]  # RATELIMIT_LOGIN_ACCOUNT: 3, counted here too
