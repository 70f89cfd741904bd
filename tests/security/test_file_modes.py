"""The instance folder, the database and photos are the site user's only (issue 12, finding 13).

Before: instance/buurt.sqlite (with -wal and -shm) and uploaded photos were created 0644 under the
usual umask 022, so every account on the machine could read residents' phone numbers. Each test
runs under umask 022 (as a shell and a service manager give) and checks the modes on disk.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest

from buurt.extensions import db
from buurt.models import Incident, ResidentStatus
from buurt.photostore import photo_store
from tests.gunicorn_support import CONFIG_FILE, VENV_BIN, running_gunicorn
from tests.incidents.conftest import jpeg_with_gps, report_data, reported
from tests.link_support import submit_link

ROOT = Path(__file__).resolve().parent.parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """umask 022 for the test (what a login shell or systemd gives), the old one restored after."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_an_uploaded_photo_is_0600_in_0700_folders(app, client, groups, make_resident, usual_umask):
    from buurt.incidents.reports import report_link

    resident = make_resident(groups[3], status=ResidentStatus.ADDED)
    with app.test_request_context():
        link = report_link(resident, external=False)
    data = report_data(photo=(io.BytesIO(jpeg_with_gps()), "foto.jpg"))
    assert reported(submit_link(client, link, data=data, content_type="multipart/form-data"))

    photo = photo_store(app).folder / db.session.scalar(db.select(Incident)).photo_filename  # the folder store
    assert mode(photo) == 0o600
    assert mode(photo.parent) == 0o700  # uploads/incidents
    assert mode(photo.parent.parent) == 0o700  # uploads


def test_init_makes_a_new_instance_private(tmp_path, usual_umask):
    """`flask buurt init` on an empty instance folder: the key, the database and the folder."""
    instance = tmp_path / "instance"
    result = _flask_init(instance)
    assert result.returncode == 0, result.stderr
    assert mode(instance) == 0o700
    assert mode(instance / "config.py") == 0o600
    database = instance / "buurt.sqlite"
    assert mode(database) == 0o600
    for suffix in ("-wal", "-shm"):  # SQLite gives its side files the database's mode
        side = database.with_name(database.name + suffix)
        if side.exists():
            assert mode(side) == 0o600, side.name


def test_init_tightens_an_existing_deployment(tmp_path, usual_umask):
    """An instance made before the fix (0755, database and photos 0644) is fixed by the next init."""
    instance = tmp_path / "instance"
    assert _flask_init(instance).returncode == 0
    photos = instance / "uploads" / "incidents"
    photos.mkdir(parents=True, exist_ok=True)  # init's readiness check writes a probe photo there
    (photos / "0123abcd.jpg").write_bytes(b"photo")
    for path in (instance, instance / "uploads", photos):
        path.chmod(0o755)
    for path in (instance / "buurt.sqlite", photos / "0123abcd.jpg"):
        path.chmod(0o644)

    result = _flask_init(instance)
    assert result.returncode == 0, result.stderr
    assert [mode(p) for p in (instance, instance / "uploads", photos)] == [0o700] * 3
    assert [mode(p) for p in (instance / "buurt.sqlite", photos / "0123abcd.jpg")] == [0o600] * 2


def _flask_init(instance: Path) -> subprocess.CompletedProcess:
    """`flask --app app buurt init` as `make run` runs it, on a SQLite database in `instance`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURT_") and k != "SQLALCHEMY_DATABASE_URI"}
    env["BUURT_INSTANCE_PATH"] = str(instance)
    return subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "app", "buurt", "init"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_gunicorn_config_sets_a_private_umask_for_the_server(tmp_path, usual_umask):
    """A database file the server itself creates (on its first request) is 0600.

    The control: the same file made by this process under umask 022 is 0644, which is what gunicorn
    gave before gunicorn.conf.py set the umask.
    """
    instance = tmp_path / "instance"
    instance.mkdir()
    database = instance / "made-by-the-server.sqlite"
    with running_gunicorn(
        database_uri=f"sqlite:///{database}", instance_path=instance, workers=1, config_file=CONFIG_FILE
    ) as server:
        server.get("/")  # the first request opens (and so creates) the database; no tables: an error page
    assert database.exists()
    assert mode(database) == 0o600
    control = tmp_path / "control.sqlite"
    control.touch()
    assert mode(control) == 0o644


def test_loading_the_gunicorn_config_changes_nothing(usual_umask):
    """Only the server's start hook sets the umask: a test or tool that reads the file is unaffected."""
    import runpy

    config = runpy.run_path(str(CONFIG_FILE))
    assert os.umask(0o022) == 0o022
    assert config["umask"] == 0o077
