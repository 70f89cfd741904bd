"""No log line holds personal data, at any level the site enables and at DEBUG for its own loggers
(issue 13, finding 11).

The whole path of a resident and a beheerder (lookup, sign-up twice with one number, Mijn gegevens
request, open, download, correct and delete, an incident report, password reset, a failed and a good
login) runs with the `buurt` loggers at DEBUG and every other logger (sqlalchemy, werkzeug, gunicorn,
flask-limiter) at INFO; neither the records nor stderr hold any spelling of the fictional person's
values (tests.privacy.seed). A database error during sign-up whose text holds the values (as
PostgreSQL's unique-violation DETAIL does, and as SQLAlchemy's "[parameters: ...]" did) with the
error page failing too, and an exception that escapes every handler (Flask then logs it itself),
leave no value in the log either. A real gunicorn with an access log shows no token or address in
its request lines after the same flows. Audit details and the outbox's last_error hold none either.
"""

from __future__ import annotations

import ast
import http.client
import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, Resident
from tests.conftest import PASSWORD
from tests.link_support import open_link, post_link, submit_link
from tests.privacy.seed import BEHEERDER, MARKER, PEOPLE, find_secrets, secrets

PERSON = PEOPLE[0]
SOURCE = Path(__file__).resolve().parents[2] / "buurt"


@pytest.fixture
def logs(caplog):
    """Every record: `buurt` at DEBUG, all other loggers at INFO (what an operator might enable)."""
    caplog.set_level(logging.INFO)
    for name in ("sqlalchemy", "sqlalchemy.engine", "werkzeug", "gunicorn", "flask-limiter"):
        caplog.set_level(logging.INFO, logger=name)
    caplog.set_level(logging.DEBUG, logger="buurt")
    return caplog


def everything_logged(caplog, captured) -> str:
    """The records as a handler would print them (exception text included) and the process's output."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(record) for record in caplog.records]
    return "\n".join(lines) + "\n" + captured.out + "\n" + captured.err


def assert_nothing_personal(logged: str) -> None:
    found = [f"{s.kind} {s.label!r}" for s in find_secrets(logged, secrets())]
    assert found == [], f"personal data in the log: {found}\n{logged[-3000:]}"


@pytest.fixture
def home(make_address):
    """The person's address in the register, so that lookups and the sign-up place it."""
    return PERSON.register_home(make_address)


def signup_form(**overrides) -> dict:
    """The postcode typed with a space and in lower case, as people do: the log must not hold it either way."""
    return PERSON.signup_form(postcode=f"{PERSON.postcode[:4]} {PERSON.postcode[4:].lower()}", **overrides)


def run_flows(app, client, make_user) -> Resident:
    """Everything a resident and a beheerder do with personal values, through the real views."""
    from buurt.incidents.reports import report_link
    from buurt.residents.links import my_data_link
    from tests.incidents.conftest import report_data

    address = {"postcode": PERSON.postcode, "house_number": str(PERSON.house_number), "addition": PERSON.house_letter}
    assert client.post("/welke-groep", data=address).status_code == 200
    assert client.post("/welke-groep", data={"street": PERSON.street, "house_number": PERSON.house}).status_code < 500
    api = {"postcode": PERSON.postcode, "huisnummer": str(PERSON.house_number), "toevoeging": PERSON.house_letter}
    assert client.post("/api/v1/lookup", json=api).status_code == 200
    assert client.post("/api/v1/lookup", json={"q": f"{PERSON.street} {PERSON.house}"}).status_code < 500
    assert client.post("/api/v1/areas/at", json={"lat": PERSON.lat, "lon": PERSON.lon}).status_code == 200
    assert client.post("/aanmelden", data=signup_form()).status_code in (200, 302)
    assert client.post("/aanmelden", data=signup_form(name=f"{PERSON.name} Dubbel")).status_code in (200, 302)
    resident = db.session.scalars(db.select(Resident).filter_by(phone_e164=PERSON.phone_e164)).one()
    resident.status = "pending"  # confirmed: may report incidents
    resident.email_confirmed_at = resident.created_at
    db.session.commit()

    assert client.post("/mijn-gegevens", data={"contact": "06 " + PERSON.phone_e164[4:]}).status_code == 200
    assert client.post("/mijn-gegevens", data={"contact": PERSON.email.upper()}).status_code == 200
    with app.test_request_context():
        data_link, incident_link = my_data_link(resident), report_link(resident, external=False)
    assert open_link(client, data_link).status_code == 200
    assert post_link(client, data_link, "/mijn-gegevens/download").status_code == 200
    report = report_data(
        description=f"{MARKER} {PERSON.name} zag het, bel {PERSON.phone_e164}",
        address=f"{PERSON.street} {PERSON.house}",
        lat=str(PERSON.lat),
        lon=str(PERSON.lon),
        person_top=f"{MARKER} jas",
    )
    assert open_link(client, incident_link).status_code == 200
    assert submit_link(client, incident_link, data=report).status_code == 200

    beheerder = make_user("beheerder", email=BEHEERDER[1], name=BEHEERDER[0])
    assert client.post("/wachtwoord-vergeten", data={"email": beheerder.email}).status_code in (200, 302)
    assert client.post("/inloggen", data={"email": beheerder.email.upper(), "password": "fout"}).status_code == 200
    assert client.post("/inloggen", data={"email": beheerder.email, "password": PASSWORD}).status_code == 302
    client.post("/uitloggen")

    changed = signup_form(name=f"{PERSON.name} Gewijzigd", household_size="3")
    assert post_link(client, data_link, "/mijn-gegevens/wijzigen", changed).status_code in (200, 302)
    post_link(client, data_link, "/mijn-gegevens/verwijderen", {"confirm": "y"})
    return resident


def test_the_flows_log_nothing_personal_at_debug(app, client, home, make_user, logs, capsys):
    run_flows(app, client, make_user)
    assert logs.records, "the flows logged nothing at all: is the capture working?"
    assert_nothing_personal(everything_logged(logs, capsys.readouterr()))


def test_audit_details_and_mail_errors_hold_no_personal_data(app, client, home, make_user, logs):
    run_flows(app, client, make_user)
    details = [json.dumps(entry.details or {}) for entry in db.session.scalars(db.select(AuditEntry))]
    errors = [m.last_error or "" for m in db.session.scalars(db.select(OutboxMessage))]
    assert len(details) >= 3
    assert find_secrets("\n".join(details + errors), secrets()) == []


#: words that name personal values; an audit.record argument (name or value) must not mention them
#: "households" is a CBS count per area or neighbourhood (no person's data); house_number, housing … are not
PERSONAL_WORDS = re.compile(
    r"\b(name|display_name|phone\w*|e?mail|email|postcode|street|house(?!holds\b)\w*|address\w*|note|description|"
    r"received_text|text|lat|lon|contact|details)\b",
    re.IGNORECASE,
)


def test_every_audit_record_call_passes_ids_counts_and_codes_only():
    """Each audit.record(...) in the package: no argument named after, or read from, a personal field."""
    calls, bad = 0, []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) in ("audit.record", "record")):
                continue
            calls += 1
            for keyword in node.keywords:
                said = f"{keyword.arg or ''} {ast.unparse(keyword.value)}"
                allowed = keyword.arg == "household_size" or said.strip() in ("household_size resident.household_size",)
                if PERSONAL_WORDS.search(said) and not allowed:
                    bad.append(f"{path.relative_to(SOURCE.parent)}:{node.lineno}: {said}")
    assert calls > 20
    assert bad == [], bad


# --- errors: the database fails, the error page fails, an exception escapes every handler --------------


def _failing_flush_error(kind: type[DBAPIError] = IntegrityError) -> DBAPIError:
    """A database error whose text holds the values: PostgreSQL's DETAIL quotes them, and so do bound
    values shown without hide_parameters."""
    orig = Exception(
        'duplicate key value violates unique constraint "uq_resident_phone"\n'
        f"DETAIL:  Key (phone_e164)=({PERSON.phone_e164}) already exists."
    )
    return kind(
        "INSERT INTO resident (name, phone_e164, email, postcode) VALUES (?, ?, ?, ?)",
        (PERSON.name, PERSON.phone_e164, PERSON.email, PERSON.postcode),
        orig,
    )


@pytest.mark.parametrize("kind", [DataError, OperationalError])  # an IntegrityError is a duplicate number
def test_a_database_error_in_sign_up_with_a_failing_error_page_logs_no_values(
    app, client, home, monkeypatch, logs, capfd, kind
):
    def fail(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().upper().startswith("INSERT INTO RESIDENT"):
            raise _failing_flush_error(kind)

    def broken_template(*_args, **_kwargs):
        raise RuntimeError(f"template for {PERSON.email} failed")

    assert PERSON.phone_e164 in str(_failing_flush_error())  # the error's text holds the values
    monkeypatch.setattr("buurt.errors.render_template", broken_template)
    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        response = client.post("/aanmelden", data=signup_form())
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    assert response.status_code == 500
    assert "Er ging iets mis" in response.get_data(as_text=True)  # the static last-resort page
    logged = everything_logged(logs, capfd.readouterr())
    assert kind.__name__ in logged  # logged, by type
    assert "RuntimeError" in logged
    assert_nothing_personal(logged)


def test_an_exception_that_escapes_the_handlers_is_logged_without_url_or_text(app, client, logs, capfd):
    """An after-request hook that fails (on the page and again on the error page): Flask logs such an
    exception itself, with request.path and the traceback's text, unless buurt.errors says otherwise."""

    def fail_after(response):
        raise _failing_flush_error()

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production (TESTING re-raises; the fixture restores it)
    hooks = app.after_request_funcs.setdefault(None, [])
    hooks.append(fail_after)  # appended directly: the app served requests before (the cached test app)
    try:
        response = client.get(f"/welke-groep/{PERSON.street}-{PERSON.house_number}{PERSON.house_letter}")
    finally:
        hooks.remove(fail_after)
    assert response.status_code == 500
    logged = everything_logged(logs, capfd.readouterr())
    assert "IntegrityError" in logged
    assert_nothing_personal(logged)


def test_the_engine_hides_bound_values(app, make_user):
    """SQLAlchemy shows no bound values in an error (PostgreSQL's own DETAIL may still quote a key:
    that is why no handler logs an exception's text)."""
    from buurt.models import Role, User

    assert db.engine.hide_parameters is True
    stored = make_user("beheerder", email=PERSON.email).email
    db.session.add(User(email=stored, name=PERSON.name, role=Role.BEHEERDER))
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    assert "parameters hidden" in str(caught.value)
    assert "[parameters:" not in str(caught.value)
    assert PERSON.name not in str(caught.value)


def test_a_logged_exception_keeps_its_types_and_frames_only(logs):
    """buurt.errors.ExceptionTypesOnly on gunicorn's, Flask's and Flask-Limiter's loggers."""
    for name in ("gunicorn.error", "buurt", "flask-limiter"):
        try:
            raise _failing_flush_error()
        except IntegrityError as error:
            logging.getLogger(name).exception("Error handling request %s", f"/x?postcode={PERSON.postcode}")
            logging.getLogger(name).exception(error)
    logged = everything_logged(logs, type("Captured", (), {"out": "", "err": ""})())
    assert logged.count("IntegrityError") >= 6
    assert "in test_a_logged_exception_keeps_its_types_and_frames_only" in logged  # the frames are there
    assert_nothing_personal(logged)


# --- a real gunicorn with an access log -------------------------------------------------------------------


def _request(port: int, method: str, path: str, *, form=None, body=None, headers=None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = dict(headers or {})
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_gunicorn_access_log_holds_no_token_or_address(app, home, tmp_path):
    """With an access log switched on (as a proxy's would be), the request lines after the resident's
    flows hold no token, address, name or number: addresses go in POST bodies, tokens after '#'."""
    from buurt.incidents.reports import report_link
    from buurt.residents.links import my_data_link
    from tests.gunicorn_support import SECRET_KEY, running_gunicorn

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    config = {"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "GEOCODER_CHAIN": ["register"]}
    access = ("--access-logfile", "-")  # in gunicorn.conf.py's access_log_format
    with running_gunicorn(database_uri=uri, instance_path=tmp_path, config=config, workers=1, extra_args=access) as s:
        port = s.port
        address = {"postcode": PERSON.postcode, "house_number": str(PERSON.house_number), "addition": "B"}
        assert _request(port, "POST", "/welke-groep", form=address) == 200
        api = json.dumps({"postcode": PERSON.postcode, "huisnummer": str(PERSON.house_number)})
        assert _request(port, "POST", "/api/v1/lookup", body=api, headers={"Content-Type": "application/json"}) == 200
        assert _request(port, "POST", "/aanmelden", form=signup_form()) in (200, 302)
        resident = db.session.scalars(db.select(Resident).filter_by(phone_e164=PERSON.phone_e164)).one()
        app.config["SECRET_KEY"], saved = SECRET_KEY, app.config["SECRET_KEY"]
        try:
            with app.test_request_context():
                links = [my_data_link(resident), report_link(resident, external=False)]
        finally:
            app.config["SECRET_KEY"] = saved
        tokens = [urlsplit(link).fragment for link in links]
        for link, token in zip(links, tokens, strict=True):
            path = urlsplit(link).path
            assert _request(port, "GET", path) == 200
            assert _request(port, "POST", path, form={"token": token, "open": "1"}) == 200
        assert _request(port, "POST", "/mijn-gegevens", form={"contact": PERSON.email}) == 200
        # a query string is whatever a client typed (here a home point, refused): the log format leaves it out
        assert _request(port, "GET", f"/api/v1/areas/at?lat={PERSON.lat}&lon={PERSON.lon}") == 405
        assert _request(port, "GET", f"/welke-groep?postcode={PERSON.postcode}&nr={PERSON.house}") == 200
        log = s.log()
    assert '"POST /aanmelden"' in log  # the access log is on
    assert_nothing_personal(log)
    for token in tokens:
        assert token[:20] not in log


# --- online geocoders: what they asked (an address) stays out of the log at DEBUG -------------------------


class TestOnlineGeocoderLogs:
    """A fake PDOK on 127.0.0.1 that knows the person's address, or answers 500: the request URL (the
    address as query) and geopy's error text (which quotes it) are never logged."""

    @pytest.fixture(params=["ok", "error"])
    def server(self, request):
        from tests.geocoder_support import LoopbackGeocoder, pdok_body

        body = pdok_body(PERSON.house_number, PERSON.postcode, PERSON.lat, PERSON.lon, PERSON.street)
        with LoopbackGeocoder(request.param, ok_body=body) as running:
            yield running

    @pytest.fixture
    def app_config(self, server):
        from tests.geocoder_support import pdok_config

        return pdok_config(server, chain=("pdok",))

    def test_a_lookup_through_pdok_logs_no_address(self, client, server, logs, capsys):
        body = {"postcode": PERSON.postcode, "huisnummer": str(PERSON.house_number)}
        # found, or 503 "try again" when the service fails: never a 500
        assert client.post("/api/v1/lookup", json=body).status_code != 500
        assert client.post("/api/v1/lookup", json={"q": f"{PERSON.street} {PERSON.house_number}"}).status_code != 500
        assert server.hits >= 1
        assert_nothing_personal(everything_logged(logs, capsys.readouterr()))
