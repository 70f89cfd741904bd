"""Liveness and readiness (issue 16): /health answers while the process lives, /health/ready only
when the site can serve, `flask buurt init` and `flask buurt ready` say the same in their exit code.

Every test builds its own app on a database of its own, migrated by the real migrations (SQLite in
the test's folder, or a fresh PostgreSQL database in the PostgreSQL run). Read-only is made two
ways, as the tests run as root and chmod does not stop root: a read-only database (SQLite's
``mode=ro`` URI; PostgreSQL's ``default_transaction_read_only``), and a read-only bind mount of the
instance folder in a mount namespace of its own (``unshare -m``) for the command line.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import flask_migrate
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from buurt.areas.services import seed_default_neighbourhood
from buurt.extensions import db
from buurt.ops import health
from tests.conftest import make_test_app
from tests.gunicorn_support import ROOT, VENV_BIN, free_port, server_env
from tests.postgres_support import postgres_server  # noqa: F401 - the fixture (PostgreSQL run)
from tests.redis_support import redis_server  # noqa: F401 - the fixture

TIMEOUT = 5.0  # READINESS_TIMEOUT: enough for a loaded machine; a silent server holds a probe this long


@pytest.fixture
def database_uri(tmp_path, request) -> str:
    """An empty database of this test's own: SQLite in its instance folder, or PostgreSQL."""
    if os.environ.get("BUURT_TEST_DATABASE_URI", "").startswith("postgresql"):
        return request.getfixturevalue("postgres_server").new_database("ready")
    (tmp_path / "instance").mkdir(exist_ok=True)
    return f"sqlite:///{tmp_path / 'instance' / 'buurt.sqlite'}"


@pytest.fixture
def build(tmp_path, database_uri):
    """build(**config) -> an app on this test's database (disposed afterwards)."""
    apps = []

    def make(**config):
        values = {"SQLALCHEMY_DATABASE_URI": database_uri, "READINESS_TIMEOUT": TIMEOUT, **config}
        app = make_test_app(tmp_path, **values)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def migrate(app, revision: str = "head") -> None:
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        if revision == "head":  # today's models write today's columns: an older schema stays unseeded
            seed_default_neighbourhood()


def code_head(app) -> str:
    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def make_read_only(uri: str) -> str:
    """The URI of the same database, read-only for every new connection."""
    if uri.startswith("sqlite:///"):
        return f"sqlite:///file:{uri.removeprefix('sqlite:///')}?mode=ro&uri=true"
    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar()
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    engine.dispose()
    return uri


@pytest.fixture
def ready_app(build):
    app = build()
    migrate(app)
    return app


# --- liveness and the database -------------------------------------------------------------------


def test_a_healthy_site_is_ready(ready_app):
    response = ready_app.test_client().get("/health/ready")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["ready"] is True
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "migrations", "photo_store", "instance", "ratelimit", "mail"}
    for name, result in body["checks"].items():
        assert result["ok"] is True, (name, result)
        assert isinstance(result["ms"], float)
        assert result["ms"] >= 0
        assert result["detail"]
    assert code_head(ready_app) in body["checks"]["migrations"]["detail"]


def test_read_only_database_is_not_ready_but_alive(build, database_uri):
    """The issue's case: /health said 200 while every page that writes failed."""
    migrate(build())
    app = build(SQLALCHEMY_DATABASE_URI=make_read_only(database_uri))
    client = app.test_client()
    assert client.get("/health").status_code == 200  # the process lives: no database asked
    response = client.get("/health/ready")
    body = response.get_json()
    assert response.status_code == 503
    assert body["ready"] is False
    assert body["status"] == "not ready"
    database = body["checks"]["database"]
    assert database["ok"] is False
    assert database["detail"] in ("schrijven mislukt (SQLITE_READONLY)", "schrijven mislukt (ReadOnlySqlTransaction)")
    assert body["checks"]["migrations"]["ok"] is True  # reading works: it is the write that fails


def test_the_database_probe_leaves_no_row(ready_app):
    from buurt.models import Revision

    before = health.probe(ready_app, ["database"])
    assert before.checks["database"]["ok"] is True
    with ready_app.app_context():
        assert db.session.get(Revision, health.PROBE_REVISION) is None


# --- migrations ----------------------------------------------------------------------------------


def test_migrations_behind_head_are_not_ready_until_init(build):
    app = build()
    head = code_head(app)
    older = ScriptDirectory(app.extensions["migrate"].directory).get_revision(head).down_revision
    migrate(app, older)  # the database of the release before this one
    response = app.test_client().get("/health/ready")
    migrations = response.get_json()["checks"]["migrations"]
    assert response.status_code == 503
    assert migrations["ok"] is False
    assert older in migrations["detail"]
    assert head in migrations["detail"]
    assert "achter" in migrations["detail"]

    result = app.test_cli_runner().invoke(args=["buurt", "init"])
    assert result.exit_code == 0, result.output
    assert "Klaar" in result.output
    assert health.probe(app).checks["migrations"]["ok"] is True


def test_a_database_ahead_of_the_code_is_not_ready(ready_app):
    """Code rolled back without `flask db downgrade`: the database has a revision this code lacks."""
    with ready_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    migrations = health.probe(ready_app).checks["migrations"]
    assert migrations["ok"] is False
    assert "ffffffffffff" in migrations["detail"]
    assert code_head(ready_app) in migrations["detail"]
    assert "niet kent" in migrations["detail"]


def test_a_database_never_migrated_is_not_ready(build):
    app = build()
    with app.app_context():
        db.create_all()  # tables, but no alembic_version
    migrations = health.probe(app).checks["migrations"]
    assert migrations["ok"] is False
    assert "zonder migratieversie" in migrations["detail"]


# --- photo store and instance folder -------------------------------------------------------------


def test_a_photo_store_that_takes_no_file_is_not_ready(build, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the photo folder should be")  # no mkdir under it, root or not
    app = build(PHOTO_STORE=str(blocker / "photos"))
    migrate(app)
    report = health.probe(app)
    assert report.ready is False
    assert report.checks["photo_store"] == {**report.checks["photo_store"], "ok": False, "required": True}
    assert "ENOTDIR" in report.checks["photo_store"]["detail"]


def test_the_photo_probe_leaves_nothing_behind(ready_app):
    from buurt.photostore import photo_store

    assert health.probe(ready_app, ["photo_store", "instance"]).ready is True
    assert list(photo_store(ready_app).names()) == []
    assert [p.name for p in Path(ready_app.instance_path).iterdir() if p.name.startswith(".readiness")] == []


# --- outside services: reported, never making the site unready -----------------------------------


def test_a_dead_mail_server_is_reported_not_unready(build):
    app = build(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    migrate(app)
    response = app.test_client().get("/health/ready")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["mail"] == {**body["checks"]["mail"], "ok": False, "required": False}
    assert body["checks"]["mail"]["detail"] == "geen antwoord (ECONNREFUSED)"


def test_a_silent_mail_server_is_cut_off_at_the_deadline(build, silent_smtp_server):
    """It accepts the connection and never greets: the probe ends at READINESS_TIMEOUT."""
    app = build(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent_smtp_server.port)
    migrate(app)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(health.probe(app)))
    worker.start()
    worker.join(60)  # a bound for a hung probe, not a speed test
    assert not worker.is_alive(), "the readiness probe did not end"
    assert silent_smtp_server.connections() >= 1  # it did talk to the server
    mail = answers[0].checks["mail"]
    assert mail["ok"] is False
    assert mail["detail"].startswith("geen antwoord")
    assert answers[0].ready is True


def test_an_answering_mail_server_is_ok(build, smtp_server):
    app = build(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    migrate(app)
    mail = health.probe(app, ["mail"]).checks["mail"]
    assert mail["ok"] is True
    assert mail["detail"] == "antwoordt (EHLO)"
    assert smtp_server.inbox.messages == []  # EHLO and QUIT only: no mail sent


class _Geocoder(http.server.BaseHTTPRequestHandler):
    """A stand-in geocoder on 127.0.0.1 that counts what it is asked and answers 404 (reachable)."""

    requests: list[str] = []

    def do_HEAD(self):
        self.requests.append(f"HEAD {self.path}")
        self.send_response(404)
        self.end_headers()

    def do_GET(self):
        self.requests.append(f"GET {self.path}")
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def geocoder_server():
    _Geocoder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Geocoder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_geocoders_reachable_or_not_never_unready(build, geocoder_server):
    port = geocoder_server.server_address[1]
    app = build(
        GEOCODER_CHAIN=("register", "pdok", "nominatim"),
        PDOK_URL=f"http://127.0.0.1:{port}/bzk/locatieserver/search/v3_1",
        NOMINATIM_URL=f"http://127.0.0.1:{free_port()}",  # dead
    )
    migrate(app)
    report = health.probe(app)
    assert report.ready is True
    assert report.status == "degraded"
    assert report.checks["geocoder_pdok"]["ok"] is True
    assert report.checks["geocoder_pdok"]["detail"] == "bereikbaar (HTTP 404)"
    assert report.checks["geocoder_nominatim"]["ok"] is False
    assert report.checks["geocoder_nominatim"]["detail"] == "niet bereikbaar (ECONNREFUSED)"
    assert _Geocoder.requests == ["HEAD /bzk/locatieserver/search/v3_1"]  # one HEAD, no search


def test_an_open_breaker_answers_without_asking_the_geocoder(build, geocoder_server):
    """The breaker already knows PDOK is failing: no request spends its rate budget."""
    from buurt.addresses.services import register

    port = geocoder_server.server_address[1]
    app = build(GEOCODER_CHAIN=("register", "pdok"), PDOK_URL=f"http://127.0.0.1:{port}/search")
    migrate(app)
    with app.app_context():
        register()  # builds this process's geocoder chain, with its breakers
    (pdok,) = [g for g in app.extensions["buurt.geocoder"]["chain"].geocoders if g.name == "pdok"]
    for _ in range(app.config["GEOCODER_BREAKER_FAILURES"]):
        pdok.breaker.failed()
    check = health.probe(app).checks["geocoder_pdok"]
    assert check["ok"] is False
    assert "circuit breaker open" in check["detail"]
    assert _Geocoder.requests == []


def test_redis_down_is_degraded_not_unready(build):
    app = build(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    migrate(app)
    response = app.test_client().get("/health/ready")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["ratelimit"]["ok"] is False
    assert body["checks"]["ratelimit"]["detail"] == "redis: antwoordt niet; telt per proces in het geheugen"


def test_redis_up_is_ok(build, redis_server):  # noqa: F811 - the fixture
    app = build(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url)
    migrate(app)
    assert health.probe(app, ["ratelimit"]).checks["ratelimit"]["detail"] == "redis: antwoordt"


# --- no amplifier --------------------------------------------------------------------------------


def test_answers_are_cached_per_process(build):
    app = build(READINESS_CACHE_SECONDS=3600)
    migrate(app)
    client = app.test_client()
    first, second = client.get("/health/ready"), client.get("/health/ready")
    assert health.probes_run(app) == 1
    assert first.get_json() == second.get_json()  # the same answer, checked_at included

    app.config["READINESS_CACHE_SECONDS"] = 0
    health.readiness(app)  # the cached answer has expired at its next use: a new probe
    health.readiness(app)
    assert health.probes_run(app) == 3


def test_one_probe_at_a_time(build, silent_smtp_server):
    """While a probe waits for a silent mail server, every other caller gets that probe's answer."""
    app = build(MAIL_SERVER="127.0.0.1", MAIL_PORT=silent_smtp_server.port, READINESS_CACHE_SECONDS=0)
    migrate(app)
    answers = []
    first = threading.Thread(target=lambda: answers.append(health.readiness(app)))
    first.start()
    assert silent_smtp_server.wait_for(1) == 1  # the probe is now held by the silent server
    others = [threading.Thread(target=lambda: answers.append(health.readiness(app))) for _ in range(8)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(60)
    assert len(answers) == 9
    assert health.probes_run(app) == 1
    assert silent_smtp_server.connections() == 1
    assert all(answer is answers[0] for answer in answers)


def test_the_answer_holds_no_secrets(build, database_uri, tmp_path):
    secrets = {
        "SECRET_KEY": "geheime-sleutel-voor-de-test-1234",
        "MAIL_USERNAME": "relay-gebruiker-xyz",
        "MAIL_PASSWORD": "relay-wachtwoord-xyz",
    }
    app = build(
        **secrets,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=free_port(),
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=f"redis://:redis-wachtwoord-xyz@127.0.0.1:{free_port()}/0",
        GEOCODER_CHAIN=("register", "pdok"),
        PDOK_URL=f"http://geheim-pad-xyz@127.0.0.1:{free_port()}/geheim-pad-xyz",
    )
    migrate(app)
    body = app.test_client().get("/health/ready").get_data(as_text=True)
    forbidden = [*secrets.values(), "redis-wachtwoord-xyz", "geheim-pad-xyz", "127.0.0.1", database_uri]
    forbidden += [str(tmp_path), app.instance_path, "postgresql", "sqlite:"]
    assert [word for word in forbidden if word in body] == []
    assert json.loads(body)["status"] == "degraded"  # the checks did run


# --- the command line ----------------------------------------------------------------------------


def test_init_on_a_new_database_is_ready(build):
    app = build()
    result = app.test_cli_runner().invoke(args=["buurt", "init"])
    assert result.exit_code == 0, result.output
    assert "Buurt Rijnsoever aangemaakt" in result.output
    for label in ("database", "migraties", "foto-opslag", "instance-map"):
        assert f"[ok  ] {label}" in result.output
    assert "Klaar: de site kan bezoekers bedienen." in result.output


def test_init_and_ready_exit_1_on_a_read_only_database(build, database_uri):
    migrate(build())
    app = build(SQLALCHEMY_DATABASE_URI=make_read_only(database_uri))
    result = app.test_cli_runner().invoke(args=["buurt", "init"])
    assert result.exit_code == 1, result.output
    assert "[FOUT] database (lezen en schrijven): schrijven mislukt" in result.output
    assert "NIET KLAAR" in result.output

    result = app.test_cli_runner().invoke(args=["buurt", "ready"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["ready"] is False
    assert body["checks"]["database"]["ok"] is False


def test_ready_prints_the_json_and_exits_0(ready_app):
    result = ready_app.test_cli_runner().invoke(args=["buurt", "ready"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "ready"


def _can_mount_read_only(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} {folder}"
    return subprocess.run(["unshare", "-m", "sh", "-c", probe], capture_output=True).returncode == 0


def test_init_in_a_read_only_instance_folder_exits_1(build, database_uri, tmp_path):
    """The issue's case for real: the instance folder is a read-only mount (as root, too)."""
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if not _can_mount_read_only(instance):
        pytest.skip("no mount namespace here (needs unshare and CAP_SYS_ADMIN)")
    migrate(build())
    env = server_env(instance_path=instance, database_uri=database_uri)
    flask = f"{VENV_BIN / 'flask'} --app app buurt"
    mount = f"mount --bind {instance} {instance} && mount -o remount,ro,bind {instance} {instance}"
    runs = {}
    for command in ("init", "ready"):
        runs[command] = subprocess.run(
            ["unshare", "-m", "sh", "-c", f"{mount} && exec {flask} {command}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    init, ready = runs["init"], runs["ready"]
    assert init.returncode == 1, init.stdout + init.stderr
    assert "[FOUT] instance-map: niet schrijfbaar (EROFS)" in init.stdout
    assert "NIET KLAAR" in init.stderr
    assert "Traceback" not in init.stderr
    assert ready.returncode == 1
    checks = json.loads(ready.stdout)["checks"]
    assert checks["instance"]["ok"] is False
    assert checks["photo_store"]["ok"] is False
    # SQLite lives in the folder and fails with it; PostgreSQL does not
    assert checks["database"]["ok"] is database_uri.startswith("postgresql")


def test_liveness_is_not_the_readiness(ready_app):
    assert ready_app.test_client().get("/health").get_json() == {"ok": True, "service": "buurt"}
    assert health.probes_run(ready_app) == 0
