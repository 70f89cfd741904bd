"""Rate limits hold as configured (issue 12, finding 5): one count for all workers, the real client
behind a proxy, and failed logins counted per account as well as per client.

Stores: buurt-db:// (the default: the app's own database) and a real redis-server (Debian's
package, started by tests/redis_support.py on its own port). "Two workers" are two app instances
with their own limiter store each (buurt.ratelimit.AppLimiter), as two gunicorn processes have;
the last test runs real gunicorn with 2 workers.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

from buurt.auth import throttle
from buurt.extensions import db
from buurt.models import RateLimitCounter, Role
from buurt.ratelimit import ENGINE, client_key
from tests.conftest import PASSWORD, make_test_app
from tests.gunicorn_support import free_port, prepare_database, running_gunicorn
from tests.redis_support import redis_server, redis_url  # noqa: F401 - fixtures

WRONG = "not the password at all"
LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_LOGIN": "4 per 15 minutes",
    "RATELIMIT_LOGIN_ACCOUNT": "3 per 15 minutes",
}


@pytest.fixture(params=["buurt-db", "redis"])
def store(request) -> str:
    """The shared store under test: the app's database (default) or a real Redis."""
    return "buurt-db://" if request.param == "buurt-db" else request.getfixturevalue("redis_url")


@pytest.fixture
def app_config(store):
    return {**LIMITS, "RATELIMIT_STORAGE_URI": store}


def post_login(client, email: str, password: str = WRONG, forwarded_for: str | None = None, **headers):
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post("/inloggen", data={"email": email, "password": password}, headers=headers)


def second_worker(app, tmp_path, **overrides):
    """Another app instance on the same database and store: what a second gunicorn worker is."""
    shared = (*LIMITS, "RATELIMIT_STORAGE_URI", "TRUSTED_PROXIES", "SQLALCHEMY_DATABASE_URI")
    config = {k: app.config[k] for k in shared}
    return make_test_app(tmp_path, **{**config, **overrides})


def dispose(other) -> None:
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    if ENGINE in other.extensions:
        other.extensions[ENGINE].dispose()  # the SQLite counter engine


def stored_keys(app, store: str) -> list[str]:
    """Every counter key in the store (to check what the keys reveal)."""
    if store.startswith("redis"):
        import redis

        with redis.Redis.from_url(store) as client:
            return [k.decode() for k in client.keys("*")]
    return list(db.session.scalars(db.select(RateLimitCounter.key)))


# -- one count for every worker -----------------------------------------------------------------


def test_two_workers_count_together_up_to_exactly_the_limit(app, tmp_path):
    """4 per 15 minutes: two POSTs in each worker, then both workers refuse the next one."""
    other = second_worker(app, tmp_path)
    try:
        first, second = app.test_client(), other.test_client()
        statuses = [post_login(c, f"x{i}@example.org").status_code for i, c in enumerate([first, second] * 2)]
        assert statuses == [200, 200, 200, 200]
        assert post_login(first, "x5@example.org").status_code == 429
        assert post_login(second, "x6@example.org").status_code == 429
    finally:
        dispose(other)


# -- the client's address: ProxyFix only when configured --------------------------------------


def test_without_trusted_proxies_a_spoofed_forwarded_for_does_not_change_the_key(app, client, store):
    statuses = [post_login(client, f"s{i}@example.org", forwarded_for=f"203.0.113.{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    keys = [k for k in stored_keys(app, store) if "auth.login" in k]
    assert keys
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        peer = client_key()
    assert all(peer in k and "203.0.113" not in k for k in keys)


def test_counter_keys_hold_a_keyed_hash_of_the_address_never_the_address(app, client, store):
    """Issue 13: the counter table (and a Redis dump) names no visitor; one address is one counter."""
    post_login(client, "k1@example.org")
    keys = [k for k in stored_keys(app, store) if "auth.login" in k]
    assert keys
    assert not any("127.0.0.1" in k for k in keys)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        here = client_key()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.2"}):
        elsewhere = client_key()
    assert here != elsewhere
    assert any(here in k for k in keys)


@pytest.fixture
def proxied(app, tmp_path):
    """The same app behind one trusted proxy (TRUSTED_PROXIES=1), on the same database and store."""
    behind = second_worker(app, tmp_path, TRUSTED_PROXIES=1)
    yield behind
    dispose(behind)


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(proxied):
    client = proxied.test_client()
    attacker = [post_login(client, f"a{i}@example.org", forwarded_for="203.0.113.9").status_code for i in range(5)]
    assert attacker == [200, 200, 200, 200, 429]
    assert post_login(client, "neighbour@example.org", forwarded_for="198.51.100.7").status_code == 200
    # a client cannot pick its address: the proxy appends the real one, ProxyFix takes the last
    spoofed = post_login(client, "a9@example.org", forwarded_for="198.51.100.7, 203.0.113.9")
    assert spoofed.status_code == 429


def test_forwarded_proto_is_trusted_only_from_a_configured_proxy(app, proxied, make_user):
    user = make_user(Role.BEHEERDER)
    https = {"X-Forwarded-Proto": "https"}
    behind = post_login(proxied.test_client(), user.email, PASSWORD, forwarded_for="198.51.100.1", **https)
    direct = post_login(app.test_client(), user.email, PASSWORD, **https)
    assert behind.status_code == direct.status_code == 302

    def device_cookie(response) -> str:
        return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(throttle.DEVICE_COOKIE))

    assert "Secure" in device_cookie(behind)  # request.is_secure followed X-Forwarded-Proto
    assert "Secure" not in device_cookie(direct)  # anyone can send the header: ignored without a proxy


# -- failed logins per account -------------------------------------------------------------------


def test_failures_from_many_addresses_lock_the_account_not_the_site(proxied, make_user):
    beheerder = make_user(Role.BEHEERDER)
    client = proxied.test_client()
    for i in range(3):  # RATELIMIT_LOGIN_ACCOUNT: 3 failures, each from another address
        assert post_login(client, beheerder.email, forwarded_for=f"203.0.113.{i}").status_code == 200
    locked = post_login(client, beheerder.email, PASSWORD, forwarded_for="203.0.113.50")
    assert locked.status_code == 429
    assert "Te vaak een verkeerd wachtwoord voor dit e-mailadres" in locked.get_data(as_text=True)
    # the same spelling game does not help, and other accounts are not affected
    respelled = beheerder.email.upper()
    assert post_login(client, respelled, PASSWORD, forwarded_for="203.0.113.51").status_code == 429
    other = make_user(Role.BEHEERDER)
    assert post_login(client, other.email, PASSWORD, forwarded_for="203.0.113.52").status_code == 302


def test_a_browser_that_logged_in_before_is_not_locked_out_by_an_attacker(proxied, make_user):
    beheerder = make_user(Role.BEHEERDER)
    own_browser = proxied.test_client()
    assert post_login(own_browser, beheerder.email, PASSWORD, forwarded_for="198.51.100.20").status_code == 302
    own_browser.post("/uitloggen")
    attacker = proxied.test_client()
    for i in range(6):
        post_login(attacker, beheerder.email, forwarded_for=f"203.0.113.{i}")
    assert post_login(attacker, beheerder.email, PASSWORD, forwarded_for="203.0.113.99").status_code == 429
    assert post_login(own_browser, beheerder.email, PASSWORD, forwarded_for="198.51.100.20").status_code == 302
    # a cookie made for another account, or a forged one, is no way around the lock
    cookie = own_browser.get_cookie(throttle.DEVICE_COOKIE, path="/inloggen")
    stranger = proxied.test_client()
    stranger.set_cookie(throttle.DEVICE_COOKIE, cookie.value + "x", path="/inloggen")
    assert post_login(stranger, beheerder.email, PASSWORD, forwarded_for="203.0.113.98").status_code == 429


def test_only_failures_count_and_unknown_addresses_are_counted_alike(proxied, make_user):
    beheerder = make_user(Role.BEHEERDER)
    for i in range(5):  # more successes than the account limit, each from a new browser
        fresh = proxied.test_client()
        assert post_login(fresh, beheerder.email, PASSWORD, forwarded_for=f"198.51.100.{i}").status_code == 302
    client = proxied.test_client()
    answers = [post_login(client, "nobody@example.org", forwarded_for=f"203.0.113.{i}").status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]  # the same lock as a real account: it tells nobody who has one


def test_counter_keys_hold_no_email_address_and_the_lock_is_bounded(app, proxied, store, make_user):
    beheerder = make_user(Role.BEHEERDER, email="jansen.beheer@example.org")
    for i in range(4):
        post_login(proxied.test_client(), beheerder.email, forwarded_for=f"203.0.113.{i}")
    keys = stored_keys(app, store)
    assert any("login-account" in k for k in keys)
    assert not any("jansen" in k or "@" in k for k in keys)
    if store == "buurt-db://":
        rows = db.session.scalars(db.select(RateLimitCounter))
        (expires_at,) = [r.expires_at for r in rows if "login-account" in r.key]
        assert expires_at <= time.time() + 15 * 60  # one window, however many attempts
    else:
        import redis

        with redis.Redis.from_url(store) as client:
            (key,) = [k for k in keys if "login-account" in k]
            assert 0 < client.ttl(key) <= 15 * 60


# -- real gunicorn, 2 workers: exactly the configured number of logins -------------------------


def _post(url: str, email: str) -> int:
    body = urllib.parse.urlencode({"email": email, "password": WRONG}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url + "/inloggen", data=body), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_with_two_workers_allows_exactly_the_configured_logins(app, store, tmp_path):
    config = {
        **LIMITS,
        "RATELIMIT_LOGIN": "5 per 15 minutes",
        "RATELIMIT_LOGIN_ACCOUNT": "100 per 15 minutes",
        "RATELIMIT_STORAGE_URI": store,
        "WTF_CSRF_ENABLED": False,
    }
    database_uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    instance = tmp_path / "srv"
    with running_gunicorn(database_uri=database_uri, instance_path=instance, config=config, workers=2) as server:
        statuses = [_post(server.url, f"g{i}@example.org") for i in range(12)]
    assert statuses == [200] * 5 + [429] * 7


# -- a shared store that is not there at start (issue 16) ----------------------------------------


def test_a_redis_missing_at_start_is_logged_limits_count_in_memory_and_redis_takes_over_when_it_starts(tmp_path):
    """gunicorn against a Redis port where nothing listens yet, then a real redis-server started late."""
    port, password = free_port(), "fictief-redis-wachtwoord"
    config = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": f"redis://:{password}@127.0.0.1:{port}/0",
        "RATELIMIT_LOOKUP": "3 per hour",
    }
    database_uri = f"sqlite:///{tmp_path / 'late.sqlite'}"
    prepare_database(instance_path=tmp_path / "srv", database_uri=database_uri)
    store = f"Rate-limit store redis://127.0.0.1:{port}/0"
    with running_gunicorn(
        database_uri=database_uri, instance_path=tmp_path / "srv", config=config, workers=1
    ) as server:
        # the documented fallback: this process counts on its own; never a 500, never unlimited
        assert [_lookup(server.url) for _ in range(5)] == [404, 404, 404, 429, 429]
        # one clear line, no password: from the start check on the worker's first request or, at the
        # latest, from the first limited request. Checked after the lookups, not after the harness's
        # /health: a /health poll that gave up while the worker booted (2 s) is still served first,
        # its thread runs the start check, and a second poll skips the check and answers before
        # that line is written (about 1 start in 7 on this machine)
        assert f"{store} is unreachable" in server.log()
        assert "counts the limits in its own memory" in server.log()

        with _redis_on(port, password) as late:
            counted = _wait_for_redis_counter(server.url, late)
            assert counted, server.log()[-2000:]
        assert f"{store} answers again" in server.log()
        assert password not in server.log()
        assert "Traceback" not in server.log()


def _lookup(url: str) -> int:
    request = urllib.request.Request(
        url + "/api/v1/lookup",
        data=b'{"postcode": "2221AA", "huisnummer": "1"}',
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_for_redis_counter(url: str, client, deadline_s: float = 120.0) -> bool:
    """Look up until a hit lands in Redis (Flask-Limiter probes for the store after 1, 2, 4 ... 32 s)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert _lookup(url) in (404, 429)  # never a 500 while the store comes back
        if client.keys("LIMITS*"):
            return True
        time.sleep(0.2)
    return False


@contextmanager
def _redis_on(port: int, password: str):
    """redis-server on exactly this port (the app was configured for it before it ran), with a password."""
    import redis

    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make redis` (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="buurt-redis-late-") as scratch:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--requirepass", password, "--dir", scratch, "--daemonize", "no"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(host="127.0.0.1", port=port, password=password)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.05)
            yield client
        finally:
            client.close()
            process.terminate()
            process.wait(10)
