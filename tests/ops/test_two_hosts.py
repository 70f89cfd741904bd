"""Two hosts, one site (issue 16, point 4): what is done on A is what B shows and enforces.

Two real gunicorn servers (one worker each) with SEPARATE instance folders, on one PostgreSQL
(tests/postgres_support.py: also in the SQLite run) and one redis-server for the rate limits, with
one shared photo folder (PHOTO_STORE), as two VPSs behind a load balancer would be. Everything goes
through real HTTP as a browser sends it (cookie session, the CSRF token read from each form), and
every request names the host it goes to: a load balancer without sticky sessions. The servers
start once for the module; each test leaves the site usable for the next.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.ops.two_hosts_support import (
    BEHEERDER,
    COORDINATOR,
    PASSWORD,
    Browser,
    Host,
    prepare_site,
    running_hosts,
)
from tests.postgres_support import postgres_server  # noqa: F401 - the fixture
from tests.redis_support import RedisServer, running_redis

LOOKUP_LIMIT = 5  # per client per hour, across both hosts
NOORD = (52.213456, 4.424538)  # a literal point inside the Noord area (tests/incidents/conftest.py)


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(scope="module")
def site(postgres_server, redis, tmp_path_factory):  # noqa: F811 - the fixture imported above
    """The database URI and hosts A and B (servers started once for the module)."""
    root = tmp_path_factory.mktemp("two-hosts")
    uri = postgres_server.new_database("twohosts")
    prepare_site(instance_path=root / "prepare", database_uri=uri)
    config = {"RATELIMIT_LOOKUP": f"{LOOKUP_LIMIT} per hour", "RATELIMIT_LOGIN": "100 per hour"}
    with running_hosts(2, database_uri=uri, redis_url=redis.url, root=root, config=config) as hosts:
        assert hosts[0].instance_path != hosts[1].instance_path
        yield uri, hosts[0], hosts[1]


@pytest.fixture(scope="module")
def database(site):
    engine = create_engine(site[0])
    yield engine
    engine.dispose()


@pytest.fixture
def a(site) -> Host:
    return site[1]


@pytest.fixture
def b(site) -> Host:
    return site[2]


def scalar(database, sql: str, **params):
    with database.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_a_group_renamed_on_a_is_seen_on_bs_public_page_on_the_next_request(a, b, database):
    group_id, old_name, capacity = _second_group(database)
    visitor = Browser()
    assert old_name in visitor.get(b, "/").text  # B has rendered (and cached) the old name

    coordinator = Browser()
    coordinator.log_in(a, COORDINATOR)
    new_name = "Fictieve Hernoemde Groep"
    settings = f"/beheer/groep/{group_id}/instellingen"
    answer = coordinator.submit(a, settings, {"name": new_name, "capacity": str(capacity), "invite_link": ""})
    assert answer.status_code == 302, answer.text[:500]

    page = visitor.get(b, "/").text
    assert new_name in page
    assert old_name not in page


def _second_group(database) -> tuple[int, str, int]:
    with database.connect() as conn:
        rows = conn.execute(text('SELECT id, name, capacity FROM "group" ORDER BY id')).all()
    return tuple(rows[1])


def test_the_rate_limit_is_one_count_for_both_hosts(a, b, redis):
    redis.flush()
    body = {"postcode": "2221AA", "huisnummer": "1"}
    on_a, on_b = 3, LOOKUP_LIMIT - 3  # N on A + M on B = the limit; one more on either is refused
    visitor = Browser()
    for host, count in ((a, on_a), (b, on_b)):
        for _ in range(count):
            assert visitor.post(host, "/api/v1/lookup", json=body).status_code != 429
    assert visitor.post(b, "/api/v1/lookup", json=body).status_code == 429
    assert visitor.post(a, "/api/v1/lookup", json=body).status_code == 429


def test_an_area_proposal_uploaded_on_a_is_confirmed_on_b(a, b, database):
    current = scalar(database, "SELECT id FROM boundary_generation WHERE is_current")
    coordinator = Browser()
    coordinator.log_in(a, COORDINATOR)
    areas = coordinator.get(a, f"/beheer/gebieden/{current}.geojson")
    assert areas.status_code == 200
    upload = coordinator.submit(
        a,
        "/beheer/gebieden/nieuw",
        {"note": "Fictieve herindeling, geüpload op machine A"},
        files={"file": ("gebieden.geojson", areas.content, "application/geo+json")},
    )
    assert upload.status_code == 302, upload.text[:500]
    proposal_page = upload.headers["Location"]
    proposal_id = int(proposal_page.rstrip("/").rsplit("/", 1)[1])

    confirmed = coordinator.submit(b, proposal_page, {}, action=f"/beheer/gebieden/voorstel/{proposal_id}/bevestigen")
    assert confirmed.status_code == 302
    assert "/beheer/gebieden/" in confirmed.headers["Location"]
    assert "voorstel" not in confirmed.headers["Location"]
    assert scalar(database, "SELECT id FROM boundary_generation WHERE is_current") == proposal_id
    assert coordinator.get(a, proposal_page).status_code == 404  # on A too: no longer a proposal
    assert coordinator.get(a, f"/beheer/gebieden/{proposal_id}").status_code == 200


def test_a_photo_uploaded_with_an_incident_on_a_is_served_on_b(a, b):
    coordinator = Browser()
    coordinator.log_in(a, COORDINATOR)
    moment = datetime.now() - timedelta(hours=1)
    report = {
        "category": "fietsdiefstal",
        "occurred_date": moment.strftime("%Y-%m-%d"),
        "occurred_time": moment.strftime("%H:%M"),
        "lat": str(NOORD[0]),
        "lon": str(NOORD[1]),
        "address": "",
        "description": "Fictieve fiets weggenomen, gemeld op machine A.",
        "police_called": "nee",
    }
    photo = ("foto.jpg", _jpeg(), "image/jpeg")
    answer = coordinator.submit(a, "/incidenten/melden", report, files={"photo": photo})
    assert answer.status_code == 302, answer.text[:500]
    incident_path = answer.headers["Location"].split("://", 1)[-1].partition("/")[2]
    incident_id = int(incident_path.rstrip("/").rsplit("/", 1)[1])

    on_a = coordinator.get(a, f"/incidenten/{incident_id}/foto")
    on_b = coordinator.get(b, f"/incidenten/{incident_id}/foto")
    assert on_a.status_code == 200
    assert on_b.status_code == 200, on_b.text[:300]
    assert on_b.headers["Content-Type"] == "image/jpeg"
    assert on_b.content == on_a.content
    shared = a.instance_path.parent / "photos"  # PHOTO_STORE of both hosts (two_hosts_support)
    assert on_a.content in [path.read_bytes() for path in shared.iterdir()]
    assert list(a.instance_path.rglob("*.jpg")) == []  # nothing in either host's own folder
    assert list(b.instance_path.rglob("*.jpg")) == []


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_login_ended_on_a_is_refused_on_b(a, b):
    phone, laptop, copy = Browser(), Browser(), Browser()
    phone.log_in(b, BEHEERDER)
    laptop.log_in(a, BEHEERDER)
    assert phone.get(b, "/beheer/").status_code == 200
    assert laptop.get(b, "/beheer/").status_code == 200  # A's login cookie works on B: one site
    copy.session.cookies.update(laptop.session.cookies)  # a second tab with the same cookie

    logout = laptop.submit(a, "/beheer/", {}, action="/uitloggen")
    assert logout.status_code == 302
    assert copy.get(b, "/beheer/").status_code == 302  # the copied cookie is a login no more

    still = phone.get(b, "/beheer/")
    assert still.status_code == 200  # ending one login leaves the other
    laptop.log_in(a, BEHEERDER)
    new_password = PASSWORD + " nieuw"
    changed = laptop.submit(
        a, "/account/wachtwoord", {"current": PASSWORD, "password": new_password, "confirm": new_password}
    )
    assert changed.status_code == 302, changed.text[:500]
    refused = phone.get(b, "/beheer/")
    assert refused.status_code == 302
    assert "/inloggen" in refused.headers["Location"]
    assert laptop.get(b, "/beheer/").status_code == 200  # the one who changed it stays logged in


def test_a_purge_started_on_both_hosts_at_once_runs_once(a, b, database):
    before = scalar(database, "SELECT count(*) FROM audit_entry WHERE action = 'retention.purge'")
    assert before == 0
    runs = [host.start_flask("buurt", "purge", "--apply", "--if-due") for host in (a, b)]
    results = [(run.wait(120), *run.communicate()) for run in runs]
    for code, out, err in results:
        assert code == 0, (out, err)
    assert scalar(database, "SELECT count(*) FROM audit_entry WHERE action = 'retention.purge'") == 1
    skipped = [out for _, out, _ in results if len(out.strip().splitlines()) == 1]
    assert skipped, [out for _, out, _ in results]  # the other host said in one line why it did nothing
