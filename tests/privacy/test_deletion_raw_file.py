""" "Delete means delete" also for someone who copies the SQLite file (issue 13, point 2).

SQLite leaves a deleted row's bytes in free pages of the database file, and the write-ahead log
keeps the page images from before the delete. The site runs SQLite with ``secure_delete`` and
truncates the log after an erasure (buurt.retention.forget.scrub_database_files), so the raw
bytes of ``buurt.sqlite`` and ``buurt.sqlite-wal`` no longer hold the values. This test builds
its own SQLite app (the PostgreSQL run too): the file format is what it is about.
"""

from __future__ import annotations

from pathlib import Path

from buurt.extensions import db
from buurt.models import Resident, ResidentStatus, utcnow
from buurt.residents.links import my_data_link
from buurt.residents.my_data import delete_my_data
from buurt.retention import run_purge
from tests.conftest import _reset_schema, make_test_app

NAME = "Zwaantje Q. Rawfiletest"
PHONE = "+31687120001"
EMAIL = "zwaantje.rawfile@example.org"


def raw_bytes(database: Path) -> bytes:
    """The database file and its write-ahead log, as someone who copies them would read them."""
    return b"".join(
        path.read_bytes() for path in (database, database.with_name(database.name + "-wal")) if path.exists()
    )


def found(database: Path) -> list[str]:
    data = raw_bytes(database)
    return [value for value in (NAME, PHONE, EMAIL) if value.encode() in data]


def sqlite_app(tmp_path):
    database = tmp_path / "raw" / "buurt.sqlite"
    database.parent.mkdir()
    app = make_test_app(tmp_path / "raw", SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    with app.app_context():
        _reset_schema()
    return app, database


def add_person(status=ResidentStatus.ADDED, **fields) -> Resident:
    values = {"name": NAME, "phone_e164": PHONE, "email": EMAIL, "postcode": "2224QX", "house_number": 9}
    values.update(fields)
    resident = Resident(status=status, place="Katwijk", lat=52.21, lon=4.41, geocoder_source="register", **values)
    db.session.add(resident)
    db.session.commit()
    return resident


def test_my_data_delete_leaves_no_bytes_in_the_database_file_or_its_log(tmp_path):
    app, database = sqlite_app(tmp_path)
    with app.test_request_context():
        resident = add_person()
        for n in range(50):  # other residents on the same pages, so the page itself survives
            add_person(name=f"Ander Persoon {n}", phone_e164=f"+3161000{n:04d}", email=None)
        assert found(database) == [NAME, PHONE, EMAIL]
        token = my_data_link(resident).split("#", 1)[1]
        delete_my_data(token)
        assert found(database) == []
        db.engine.dispose()


def test_the_purge_leaves_no_bytes_of_expired_sign_ups(tmp_path):
    app, database = sqlite_app(tmp_path)
    with app.app_context():
        add_person(status=ResidentStatus.UNCONFIRMED, created_at=utcnow().replace(year=utcnow().year - 2))
        for n in range(50):
            add_person(name=f"Ander Persoon {n}", phone_e164=f"+3161000{n:04d}", email=None)
        assert found(database) == [NAME, PHONE, EMAIL]
        report = run_purge(apply=True)
        assert report.counts["signups"] == 1
        assert found(database) == []
        db.engine.dispose()
