"""Error pages leave evidence in the log (type and traceback, no personal data) and render without the database."""

from __future__ import annotations

import logging
import os
import shutil
import socket

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError

from buurt.auth.services import create_user
from buurt.extensions import db
from buurt.models import Role
from tests.conftest import PASSWORD, make_test_app

PHONE = "+31612345678"
STREET = "Fictieweg 12"
SERVER_ERROR = "Er ging bij ons iets mis"
NOT_FOUND = "Pagina niet gevonden"
STATIC_PAGE = "Deze pagina kan nu niet worden getoond"


def _insert_into_missing_table():
    """A real database error whose statement carries a phone number and an address."""
    values = {"phone": PHONE, "street": STREET}
    db.session.execute(text("INSERT INTO table_that_does_not_exist (phone, street) VALUES (:phone, :street)"), values)


def _unreachable_database_uri(tmp_path) -> str:
    """SQLite in a folder that does not exist, or (PostgreSQL runs) a port where nothing listens."""
    uri = os.environ.get("BUURT_TEST_DATABASE_URI")
    if not uri:
        return f"sqlite:///{tmp_path / 'bestaat-niet' / 'buurt.sqlite'}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return make_url(uri).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def _error_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "buurt.errors" and r.levelno >= logging.ERROR]


@pytest.fixture
def failing_app(tmp_path):
    """An app with one extra route that fails in the database with personal data in the statement."""
    app = make_test_app(tmp_path)

    def fail_with_personal_data():
        _insert_into_missing_table()
        return "niet bereikt"

    app.add_url_rule("/test/fout", "test_fout", fail_with_personal_data)
    yield app
    with app.app_context():  # its own pool: close it here, not in the garbage collector of a later test
        db.session.remove()
        db.engine.dispose()


def test_an_unexpected_error_is_logged_with_type_and_traceback_but_no_personal_data(failing_app, caplog):
    caplog.set_level(logging.INFO)
    response = failing_app.test_client().get("/test/fout?postcode=2221ZZ")
    assert response.status_code == 500
    assert SERVER_ERROR in response.get_data(as_text=True)

    [record] = _error_records(caplog)
    logged = record.getMessage()
    assert "sqlalchemy.exc." in logged  # OperationalError (SQLite) or ProgrammingError (PostgreSQL)
    assert "GET test_fout" in logged
    assert 'File "' in logged
    assert "in fail_with_personal_data" in logged  # the frames: file, line and function
    assert "in _insert_into_missing_table" in logged
    assert record.exc_info is None  # no handler may print the exception (and its message) after all
    for secret in (PHONE, STREET, "2221ZZ", "table_that_does_not_exist"):
        assert secret not in caplog.text


def test_database_errors_hide_their_bound_values(failing_app):
    with failing_app.app_context(), pytest.raises(SQLAlchemyError) as caught:
        _insert_into_missing_table()
    assert PHONE not in str(caught.value)
    assert STREET not in str(caught.value)


@pytest.fixture
def app_without_database(tmp_path):
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=_unreachable_database_uri(tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_with_the_database_down_the_site_still_shows_its_own_error_pages(app_without_database, caplog):
    client = app_without_database.test_client()

    missing = client.get("/bestaat-niet")
    assert missing.status_code == 404
    assert NOT_FOUND in missing.get_data(as_text=True)
    assert STATIC_PAGE not in missing.get_data(as_text=True)

    broken = client.get("/")  # the home page reads the groups
    assert broken.status_code == 500
    assert SERVER_ERROR in broken.get_data(as_text=True)
    assert "BuurtWhatsApp Rijnsoever" in broken.get_data(as_text=True)
    assert STATIC_PAGE not in broken.get_data(as_text=True)
    [record] = _error_records(caplog)
    assert "OperationalError" in record.getMessage()


def test_with_the_database_down_api_errors_stay_json(app_without_database):
    client = app_without_database.test_client()
    assert client.get("/api/v1/bestaat-niet").get_json()["status"] == 404
    broken = client.get("/api/v1/areas")
    assert broken.status_code == 500
    assert broken.get_json() == {"error": broken.get_json()["error"], "status": 500}
    assert SERVER_ERROR in broken.get_json()["error"]


def test_when_the_error_page_itself_fails_a_static_page_keeps_the_status(app_without_database, caplog):
    app = app_without_database
    broken_template = {"errors/error.html": "{{ this_function_does_not_exist() }}"}
    app.jinja_loader = ChoiceLoader([DictLoader(broken_template), app.jinja_loader])
    client = app.test_client()

    for path, status in (("/bestaat-niet", 404), ("/", 500)):
        response = client.get(path)
        assert response.status_code == status
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert STATIC_PAGE in html
        assert '<a href="/">Naar de startpagina</a>' in html
        assert '<html lang="nl">' in html

    logged = "\n".join(r.getMessage() for r in _error_records(caplog))
    assert "the 404 page could not be rendered: jinja2.exceptions.UndefinedError" in logged
    assert "the 500 page could not be rendered" in logged
    assert "this_function_does_not_exist" not in logged  # message text stays out of the log


def test_a_logged_in_user_gets_the_static_page_when_the_database_goes_down(tmp_path, caplog):
    # always SQLite: this test takes its own database away
    folder = tmp_path / "database"
    folder.mkdir()
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'buurt.sqlite'}")
    with app.app_context():
        db.create_all()
        user = create_user("beheer@example.org", "Fictieve Beheerder", Role.BEHEERDER, PASSWORD, [])
        email = user.email
    client = app.test_client()
    assert client.post("/inloggen", data={"email": email, "password": PASSWORD}).status_code == 302

    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(folder)

    for path, status in (("/bestaat-niet", 404), ("/", 500)):
        response = client.get(path)
        assert response.status_code == status
        assert STATIC_PAGE in response.get_data(as_text=True)
    assert "beheer@example.org" not in caplog.text
