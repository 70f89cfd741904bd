"""/metrics (issue 16): access by bearer token only, counts by route template, database gauges read
at scrape time, geocoder errors by service and kind, no personal data in any label or value, and
real gunicorn with 2 workers adding up every worker's counts (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from buurt.extensions import db
from buurt.models import ResidentStatus, utcnow
from tests.gunicorn_support import SlowBodyClient, pause, running_gunicorn, wait_until_taken
from tests.privacy.seed import PEOPLE, find_secrets, secrets

TOKEN = "metrics-token-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PERSON = PEOPLE[0]


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, metric: str, **labels) -> float:
    return samples(text).get((metric, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(app, client):
    app.config["METRICS_TOKEN"] = TOKEN  # the app fixture restores the config afterwards

    def get() -> str:
        response = client.get("/metrics", headers=AUTH)
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        return response.get_data(as_text=True)

    return get


# --- access ---------------------------------------------------------------------------------------------


def test_without_a_token_configured_metrics_is_a_404(app, client):
    assert app.config.get("METRICS_TOKEN") is None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", f"Bearer {TOKEN}x", f"bearer {TOKEN}", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN[:-1]}", "Bearer"],
)
def test_a_wrong_or_missing_token_gets_the_same_404_as_an_unknown_page(app, client, header):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": header} if header is not None else {})
    unknown = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert response.mimetype == unknown.mimetype
    assert b"buurt_" not in response.data


def test_the_right_token_gets_the_text_format(scrape):
    text = scrape()
    assert "# TYPE buurt_http_requests_total counter" in text
    assert "buurt_metrics_database_up 1.0" in text


# --- counted by the process -----------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_never_by_path(app, client, scrape, groups):
    route = "/beheer/groep/<int:group_id>"
    before = scrape()
    for group in groups[:3]:
        assert client.get(f"/beheer/groep/{group.id}?postcode={PERSON.postcode}").status_code == 302
    assert client.get(f"/bestaat-niet/{PERSON.postcode}").status_code == 404
    after = scrape()
    counted = value(after, "buurt_http_requests_total", route=route, method="GET", status="3xx")
    assert counted - value(before, "buurt_http_requests_total", route=route, method="GET", status="3xx") == 3
    assert value(after, "buurt_http_request_duration_seconds_count", route=route) >= 3
    assert value(after, "buurt_http_requests_total", route="(none)", method="GET", status="4xx") >= 1
    assert f"/beheer/groep/{groups[0].id}" not in after
    assert PERSON.postcode not in after


def test_an_odd_method_is_one_label(client, scrape):
    client.open("/health", method="BREW")
    assert 'method="BREW"' not in scrape()


def test_a_sign_up_counts_and_shows_in_today_with_nothing_personal(app, client, scrape, make_address):
    PERSON.register_home(make_address)
    before = scrape()
    form = {
        "name": PERSON.name,
        "postcode": PERSON.postcode,
        "house_number": str(PERSON.house_number),
        "addition": PERSON.house_letter,
        "phone": PERSON.phone_e164,
        "email": PERSON.email,
        "household_size": "1",
        "consent_privacy": "y",
        "consent_rules": "y",
        "consent_age": "y",
        "website": "",
    }
    assert client.post("/aanmelden", data=form).status_code in (200, 302)
    after = scrape()
    assert value(after, "buurt_signups_total") - value(before, "buurt_signups_total") == 1
    assert value(after, "buurt_signups_today") == value(before, "buurt_signups_today") + 1 == 1
    assert find_secrets(after, secrets()) == []


def test_a_rolled_back_sign_up_does_not_count(app, scrape):
    from buurt import audit
    from buurt.ops.metrics import SIGNUP_ACTION

    before = value(scrape(), "buurt_signups_total")
    audit.record(SIGNUP_ACTION, "resident", 1)
    db.session.flush()
    db.session.rollback()
    assert value(scrape(), "buurt_signups_total") == before


class TestGeocoderErrors:
    """A PDOK on 127.0.0.1 that answers 500: counted under service "pdok" with the error's kind."""

    @pytest.fixture
    def server(self):
        from tests.geocoder_support import LoopbackGeocoder

        with LoopbackGeocoder("error") as running:
            yield running

    @pytest.fixture
    def app_config(self, server):
        from tests.geocoder_support import pdok_config

        return pdok_config(server, chain=("register", "pdok"))

    def test_an_unavailable_service_is_counted_by_service_and_kind(self, client, server, scrape):
        before = samples(scrape())
        answer = client.post("/api/v1/lookup", json={"postcode": "2221ZZ", "huisnummer": "999"})
        assert answer.status_code != 500
        assert server.hits >= 1
        after = samples(scrape())
        errors = {
            dict(labels)["kind"]: n - before.get((name, labels), 0.0)
            for (name, labels), n in after.items()
            if name == "buurt_geocoder_errors_total" and dict(labels)["service"] == "pdok"
        }
        assert sum(errors.values()) == 1, errors
        assert all(kind.isidentifier() for kind in errors)


def test_error_kinds_are_bounded_words():
    from buurt.ops.metrics import error_kind

    assert error_kind("pdok", "pdok: busy") == "busy"
    assert error_kind("pdok", "pdok: breaker open") == "breaker_open"
    assert error_kind("pdok", "pdok: GeocoderTimedOut (deadline)") == "deadline"
    assert error_kind("nominatim", "nominatim: GeocoderServiceError") == "GeocoderServiceError"
    assert error_kind("pdok", "pdok: no time left") == "no_time_left"
    assert error_kind("pdok", f"pdok: {PERSON.postcode} {PERSON.street} ?q=x") == "other"


# --- read from the database -----------------------------------------------------------------------------


def test_queue_waitlist_and_members_per_group_from_the_database(app, groups, make_resident, scrape):
    west, other = groups[0], groups[1]
    make_resident(west, created_at=utcnow() - timedelta(days=9))
    make_resident(west, created_at=utcnow() - timedelta(days=2))
    make_resident(west, status=ResidentStatus.WAITLIST)
    make_resident(west, status=ResidentStatus.ADDED)
    make_resident(west, status=ResidentStatus.ADDED)
    make_resident(west, status=ResidentStatus.REMOVED)
    text = scrape()
    gid = str(west.id)
    assert value(text, "buurt_group_queue", group_id=gid) == 2
    assert 9 * 86400 - 120 < value(text, "buurt_group_queue_oldest_age_seconds", group_id=gid) < 9 * 86400 + 120
    assert value(text, "buurt_group_waitlist", group_id=gid) == 1
    assert value(text, "buurt_group_members", group_id=gid) == 2
    assert value(text, "buurt_group_queue_oldest_age_seconds", group_id=str(other.id)) == 0
    assert value(text, "buurt_group_info", group_id=gid, name=west.name) == 1
    assert find_secrets(text, secrets()) == []


def test_another_process_sees_the_same_database_gauges(app, other_app, groups, make_resident):
    """Database gauges are read at scrape time: a second app (another worker or host) answers the same."""
    make_resident(groups[0])
    texts = []
    for one in (app, other_app):
        one.config["METRICS_TOKEN"] = TOKEN
        with one.app_context():
            texts.append(one.test_client().get("/metrics", headers=AUTH).get_data(as_text=True))
    gauges = [
        {k: v for k, v in samples(t).items() if k[0].startswith("buurt_group") or k[0] == "buurt_signups_today"}
        for t in texts
    ]
    ages = "buurt_group_queue_oldest_age_seconds"
    for found in gauges:
        for key in [k for k in found if k[0] == ages]:
            found[key] = round(found[key] / 60)  # seconds apart, same minute
    assert gauges[0] == gauges[1]
    assert value(texts[1], "buurt_group_queue", group_id=str(groups[0].id)) == 1


# --- real gunicorn, 2 workers -------------------------------------------------------------------------------


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


def _served_by(folder: Path, route: str) -> dict[str, float]:
    """What each worker's counter file holds for GET `route` (pid -> count)."""
    from prometheus_client.mmap_dict import MmapedDict

    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = path.stem.split("_")[1]
        for key, number, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            _name, sample, labels, *_ = json.loads(key)
            if sample == "buurt_http_requests_total" and labels.get("route") == route:
                counts[pid] = counts.get(pid, 0) + number
    return counts


def test_two_gunicorn_workers_show_one_total_and_a_restart_starts_from_zero(app, tmp_path, monkeypatch):
    """Which worker serves what is made certain with sync workers and a client that trickles its
    body (tests.gunicorn_support.SlowBodyClient): once a worker has taken its connection
    (wait_until_taken), it is held, and every request and the scrape go to the other. Each scrape
    must show both workers' requests. The mode is per process, so it is the same for
    gunicorn.conf.py's gthread workers."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    folder = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))  # the server's environment (server_env)
    config = {"METRICS_TOKEN": TOKEN, "RATELIMIT_ENABLED": False}
    k = 10

    def privacy_pages_and_a_scrape(url: str) -> float:
        assert [_get(url + "/privacy")[0] for _ in range(k)] == [200] * k
        status, text = _get(url + "/metrics", AUTH)
        assert status == 200
        return value(text, "buurt_http_requests_total", route="/privacy", method="GET", status="2xx")

    for round_ in range(2):  # the second server on the same folder: it was emptied at start
        with running_gunicorn(
            database_uri=uri, instance_path=tmp_path / "instance", config=config, workers=2, worker_class="sync"
        ) as s:
            first = SlowBodyClient(s.port)  # holds worker A: B serves the pages and the scrape
            try:
                wait_until_taken(s.port)
                seen_by_b = privacy_pages_and_a_scrape(s.url)
                by_b = _served_by(folder, "/privacy")
                assert list(by_b.values()) == [k], by_b  # one worker served them: A is held
                (b,) = by_b
                # B is slow to take the next connection, as on a busy machine (CI): unless the test waits
                # for B to take it, A, freed by first.finish(), takes it and B serves every page
                pause(int(b), 0.3)
                second = SlowBodyClient(s.port)  # only B accepts: now B is held
                try:
                    wait_until_taken(s.port)
                    assert first.finish() == 400  # A is free again: A serves the pages and the scrape
                    seen_by_a = privacy_pages_and_a_scrape(s.url)
                    assert second.finish() == 400
                finally:
                    second.close()
            finally:
                first.close()
            served = _served_by(folder, "/privacy")
        assert (seen_by_b, seen_by_a) == (k, 2 * k), round_
        assert (served.pop(b), list(served.values())) == (k, [k]), round_  # B, then A: k pages each
