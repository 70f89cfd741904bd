"""Structured logs without personal data (issue 16): buurt.ops.logs and gunicorn.conf.py's JSON log.

The main test runs a real gunicorn with LOG_FORMAT=json through what a resident does with personal
values (a lookup in a form body and one in a query string, a sign-up with address and phone number,
a personal link opened and used, a beheer page by id) and reads everything the server wrote: every
line is a JSON object, each request has one access record whose id is the response's X-Request-ID,
and no line holds the person's postcode, phone number, house number, name, the link's token or a
query string.
"""

from __future__ import annotations

import http.client
import json
import logging
from urllib.parse import urlencode, urlsplit

import pytest

from buurt.extensions import db
from buurt.models import Resident
from buurt.ops import logs
from tests.gunicorn_support import SECRET_KEY, running_gunicorn
from tests.privacy.seed import PEOPLE, find_secrets, secrets

PERSON = PEOPLE[0]
SAFE_ID = "proxy-id.0123456789abcdef"


@pytest.fixture
def home(make_address):
    """The person's address in the register, so that the lookups and the sign-up place it."""
    return PERSON.register_home(make_address)


def signup_form() -> dict:
    return PERSON.signup_form()


class Client:
    """Plain HTTP to the server; remembers each answer's X-Request-ID."""

    def __init__(self, port: int):
        self.port = port
        self.ids: list[str] = []

    def request(self, method: str, path: str, *, form=None, body=None, headers=None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = dict(headers or {})
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            self.ids.append(response.getheader("X-Request-ID"))
            return response.status
        finally:
            connection.close()


def parsed_lines(log: str) -> list[dict]:
    lines = [line for line in log.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return parsed


def test_a_resident_flow_under_gunicorn_logs_json_lines_without_personal_data(app, home, groups, tmp_path):
    from buurt.residents.links import my_data_link

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    # LOG_FORMAT reaches gunicorn.conf.py too, as BUURT_LOG_FORMAT (server_env)
    config = {"LOG_FORMAT": "json", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
    with running_gunicorn(database_uri=uri, instance_path=tmp_path, config=config, workers=2) as server:
        client = Client(server.port)
        address = {"postcode": PERSON.postcode, "house_number": str(PERSON.house_number), "addition": "B"}
        assert client.request("POST", "/welke-groep", form=address) == 200
        api = json.dumps({"postcode": PERSON.postcode, "huisnummer": str(PERSON.house_number)})
        assert client.request("POST", "/api/v1/lookup", body=api, headers={"Content-Type": "application/json"}) == 200
        query = f"/welke-groep?postcode={PERSON.postcode}&huisnummer={PERSON.house_number}"
        assert client.request("GET", query, headers={"X-Request-ID": SAFE_ID}) == 200
        assert client.request("POST", "/aanmelden", form=signup_form()) in (200, 302)
        resident = db.session.scalars(db.select(Resident).filter_by(phone_e164=PERSON.phone_e164)).one()
        app.config["SECRET_KEY"], saved = SECRET_KEY, app.config["SECRET_KEY"]
        try:
            with app.test_request_context():
                link = my_data_link(resident)
        finally:
            app.config["SECRET_KEY"] = saved
        path, token = urlsplit(link).path, urlsplit(link).fragment
        assert client.request("GET", path) == 200
        assert client.request("POST", path, form={"token": token, "open": "1"}) == 200
        # an unsafe id (spaces, a postcode) is not taken over
        unsafe = f"{PERSON.name} {PERSON.postcode}"
        assert client.request("GET", f"/beheer/groep/{groups[0].id}", headers={"X-Request-ID": unsafe}) == 302
        assert client.request("GET", f"/bestaat-niet/{PERSON.postcode}") == 404
        log = server.log()

    lines = parsed_lines(log)
    access = [line for line in lines if line["logger"] == logs.ACCESS_LOGGER]
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own lines are JSON too
    by_id = {line["request_id"]: line for line in access}
    assert len(by_id) == len(access)  # one access record per request, each with its own id
    assert None not in client.ids
    assert set(client.ids) <= set(by_id)
    assert client.ids[2] == SAFE_ID  # a proxy's id is kept
    assert client.ids[6] != unsafe
    assert logs.SAFE_REQUEST_ID.fullmatch(client.ids[6])
    assert by_id[client.ids[6]]["route"] == "/beheer/groep/<int:group_id>"
    assert by_id[client.ids[6]]["status"] == 302
    assert by_id[client.ids[7]]["route"] == logs.NO_ROUTE
    assert by_id[client.ids[2]]["route"] == "/welke-groep"
    for line in access:
        assert set(line) == {"ts", "level", "logger", "message", *logs.ACCESS_FIELDS}
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
    # nothing personal, in any line or spelling; no token, no query string, no client address
    found = [f"{s.kind} {s.label!r}" for s in find_secrets(log, secrets())]
    assert found == [], found
    assert token[:16] not in log
    assert "?" not in "".join(line["route"] for line in access)
    assert "postcode=" not in log
    assert "huisnummer=" not in log
    assert "127.0.0.1" not in "".join(line["message"] for line in access)


# --- in the test process ----------------------------------------------------------------------------


@pytest.fixture
def access_records(caplog):
    caplog.set_level(logging.INFO, logger=logs.ACCESS_LOGGER)
    return lambda: [r.access for r in caplog.records if r.name == logs.ACCESS_LOGGER]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("abcdefgh", True),
        ("a" * 64, True),
        ("req-1.2_3", True),
        ("short", False),
        ("a" * 65, False),
        ("with space 1234", False),
        ('quote"12345678', False),
        ("2221AB 17 Jansen", False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_safe(client, access_records, given, kept):
    response = client.get("/health", headers={"X-Request-ID": given})
    sent = response.headers["X-Request-ID"]
    assert (sent == given) is kept
    assert logs.SAFE_REQUEST_ID.fullmatch(sent)
    assert access_records()[-1]["request_id"] == sent


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_LOOKUP": "2 per minute"}])
def test_a_refused_request_is_logged_too(client, access_records):
    """A 429 from the rate limiter (a before-request hook) still gets its id and access record."""
    statuses = [client.post("/api/v1/lookup", json={"q": "Fictieweg 1"}).status_code for _ in range(4)]
    assert 429 in statuses
    refused = [r for r in access_records() if r["status"] == 429]
    assert refused
    assert all(r["request_id"] and r["route"] == "/api/v1/lookup" for r in refused)


def test_the_json_formatter_writes_one_object_per_line_without_exception_text(app):
    formatter = logs.JsonFormatter()
    try:
        raise ValueError(f"bad value {PERSON.phone_e164}")
    except ValueError as error:
        record = logging.LogRecord(
            "buurt.x", logging.ERROR, __file__, 1, "failed: %s", ("type",), (ValueError, error, None)
        )
    with app.test_request_context(headers={"X-Request-ID": SAFE_ID}):
        logs.start_request()
        line = formatter.format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed: type"
    assert parsed["request_id"] == SAFE_ID
    assert parsed["level"] == "ERROR"
    assert parsed["logger"] == "buurt.x"
    assert parsed["ts"].endswith("Z")
    assert parsed["exception"].startswith("ValueError, most recent call last:")
    assert PERSON.phone_e164 not in line
