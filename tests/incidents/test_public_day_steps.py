"""The public incident picture moves in whole local days, so polling it never tells an incident's hour.

The clock is moved through a day (37 moments from 00:00:30 to 23:59:30 local, summer-time changes
included) with incidents at odd minutes: every answer of the day (JSON, page, map document) is the
same, byte for byte, and the next local midnight brings exactly the days an independent oracle
says (an incident's local day is public once `delay` has passed since that day's end).
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurt.areas.services import place
from buurt.extensions import db
from buurt.incidents import blur, public
from buurt.models import Incident, IncidentCategory
from tests.incidents.conftest import INSIDE, OUTSIDE
from tests.incidents.test_public_cache import same_ids

ZONE = ZoneInfo("Europe/Amsterdam")
DELAY = timedelta(hours=24)
PERIOD_DAYS = {"7d": 7, "30d": 30, "3m": 91}
NOORD, OOST = INSIDE["rijnsoever-noord"], INSIDE["rijnsoever-oost"]
PLACES = (NOORD, NOORD, OOST, OUTSIDE)  # Noord's cell has register addresses; the others are not on the map
CATEGORIES = (IncidentCategory.WONINGINBRAAK, IncidentCategory.FIETSDIEFSTAL, IncidentCategory.VANDALISME)
ODD_TIMES = (time(0, 0), time(0, 1), time(3, 12), time(11, 47), time(19, 3), time(22, 59), time(23, 59, 59))
NONCE = re.compile(r'nonce="[^"]*"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')

ORDINARY = date(2026, 6, 10)
SPRING = date(2026, 3, 29)  # 23 hours: clocks go 02:00 -> 03:00
AUTUMN = date(2026, 10, 25)  # 25 hours: clocks go 03:00 -> 02:00
DAYS = [ORDINARY, SPRING, SPRING + timedelta(days=1), AUTUMN, AUTUMN + timedelta(days=1)]


def midnight(day: date) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time.min, tzinfo=ZONE).astimezone(UTC)


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZONE).astimezone(UTC)


# `make mutation` reruns this file for every mutant of the public picture: there, 9 moments a day
# (still the first and last half minute, and every three hours) instead of 37.
STEPS = 9 if os.environ.get("HYPOTHESIS_PROFILE") == "mutation" else 37


def moments_of(day: date, steps: int = STEPS) -> list[datetime]:
    """`steps` moments from 00:00:30 to 23:59:30 local, evenly spread in real time (23 or 25 hours too)."""
    first, last = midnight(day) + timedelta(seconds=30), midnight(day + timedelta(days=1)) - timedelta(seconds=30)
    return [first + (last - first) * k / (steps - 1) for k in range(steps)]


# --- the oracle: the rule written out day by day, without the code under test --------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


def release_day(day: date) -> date:
    """The first local day whose midnight is at least DELAY after the end of `day`."""
    end = midnight(day + timedelta(days=1))
    out = day + timedelta(days=1)
    while midnight(out) < end + DELAY:
        out += timedelta(days=1)
    return out


def first_hidden_day(today: date) -> date:
    """The first local day not public on `today` (the periods end just before it)."""
    day = today
    while release_day(day - timedelta(days=1)) > today:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class Seeded:
    occurred: datetime
    reported: datetime
    category: IncidentCategory
    spot: tuple[float, float]


def expected(seeded: list[Seeded], today: date) -> dict:
    """Per period: total, not on the map (cells without addresses) and per category, as the oracle sees it."""
    hidden = first_hidden_day(today)
    out = {"generated_until": (hidden - timedelta(days=1)).isoformat()}
    for key, days in PERIOD_DAYS.items():
        counted = [
            s
            for s in seeded
            if release_day(max(local_day(s.occurred), local_day(s.reported))) <= today
            and hidden - timedelta(days=days) <= local_day(s.occurred) < hidden
        ]
        out[key] = (
            len(counted),
            sum(s.spot != NOORD for s in counted),
            sorted(s.category.value for s in counted if s.spot != OUTSIDE),
        )
    return out


def observed(data: dict, key: str) -> tuple:
    period = next(p for p in data["periods"] if p["period"] == key)
    categories = [c for a in period["areas"] for c, n in a["categories"].items() for _ in range(n)]
    assert sum(a["total"] for a in period["areas"]) + period["outside_areas"] == period["total"]
    assert data["map"]["period"] == key
    on_map = sum(c["count"] for c in data["map"]["cells"])
    assert on_map + data["map"]["not_on_map"] == period["total"]
    return period["total"], data["map"]["not_on_map"], sorted(categories)


# --- fixtures -------------------------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The clock the public picture reads (buurt.incidents.public.utcnow); set `clock.now`."""

    class Clock:
        now = midnight(ORDINARY)

    monkeypatch.setattr(public, "utcnow", lambda: Clock.now)
    return Clock


@pytest.fixture
def noord_addresses(make_address):
    """Enough register addresses in Noord's grid cell for it to be on the map."""
    lat, lon = NOORD
    for n in range(1, 9):
        make_address(postcode="2221ZY", number=n, lat=lat + (n - 4) * 0.00004, lon=lon + 0.00002 * n)


def seed(today: date) -> list[Seeded]:
    """Incidents at odd minutes on the days that matter for `today`, some reported days later."""
    made: list[Seeded] = []
    kinds = itertools.cycle(itertools.product(CATEGORIES, PLACES))
    days = [today - timedelta(days=k) for k in (*range(0, 10), 29, 30, 31, 32, 90, 91, 92, 93)]
    for day in days:
        for clock_time in ODD_TIMES:
            moment = at(day, clock_time)
            category, spot = next(kinds)
            made.append(Seeded(moment, moment + timedelta(minutes=7), category, spot))
    # reported later: near a midnight, and days after it happened
    for occurred, reported in (
        (at(today - timedelta(days=5), time(10, 0)), at(today - timedelta(days=1), time(23, 30))),
        (at(today - timedelta(days=8), time(23, 50)), at(today - timedelta(days=7), time(0, 10))),
        (at(today - timedelta(days=3), time(21, 5)), at(today - timedelta(days=2), time(0, 0, 1))),
        (at(today - timedelta(days=1), time(8, 0)), at(today, time(0, 0, 30))),
    ):
        category, spot = next(kinds)
        made.append(Seeded(occurred, reported, category, spot))
    for s in made:
        placement = place(*s.spot)
        db.session.add(
            Incident(
                category=s.category,
                occurred_at=s.occurred,
                reported_at=s.reported,
                lat=s.spot[0],
                lon=s.spot[1],
                area_id=placement.area.id if placement.area else None,
                group_id=placement.area.group_id if placement.area else None,
                description="Fictief",
            )
        )
    db.session.commit()
    return made


def answers(client) -> dict[str, str]:
    """Every public answer, normalised only where a page must differ per request (nonce, CSRF, folium ids)."""
    out = {
        f"json {key}": client.get(f"/incidenten/openbaar.json?periode={key}").get_data(as_text=True)
        for key in PERIOD_DAYS
    }
    for key in ("7d", "3m"):
        page = client.get(f"/incidenten/openbaar?periode={key}").get_data(as_text=True)
        out[f"page {key}"] = CSRF.sub("csrf", NONCE.sub("nonce", page))
        out[f"map {key}"] = same_ids(client.get(f"/incidenten/openbaar/kaart?periode={key}").get_data(as_text=True))
    return out


# --- the tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_every_answer_of_a_day_is_the_same_and_midnight_brings_the_next_day(client, clock, noord_addresses, today):
    seeded = seed(today)
    day_answers = []
    for moment in moments_of(today):
        clock.now = moment
        day_answers.append(answers(client))
    first = day_answers[0]
    for moment, later in zip(moments_of(today), day_answers, strict=True):
        for name, body in later.items():
            assert body == first[name], (name, moment.astimezone(ZONE).isoformat())
    oracle = expected(seeded, today)
    for key in PERIOD_DAYS:
        data = client.get(f"/incidenten/openbaar.json?periode={key}").get_json()
        assert data["generated_until"] == oracle["generated_until"]  # a day, never a time
        assert observed(data, key) == oracle[key], key
    # the next midnight: exactly the next day's picture (the same as today's only when no day was due)
    tomorrow = today + timedelta(days=1)
    clock.now = midnight(tomorrow) + timedelta(seconds=30)
    next_answers = answers(client)
    next_oracle = expected(seeded, tomorrow)
    for key in PERIOD_DAYS:
        data = client.get(f"/incidenten/openbaar.json?periode={key}").get_json()
        assert data["generated_until"] == next_oracle["generated_until"]
        assert observed(data, key) == next_oracle[key], key
    if next_oracle == oracle:
        assert next_answers == first
    else:
        assert next_answers["json 7d"] != first["json 7d"]
    # one second before midnight it was still today's
    clock.now = midnight(tomorrow) - timedelta(seconds=1)
    assert answers(client) == first


def test_the_uncached_picture_is_the_same_all_day(app, clock, noord_addresses):
    seeded = seed(AUTUMN)
    with app.test_request_context():
        pictures = [public.build_public_picture(now=moment, map_period="7d") for moment in moments_of(AUTUMN)]
        cached = [public.public_picture(now=moment, map_period="7d") for moment in moments_of(AUTUMN)]
    assert all(p == pictures[0] for p in pictures + cached)
    picture = pictures[0]
    assert picture.periods[0].total > 0
    assert picture.until == date.fromisoformat(expected(seeded, AUTUMN)["generated_until"])


def test_an_incident_at_3_12_appears_at_midnight_not_at_3_12(client, clock, noord_addresses):
    """The issue's example: a burglary at 03:12 must not show up at 03:12 the next day."""
    burglary = at(ORDINARY, time(3, 12))
    seed_one = Seeded(burglary, burglary + timedelta(minutes=20), IncidentCategory.WONINGINBRAAK, NOORD)
    placement = place(*NOORD)
    db.session.add(
        Incident(
            category=seed_one.category,
            occurred_at=seed_one.occurred,
            reported_at=seed_one.reported,
            lat=NOORD[0],
            lon=NOORD[1],
            area_id=placement.area.id,
            group_id=placement.area.group_id,
            description="Fictief",
        )
    )
    db.session.commit()

    def total(moment: datetime) -> int:
        clock.now = moment
        return client.get("/incidenten/openbaar.json?periode=7d").get_json()["periods"][0]["total"]

    next_day = ORDINARY + timedelta(days=1)
    assert [total(at(next_day, t)) for t in (time(3, 11), time(3, 33), time(23, 59))] == [0, 0, 0]
    two_days = ORDINARY + timedelta(days=2)
    assert [total(at(two_days, t)) for t in (time(0, 0), time(3, 11), time(3, 33))] == [1, 1, 1]
    # it leaves "7 dagen" at a midnight too, whatever its minute
    gone = ORDINARY + timedelta(days=9)
    assert [total(at(gone - timedelta(days=1), t)) for t in (time(3, 11), time(23, 59))] == [1, 1]
    assert [total(at(gone, t)) for t in (time(0, 0), time(3, 33))] == [0, 0]


# --- the rule itself, for any day and delay -----------------------------------------------------------------------

SECONDS = st.integers(0, 25 * 3600 - 1)


@settings(max_examples=200, deadline=None, database=None)
@given(
    day=st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    first=SECONDS,
    second=SECONDS,
    delay=st.sampled_from([1, 12, 24, 36, 48, 72]),
    incident_day_back=st.integers(0, 5),
    incident_seconds=(SECONDS),
)
def test_the_cut_off_is_a_local_midnight_the_same_all_day_and_never_early(
    day, first, second, delay, incident_day_back, incident_seconds
):
    start, end = midnight(day), midnight(day + timedelta(days=1))
    one, two = (min(start + timedelta(seconds=s), end - timedelta(microseconds=1)) for s in (first, second))
    cutoff = blur.public_cutoff(one, delay, ZONE)
    assert blur.public_cutoff(two, delay, ZONE) == cutoff
    local = cutoff.astimezone(ZONE)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
    # an incident is public when its whole local day is at least `delay` old at today's midnight
    incident_day = day - timedelta(days=incident_day_back)
    incident = min(
        midnight(incident_day) + timedelta(seconds=incident_seconds),
        midnight(incident_day + timedelta(days=1)) - timedelta(seconds=1),
    )
    is_public = incident < cutoff
    assert is_public == (midnight(local_day(incident) + timedelta(days=1)) + timedelta(hours=delay) <= start)
    if is_public:
        assert start - incident >= timedelta(hours=delay)
    assert blur.last_public_day(cutoff, ZONE) == local.date() - timedelta(days=1)
    period = blur.period_start(cutoff, 7, ZONE).astimezone(ZONE)
    assert (period.date(), period.hour) == (local.date() - timedelta(days=7), 0)


PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(
    offset=st.integers(-3, 3),
    first=st.integers(0, 23 * 3600 - 1),
    second=st.integers(0, 23 * 3600 - 1),
    period=st.sampled_from(sorted(PERIOD_DAYS)),
)
def test_any_two_moments_of_a_day_give_the_same_json(client, clock, noord_addresses, offset, first, second, period):
    if not db.session.scalar(db.select(db.func.count(Incident.id))):
        seed(SPRING)  # once: hypothesis runs the examples in one test (the fixtures are not renewed)
    day = SPRING + timedelta(days=offset)
    bodies = []
    for seconds in (first, second):
        clock.now = midnight(day) + timedelta(seconds=seconds)
        bodies.append(client.get(f"/incidenten/openbaar.json?periode={period}").get_data())
    assert bodies[0] == bodies[1]


def test_the_cut_off_midnight_itself_is_not_public_yet(client, clock):
    """Happened, or reported, exactly at the cut-off: the first hidden day; a second before it: public.

    (A beheerder's correction may move the time of happening after the report, so both times count.)
    """
    clock.now = at(ORDINARY, time(12, 0))
    cutoff = blur.public_cutoff(clock.now, DELAY.total_seconds() / 3600, ZONE)
    second = timedelta(seconds=1)
    long_before = cutoff - timedelta(days=3)
    placement = place(*NOORD)
    for occurred, reported in (
        (cutoff, long_before),  # hidden: happened at the cut-off
        (long_before, cutoff),  # hidden: reported at the cut-off
        (cutoff - second, long_before),  # public
        (long_before, cutoff - second),  # public
    ):
        db.session.add(
            Incident(
                category=IncidentCategory.FIETSDIEFSTAL,
                occurred_at=occurred,
                reported_at=reported,
                lat=NOORD[0],
                lon=NOORD[1],
                area_id=placement.area.id,
                group_id=placement.area.group_id,
                description="Fictief",
            )
        )
    db.session.commit()
    data = client.get("/incidenten/openbaar.json?periode=7d").get_json()
    assert [p["total"] for p in data["periods"]] == [2, 2, 2]
