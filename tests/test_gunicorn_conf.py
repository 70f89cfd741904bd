"""gunicorn.conf.py: what it chooses, and that real gunicorn with it survives slow clients (issue 11).

With 2 sync workers, 2 clients that trickle a request body held the whole site (/health too).
The live tests start real gunicorn on 127.0.0.1 (tests/gunicorn_support.py) on the test's
database; the control shows a slow client really does hold a sync worker, so the main test can fail.
"""

from __future__ import annotations

import runpy
import socket
import urllib.error

import pytest

from tests.gunicorn_support import (
    CONFIG_FILE,
    SlowBodyClient,
    gunicorn_command,
    listen_queue,
    running_gunicorn,
    wait_until_taken,
)

HEALTH_TIMEOUT_S = 10.0


def _load_config(monkeypatch, **env) -> dict:
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG_FILE))


def test_the_config_chooses_threaded_workers_and_no_access_log(monkeypatch):
    config = _load_config(monkeypatch)
    assert config["bind"] == "127.0.0.1:5000"  # as `make run` always served
    assert config["workers"] == 2
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 4
    assert config["accesslog"] is None  # URLs carry postcodes and personal links
    assert config["timeout"] > config["keepalive"]


def test_the_environment_overrides_address_workers_and_threads(monkeypatch):
    config = _load_config(monkeypatch, HOST="0.0.0.0", PORT="8000", WEB_CONCURRENCY="3", GUNICORN_THREADS="8")
    assert (config["bind"], config["workers"], config["threads"]) == ("0.0.0.0:8000", 3, 8)


@pytest.fixture
def slow_clients():
    """Slow-body clients made by the test, closed at the end whatever happened."""
    made: list[SlowBodyClient] = []

    def make(port: int, n: int) -> list[SlowBodyClient]:
        new = [SlowBodyClient(port) for _ in range(n)]
        made.extend(new)
        return new

    yield make
    for client in made:
        client.close()


def test_health_answers_while_two_slow_clients_hold_connections(app, tmp_path, slow_clients):
    """One worker with gunicorn.conf.py (stricter than the deployment's two: both slow clients on it)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with running_gunicorn(database_uri=uri, instance_path=tmp_path / "instance", workers=1) as server:
        slow = slow_clients(server.port, 2)

        status, body = server.get("/health", timeout=HEALTH_TIMEOUT_S)

        assert (status, b'"ok":true' in body.replace(b" ", b"")) == (200, True)
        assert all(client.is_connected() for client in slow), "the slow clients must still be waiting"
        # once their bodies arrive they get a real answer: the CSRF check refuses the token-less form
        assert [client.finish() for client in slow] == [400, 400]
        assert "Using worker: gthread" in server.log()


def test_control_a_slow_client_holds_a_sync_worker(app, tmp_path, slow_clients):
    """gunicorn's defaults (what `make run` used): one sync worker, one slow client, /health waits."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with running_gunicorn(database_uri=uri, instance_path=tmp_path / "instance", workers=1, config_file=None) as server:
        (slow,) = slow_clients(server.port, 1)

        with pytest.raises((TimeoutError, urllib.error.URLError)):
            server.get("/health", timeout=3)

        assert slow.finish() == 400
        assert server.get("/health", timeout=HEALTH_TIMEOUT_S)[0] == 200
        assert "Using worker: sync" in server.log()


def test_sync_workers_asked_for_are_sync_workers(tmp_path):
    """gunicorn runs gthread for "sync" with threads > 1, and gunicorn.conf.py asks for 4: a test that
    asked for sync workers got threaded ones, held none with a slow client, and failed one run in many."""
    command = gunicorn_command(8000, CONFIG_FILE, tmp_path, 2, "sync", None, ())
    assert command[command.index("--worker-class") + 1 :][:3] == ["sync", "--threads", "1"]
    with pytest.raises(ValueError, match="one thread"):
        gunicorn_command(8000, CONFIG_FILE, tmp_path, 2, "sync", 4, ())


def test_listen_queue_counts_connections_no_worker_took_yet():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        assert listen_queue(port) == 0
        with socket.create_connection(("127.0.0.1", port)), socket.create_connection(("127.0.0.1", port)):
            assert listen_queue(port) == 2
            server.accept()[0].close()
            assert listen_queue(port) == 1
            with pytest.raises(AssertionError, match="1 connection"):
                wait_until_taken(port, timeout=0.1)
            server.accept()[0].close()
            wait_until_taken(port, timeout=0.1)
    with pytest.raises(AssertionError, match="nothing listens"):
        listen_queue(port)


# --- logs and metrics (issue 16) -------------------------------------------------------------------------


def test_json_log_format_gives_gunicorn_the_apps_json_formatter(monkeypatch):
    assert _load_config(monkeypatch)["logconfig_dict"] == {}  # text: gunicorn's own log, as before
    config = _load_config(monkeypatch, BUURT_LOG_FORMAT="json")
    logconfig = config["logconfig_dict"]
    assert logconfig["formatters"]["json"]["()"] == "buurt.ops.logs.JsonFormatter"
    assert logconfig["loggers"]["gunicorn.error"]["handlers"] == ["json"]
    assert logconfig["root"]["handlers"] == ["json"]
    assert logconfig["disable_existing_loggers"] is False
    assert config["accesslog"] is None  # the app's access record replaces it


def test_the_metrics_folder_is_emptied_at_start_or_made(monkeypatch, tmp_path):
    config = _load_config(monkeypatch)
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"stale")
    (given / "keep.txt").write_text("not ours")
    folder, made = config["metrics_dir_ready"]({"PROMETHEUS_MULTIPROC_DIR": str(given)})
    assert (folder, made) == (given, False)
    assert sorted(p.name for p in given.iterdir()) == ["keep.txt"]

    environ: dict[str, str] = {}
    folder, made = config["metrics_dir_ready"](environ)
    try:
        assert made
        assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
        assert folder.is_dir()
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
    finally:
        folder.rmdir()
