"""The public incident picture and map are cached per process and still give the uncached answer.

Incidents become public in whole local days (the cut-off is a local midnight, see
test_public_day_steps), so a cached picture holds for its day and a new day builds a new one; a
report, a moderation or an address import in another app instance (another worker) bumps a
revision and shows on the next request.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from buurt import caching
from buurt.extensions import db
from buurt.incidents import maps, public
from buurt.models import Incident, IncidentCategory, IncidentStatus, utcnow
from tests.incidents.conftest import INSIDE

FOLIUM_ID = re.compile(r"([a-z_]+)_([0-9a-f]{32})(?![0-9a-f])")
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ZONE = ZoneInfo("Europe/Amsterdam")
OLD = 72  # hours: public on any day (on the Monday after the change to summer time, 48 is not)


def local(day: date, clock: time = time.min) -> datetime:
    """A local date and time, in UTC."""
    return datetime.combine(day, clock, tzinfo=ZONE).astimezone(UTC)


def hours_before_now(moment: datetime) -> float:
    """make_incident takes hours ago: this one puts an incident at `moment`."""
    return (utcnow() - moment).total_seconds() / 3600


def same_ids(document: str) -> str:
    """folium names every element with a random hex id: number them in order of appearance."""
    seen: dict[str, str] = {}

    def name(match: re.Match) -> str:
        return seen.setdefault(match.group(0), f"{match.group(1)}_{len(seen)}")

    return FOLIUM_ID.sub(name, document)


@pytest.fixture
def noord_addresses(make_address):
    """Enough register addresses around the Noord point for its grid cell to be published."""
    lat, lon = INSIDE["rijnsoever-noord"]
    for n in range(1, 9):
        make_address(postcode="2221ZY", number=n, lat=lat + (n - 4) * 0.00004, lon=lon + 0.00002 * n)


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def totals(picture) -> list[int]:
    return [p.total for p in picture.periods]


def test_the_cached_picture_is_the_uncached_one_at_every_moment(app, make_incident, noord_addresses, request_context):
    # incidents that come out of the delay, and fall out of the 7-day and 30-day periods, within a few days
    for hours_ago in (2, 20, 23.5, 25, 48, 72, 24 + 7 * 24 - 3, 24 + 7 * 24 + 5, 24 + 30 * 24 - 10, 24 * 60):
        make_incident(hours_ago=hours_ago)
    make_incident(hours_ago=24 * 5, reported_hours_ago=10, category=IncidentCategory.VANDALISME)  # reported late
    now = utcnow()
    moments = [now + k * timedelta(minutes=97) for k in range(0, 80)]
    moments += [now + 30 * HOUR, now - 2 * HOUR, now + 10 * HOUR, now]  # backwards too
    seen = set()
    for moment in moments:
        for period in ("7d", "3m"):
            cached = public.public_picture(now=moment, map_period=period)
            assert cached == public.build_public_picture(now=moment, map_period=period), (moment - now, period)
            seen.add(tuple(totals(cached)))
    assert len(seen) > 3  # the moments really crossed incidents coming in and going out


def test_the_cache_holds_all_day_and_a_new_day_builds_a_new_picture(app, make_incident, request_context):
    day = date(2026, 6, 10)
    make_incident(hours_ago=hours_before_now(local(day - 5 * DAY, time(14, 3))))
    make_incident(hours_ago=hours_before_now(local(day - DAY, time(9, 41))))  # public from tomorrow
    _, first = public.cached_public_picture(local(day, time(0, 1)))
    assert public.cached_public_picture(local(day, time(9, 42)))[1] is first
    assert public.cached_public_picture(local(day, time(23, 59)))[1] is first
    _, later = public.cached_public_picture(local(day + DAY, time(0, 1)))
    assert later is not first
    assert totals(first.picture) == [1, 1, 1]
    assert totals(later.picture) == [2, 2, 2]


def test_an_incident_leaves_the_seven_days_at_midnight(app, make_incident, request_context):
    make_incident(hours_ago=hours_before_now(local(date(2026, 6, 1), time(15, 37))))
    assert totals(public.public_picture(now=local(date(2026, 6, 9), time(15, 38)))) == [1, 1, 1]
    assert totals(public.public_picture(now=local(date(2026, 6, 9), time(23, 59)))) == [1, 1, 1]
    assert totals(public.public_picture(now=local(date(2026, 6, 10), time(0, 0)))) == [0, 1, 1]


def test_the_cached_map_document_is_the_uncached_one(app, make_incident, noord_addresses, request_context):
    make_incident(hours_ago=OLD)
    make_incident(hours_ago=24 * 40, category=IncidentCategory.WONINGINBRAAK)
    for period in ("7d", "30d", "3m"):
        cached = maps.cached_public_map_document(period)
        fresh = maps.public_map_document(public.build_public_picture(map_period=period))
        assert same_ids(cached) == same_ids(fresh)
        assert maps.cached_public_map_document(period) is cached  # rendered once


def test_a_report_in_another_process_shows_on_its_next_request(app, other_app, make_incident, noord_addresses):
    other = other_app.test_client()
    before = other.get("/incidenten/openbaar.json").get_json()
    map_before = other.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    assert [p["total"] for p in before["periods"]] == [0, 0, 0]
    make_incident(hours_ago=OLD)
    after = other.get("/incidenten/openbaar.json").get_json()
    assert [p["total"] for p in after["periods"]] == [1, 1, 1]
    map_after = other.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    assert map_after.count("L.geoJson(") == map_before.count("L.geoJson(") + 1  # the new cell
    assert "1 × Fietsdiefstal" in other.get("/incidenten/openbaar").get_data(as_text=True)


def test_hiding_an_incident_in_another_process_removes_it(app, other_app, make_incident, noord_addresses):
    incident = make_incident(hours_ago=OLD)
    other = other_app.test_client()
    assert other.get("/incidenten/openbaar.json").get_json()["periods"][0]["total"] == 1
    incident.status = IncidentStatus.HIDDEN
    db.session.commit()
    assert other.get("/incidenten/openbaar.json").get_json()["periods"][0]["total"] == 0


def test_a_bulk_insert_of_incidents_bumps_the_revision(app, other_app):
    other = other_app.test_client()
    assert other.get("/incidenten/openbaar.json").get_json()["periods"][2]["total"] == 0
    revision = caching.read_revision(db.session, caching.INCIDENTS)
    now = utcnow()
    lat, lon = INSIDE["rijnsoever-west"]
    rows = [
        {
            "category": IncidentCategory.BRAND,
            "occurred_at": now - 3 * DAY,
            "reported_at": now - 3 * DAY,
            "lat": lat,
            "lon": lon,
            "description": "Fictief",
        }
        for _ in range(3)
    ]
    db.session.execute(db.insert(Incident), rows)
    db.session.commit()
    assert caching.read_revision(db.session, caching.INCIDENTS) == revision + 1
    assert other.get("/incidenten/openbaar.json").get_json()["periods"][2]["total"] == 3


def test_an_address_import_in_another_process_can_publish_a_cell(app, other_app, make_incident, make_address):
    lat, lon = INSIDE["rijnsoever-noord"]
    make_incident(lat=lat, lon=lon, hours_ago=OLD)
    other = other_app.test_client()
    assert other.get("/incidenten/openbaar.json").get_json()["map"]["not_on_map"] == 1  # too few addresses
    for n in range(1, 9):
        make_address(postcode="2221ZX", number=n, lat=lat + (n - 4) * 0.00004, lon=lon)
    data = other.get("/incidenten/openbaar.json").get_json()
    assert data["map"]["not_on_map"] == 0
    assert sum(c["count"] for c in data["map"]["cells"]) == 1


def test_an_area_rename_in_another_process_shows_in_the_counts(app, other_app, make_incident, groups):
    from buurt.models import Area

    make_incident(hours_ago=OLD)
    other = other_app.test_client()
    assert "Fictief Noordgebied" not in other.get("/incidenten/openbaar").get_data(as_text=True)
    area = db.session.scalar(db.select(Area).filter_by(key="rijnsoever-noord"))
    area.name = "Fictief Noordgebied"
    db.session.commit()
    assert "Fictief Noordgebied" in other.get("/incidenten/openbaar").get_data(as_text=True)


def test_each_language_has_its_own_picture_and_map(client, make_incident, noord_addresses):
    make_incident(hours_ago=OLD)
    dutch = client.get("/incidenten/openbaar.json").get_json()
    english = client.get("/incidenten/openbaar.json?lang=en").get_json()
    assert dutch["periods"][0]["label"] == "Afgelopen 7 dagen"
    assert english["periods"][0]["label"] == "Last 7 days"
    english_map = client.get("/incidenten/openbaar/kaart?lang=en").get_data(as_text=True)
    again = client.get("/incidenten/openbaar/kaart?lang=nl").get_data(as_text=True)
    assert "more than 6" in english_map  # the legend's last step
    assert "meer dan 6" in again
    assert "more than 6" not in again


def test_the_picture_names_the_last_day_it_counts_never_a_time(app, make_incident, request_context):
    make_incident(hours_ago=OLD)
    day = date(2026, 6, 10)
    morning = public.public_json(public.public_picture(now=local(day, time(8, 0))))
    evening = public.public_json(public.public_picture(now=local(day, time(21, 13))))
    assert morning["generated_until"] == evening["generated_until"] == "2026-06-08"
    assert (
        public.public_json(public.public_picture(now=local(day + DAY, time(0, 1))))["generated_until"] == "2026-06-09"
    )


def test_the_process_cache_is_bounded(app):
    cache = caching.process_cache("test_bounded", 3)
    for n in range(5):
        cache.put(n, str(n))
    assert len(cache) == 3
    assert cache.get(0) is None
    assert cache.get(4) == "4"
    cache.get(2)  # used: kept over 3
    cache.put(5, "5")
    assert cache.get(2) == "2"
    assert cache.get(3) is None


def test_revisions_are_read_together(app, make_incident, make_address):
    assert caching.read_revisions(db.session, caching.INCIDENTS, "never-bumped") == (0, 0)
    make_incident(hours_ago=OLD)
    make_address(postcode="2221ZW", number=1)
    incidents, addresses = caching.read_revisions(db.session, caching.INCIDENTS, caching.ADDRESSES)
    assert incidents >= 1
    assert addresses >= 1
    assert (incidents, addresses) == (
        caching.read_revision(db.session, caching.INCIDENTS),
        caching.read_revision(db.session, caching.ADDRESSES),
    )
