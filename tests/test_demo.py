"""`flask buurt demo`: a fictional Rijnsoever at realistic scale, and `--clear` that removes only it."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from buurt.addresses.services import geocode
from buurt.areas.occupancy import occupancy
from buurt.areas.services import current_areas, place, seed_default_neighbourhood
from buurt.auth.services import authenticate
from buurt.demo import (
    DEMO_PASSWORD,
    DEMO_PHONE_PREFIX,
    DemoError,
    clear_demo,
    demo_data_present,
    load_demo,
    make_demo_incidents,
)
from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, normalize_postcode, normalize_street
from buurt.geo.geocoding import AddressQuery
from buurt.models import (
    Address,
    AuditEntry,
    Group,
    GroupTask,
    Incident,
    IncidentCategory,
    Melding,
    MeldingTarget,
    Resident,
    ResidentStatus,
    Role,
    User,
    utcnow,
)
from tests.conftest import make_test_app

FICTIONAL_STEMS = re.compile(
    r"^(Verzonnen|Proef|Demo|Denkbeeld|Voorbeeld|Schijn|Fictie|Fantasie|Oefen|Verbeelding|Sprookjes|Kladblok|"
    r"Bedenksel|Luchtkasteel)[a-z]+$"
)


def demo_rows(model):
    return list(db.session.scalars(db.select(model).where(model.is_demo.is_(True))))


def count(model, **filters):
    return db.session.scalar(db.select(db.func.count(model.id)).filter_by(**filters))


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    """(rows per table, report) of the full demo, built once per module in its own SQLite file.

    None on PostgreSQL, where every test that needs the demo loads it (the database is shared).
    """
    if os.environ.get("BUURT_TEST_DATABASE_URI"):
        return None
    template_app = make_test_app(tmp_path_factory.mktemp("demo-template"))
    with template_app.app_context():
        db.create_all()
        seed_default_neighbourhood()
        report = load_demo()
        tables = {
            t.name: [dict(row._mapping) for row in db.session.execute(t.select())] for t in db.metadata.sorted_tables
        }
        db.session.remove()
        db.engine.dispose()
    return tables, report


@pytest.fixture
def demo(app, demo_snapshot):
    """The full-scale demo in the test's database: restored from the module's snapshot (fast)."""
    if demo_snapshot is None:
        return load_demo()
    tables, report = demo_snapshot
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in db.metadata.sorted_tables:
            if tables[table.name]:
                conn.execute(table.insert(), tables[table.name])
    db.session.expire_all()
    return report


# --- the command -------------------------------------------------------------------------------


def test_command_loads_demo_and_prints_logins(runner):
    result = runner.invoke(args=["buurt", "demo"])
    assert result.exit_code == 0, result.output
    assert "3145 adressen" in result.output
    assert "1050 bewoners" in result.output
    assert DEMO_PASSWORD in result.output
    assert "demo.coordinator@example.org" in result.output
    assert "demo.wijkagent@example.org" in result.output
    assert "(vol)" in result.output  # the full group is pointed out
    db.session.expire_all()
    assert count(Resident, is_demo=True) == 1050
    assert count(Address, is_demo=True) == 3145
    assert 200 <= count(Incident, is_demo=True) <= 500
    assert count(Melding, is_demo=True) >= 3


def test_running_demo_twice_reloads_instead_of_duplicating(runner):
    first = runner.invoke(args=["buurt", "demo", "--scale", "0.2"])
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    before = {m.__name__: count(m, is_demo=True) for m in (Resident, Address, User, Incident, Melding)}
    keys = set(db.session.execute(db.select(Address.postcode, Address.house_number, Address.house_letter)).all())
    second = runner.invoke(args=["buurt", "demo", "--scale", "0.2"])
    assert second.exit_code == 0, second.output
    assert "eerst verwijderd en daarna opnieuw geladen" in second.output
    db.session.expire_all()
    assert {m.__name__: count(m, is_demo=True) for m in (Resident, Address, User, Incident, Melding)} == before
    # Same seed, same demo.
    assert (
        set(db.session.execute(db.select(Address.postcode, Address.house_number, Address.house_letter)).all()) == keys
    )


def test_other_seed_gives_other_demo(app):
    load_demo(seed=1, scale=0.1)
    one = {(a.postcode, a.house_number) for a in demo_rows(Address)}
    load_demo(seed=2, scale=0.1)
    two = {(a.postcode, a.house_number) for a in demo_rows(Address)}
    assert one != two


def test_scale_option_makes_a_smaller_demo(runner):
    result = runner.invoke(args=["buurt", "demo", "--scale", "0.2"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert count(Resident, is_demo=True) == 210
    assert count(Address, is_demo=True) == pytest.approx(629, abs=3)


@pytest.mark.parametrize("scale", ["0", "-1", "99", "veel"])
def test_bad_scale_is_refused_with_a_message(runner, scale):
    result = runner.invoke(args=["buurt", "demo", "--scale", scale])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not demo_data_present()


def test_without_neighbourhood_the_command_explains_what_to_do(runner, app):
    app.config["NEIGHBOURHOOD_SLUG"] = "bestaat-niet"
    result = runner.invoke(args=["buurt", "demo"])
    assert result.exit_code == 1
    assert "buurt init" in result.output
    assert "Traceback" not in result.output
    assert not demo_data_present()
    with pytest.raises(DemoError):
        load_demo()


def test_asks_before_mixing_demo_into_real_sign_ups(runner, groups, make_resident):
    make_resident(groups[0], status=ResidentStatus.ADDED)
    refused = runner.invoke(args=["buurt", "demo", "--scale", "0.1"], input="n\n")
    assert refused.exit_code == 1
    assert "echte aanmeldingen" in refused.output
    assert not demo_data_present()
    accepted = runner.invoke(args=["buurt", "demo", "--scale", "0.1", "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert demo_data_present()


# --- residents ---------------------------------------------------------------------------------


def test_residents_spread_in_proportion_to_households(demo):
    areas = current_areas().areas
    households = Counter()
    for area in areas:
        households[area.group_id] += area.households
    total_households = sum(households.values())
    assert total_households == 3145
    per_group = Counter(r.group_id for r in demo_rows(Resident) if r.group_id is not None)
    for group_id, n in households.items():
        expected = 1050 * n / total_households
        assert per_group[group_id] == pytest.approx(expected, rel=0.03, abs=4), group_id


def test_no_group_over_capacity_and_the_overflow_waits(demo, groups):
    stats = occupancy(groups)
    for group in groups:
        s = stats[group.id]
        assert s.members + s.pending <= group.capacity, group.name
        if s.waitlist:
            assert s.members + s.pending == group.capacity, "a waitlist only where the group is full"
    oost = next(g for g in groups if g.slug == "rijnsoever-oost")
    west = next(g for g in groups if g.slug == "rijnsoever-west")
    assert stats[oost.id].waitlist > 0
    assert stats[oost.id].occupied == oost.capacity
    assert stats[west.id].occupied >= 0.9 * west.capacity  # near capacity, the warning shows
    by_status = Counter(r.status for r in demo_rows(Resident))
    assert by_status[ResidentStatus.ADDED] > 0.8 * 1050
    assert by_status[ResidentStatus.PENDING] > 20
    assert 1 <= by_status[ResidentStatus.TO_GEOCODE] <= 20


def test_capacity_counts_real_members_and_edited_capacity(app, groups, make_resident):
    small = groups[1]
    small.capacity = 60
    db.session.commit()
    for _ in range(10):
        make_resident(small, status=ResidentStatus.ADDED)
    load_demo()
    s = occupancy([small])[small.id]
    assert s.members + s.pending == 60  # 10 real + 50 demo
    assert s.waitlist > 100


def test_every_resident_lives_at_a_register_address_in_the_group_place_gives(demo):
    register = {
        (a.postcode, a.house_number, a.house_letter, a.house_addition): (a.lat, a.lon, a.street)
        for a in demo_rows(Address)
    }
    residents = demo_rows(Resident)
    addresses = {(r.postcode, r.house_number, r.house_letter, r.house_addition) for r in residents}
    assert len(addresses) == len(residents), "one resident per address"
    border = 0
    for r in residents:
        lat, lon, street = register[(r.postcode, r.house_number, r.house_letter, r.house_addition)]
        assert r.street == street
        if r.status == ResidentStatus.TO_GEOCODE:
            assert r.lat is None
            assert r.group_id is None
            continue
        assert (r.lat, r.lon) == (lat, lon)
        assert r.geocoder_source == "register"
        placement = place(r.lat, r.lon)
        assert placement.area is not None
        assert r.group_id == placement.area.group_id
        assert r.area_id == placement.area.id
        assert r.is_border == placement.is_border
        if r.is_border:
            border += 1
            assert r.border_group_id == placement.other.group_id
    assert border > 0, "some residents live near a border"


def test_residents_are_obviously_fictional_and_consented(demo):
    now = utcnow()
    residents = demo_rows(Resident)
    phones = [r.phone_e164 for r in residents]
    assert len(set(phones)) == len(phones)
    for r in residents:
        assert r.name.startswith("Demo ")
        assert re.fullmatch(re.escape(DEMO_PHONE_PREFIX) + r"\d{4}", r.phone_e164)
        assert r.email is None or r.email.endswith("@example.org")
        assert None not in (r.consent_privacy_at, r.consent_rules_at, r.consent_age_at)
        assert now - timedelta(days=3 * 365 + 1) <= r.created_at <= now
        if r.status == ResidentStatus.ADDED:
            assert r.created_at <= r.added_at <= now
        if r.status == ResidentStatus.PENDING:
            assert r.created_at >= now - timedelta(days=22)
    spread = [r.created_at for r in residents]
    assert max(spread) - min(spread) > timedelta(days=2 * 365)


def test_demo_accounts(demo, groups):
    users = demo_rows(User)
    roles = Counter(u.role for u in users)
    assert roles[Role.COORDINATOR] == 1
    assert roles[Role.WIJKAGENT] == 1
    per_group = [len([b for b in g.beheerders if b.is_demo]) for g in groups]
    assert all(n >= 1 for n in per_group)
    assert per_group.count(1) == 1, "one group with a single beheerder shows the warning"
    assert all(u.name.startswith("Demo ") for u in users)
    email, _what = demo.logins[0]
    assert authenticate(email, DEMO_PASSWORD) is not None
    assert authenticate(email, "fout") is None


def test_demo_tasks_open_for_beheerders(demo):
    tasks = db.session.scalars(db.select(GroupTask).where(GroupTask.is_demo.is_(True))).all()
    assert tasks
    assert all(t.done_at is None and t.display_name.startswith("Demo ") for t in tasks)


# --- the address register ----------------------------------------------------------------------


def test_register_size_per_area_matches_households_and_points_lie_inside(demo):
    areas = current_areas()
    rows = demo_rows(Address)
    lat = np.array([a.lat for a in rows])
    lon = np.array([a.lon for a in rows])
    positions = areas.index.locate_many(lat, lon)
    assert (positions >= 0).all()
    per_area = Counter(areas.index.keys_for(positions).tolist())
    for info in areas.areas:
        assert per_area[info.id] == info.households, info.name
        inside = shapely.contains_xy(shape(info.geometry), lon[positions == areas.index.position(info.id)],
                                     lat[positions == areas.index.position(info.id)])  # fmt: skip
        assert inside.all(), "strictly inside, never on a border line"


def test_register_streets_postcodes_and_numbers_look_dutch_and_fictional(demo):
    rows = demo_rows(Address)
    streets = Counter(a.street for a in rows)
    assert 5 * 8 <= len(streets) <= 5 * 15
    for street in streets:
        assert FICTIONAL_STEMS.match(street), street
    assert all(a.street_norm == normalize_street(a.street) for a in rows)
    assert all(a.source == "demo" and a.place == "Katwijk" for a in rows)
    postcodes = Counter(a.postcode for a in rows)
    streets_of: dict[str, set[str]] = {}
    for a in rows:
        streets_of.setdefault(a.postcode, set()).add(a.street)
    for postcode, n in postcodes.items():
        assert normalize_postcode(postcode) == postcode
        assert postcode[4:] not in ("SA", "SD", "SS")
        assert n <= 25
        assert len(streets_of[postcode]) == 1, "a postcode belongs to one street"
    by_street: dict[str, set[int]] = {}
    for a in rows:
        by_street.setdefault(a.street, set()).add(a.house_number)
    for street, numbers in by_street.items():
        assert numbers == set(range(1, max(numbers) + 1)), street
    assert any(a.house_letter for a in rows)
    assert any(a.house_addition for a in rows)


def test_register_lookup_finds_demo_addresses(demo):
    rows = demo_rows(Address)
    for a in rows[:: len(rows) // 60]:
        house = HouseNumber(a.house_number, a.house_letter or None, a.house_addition or None)
        result = geocode(AddressQuery.structured(a.postcode, house))
        assert result is not None, (a.postcode, str(house))
        assert (result.lat, result.lon) == (a.lat, a.lon)
        assert result.source == "register"
    plain = next(a for a in rows if not a.house_letter and not a.house_addition)
    result = geocode(AddressQuery.structured(plain.postcode.lower(), str(plain.house_number)))
    assert result is not None
    assert result.street == plain.street


# --- incidents and meldingen -------------------------------------------------------------------


def test_incidents_over_the_past_year_mostly_autumn_winter_evenings(demo):
    incidents = demo_rows(Incident)
    now = utcnow()
    assert all(now - timedelta(days=367) <= i.occurred_at <= now for i in incidents)
    assert all(i.occurred_at <= i.reported_at <= now for i in incidents)
    months = Counter(i.occurred_at.month for i in incidents)
    dark = sum(months[m] for m in (10, 11, 12, 1, 2, 3))
    assert dark > 1.15 * (len(incidents) - dark)
    evening = sum(1 for i in incidents if (i.occurred_at.hour + 1) % 24 in range(17, 24))
    assert evening > 0.35 * len(incidents)
    categories = Counter(i.category for i in incidents)
    assert categories.most_common(1)[0][0] == IncidentCategory.VERDACHTE_SITUATIE
    assert {IncidentCategory.WONINGINBRAAK, IncidentCategory.FIETSDIEFSTAL} <= set(categories)
    assert any(i.details for i in incidents)
    assert not any("Demo " in i.description for i in incidents), "no person names in descriptions"


def test_incidents_lie_near_demo_addresses_with_area_and_group_from_the_index(demo):
    incidents = demo_rows(Incident)
    register = demo_rows(Address)
    lat = np.array([a.lat for a in register])
    lon = np.array([a.lon for a in register])
    for i in incidents[:40]:
        metres = np.hypot((lat - i.lat) * 111_320, (lon - i.lon) * 111_320 * np.cos(np.radians(i.lat)))
        assert metres.min() < 40
        placement = place(i.lat, i.lon)
        assert i.area_id == (placement.area.id if placement.area else None)
        assert i.group_id == (placement.area.group_id if placement.area else None)


def test_make_demo_incidents_for_benchmarks(app):
    now = utcnow()
    rows = make_demo_incidents(2000, seed=5, now=now)  # no register: random points inside the areas
    assert len(rows) == 2000
    assert rows == make_demo_incidents(2000, seed=5, now=now)
    assert all(r["is_demo"] for r in rows)
    assert sum(r["area_id"] is not None for r in rows) > 0.97 * len(rows)  # a few just outside Rijnsoever
    db.session.execute(db.insert(Incident), rows)
    db.session.commit()
    assert count(Incident, is_demo=True) == 2000
    assert make_demo_incidents(0) == []


def test_meldingen_routed_by_radius_some_open_some_closed(demo, groups):
    meldingen = demo_rows(Melding)
    assert any(m.is_open for m in meldingen)
    assert any(not m.is_open for m in meldingen)
    group_ids = {g.id for g in groups}
    for m in meldingen:
        assert m.received_text.startswith("Politiebericht")
        assert (m.result is None) == m.is_open
        direct = [t for t in m.targets if not t.is_neighbour]
        assert direct, "every melding reaches at least the group it happened in"
        routed = {
            current_areas().by_id(k).group_id for k, _d in current_areas().index.within_radius(m.lat, m.lon, m.radius_m)
        }
        assert {t.group_id for t in direct} == routed
        assert all(t.group_id in group_ids for t in m.targets)
        assert all(t.distance_m > m.radius_m for t in m.targets if t.is_neighbour)
        if not m.is_open:
            assert all(t.forwarded_at and t.close_forwarded_at for t in direct)


# --- clearing ----------------------------------------------------------------------------------


def test_clear_removes_exactly_the_demo_records(runner, groups, make_user, make_resident, make_address):
    real_user = make_user(Role.BEHEERDER, groups=[groups[0]], email="echte.beheerder@example.org")
    real_resident = make_resident(groups[0], status=ResidentStatus.ADDED)
    real_address = make_address(postcode="2221ZZ", number=7)
    loaded = runner.invoke(args=["buurt", "demo", "--scale", "0.2", "--yes"])
    assert loaded.exit_code == 0, loaded.output
    db.session.expire_all()
    demo_user = db.session.scalars(db.select(User).where(User.is_demo.is_(True))).first()
    demo_resident = db.session.scalars(db.select(Resident).where(Resident.is_demo.is_(True))).first()
    # Real records that point at demo ones, and audit rows about both.
    real_incident = Incident(
        category=IncidentCategory.OVERLAST, occurred_at=utcnow(), lat=52.21, lon=4.42,
        reporter_user_id=demo_user.id, reporter_resident_id=demo_resident.id,
    )  # fmt: skip
    db.session.add_all(
        [
            real_incident,
            AuditEntry(action="residents.view", target_type="resident", target_id=demo_resident.id),
            AuditEntry(action="residents.view", user_id=demo_user.id, target_type="group", target_id=groups[0].id),
            AuditEntry(action="residents.view", target_type="resident", target_id=real_resident.id),
            GroupTask(group_id=groups[0].id, kind="remove", resident_id=demo_resident.id, display_name="Demo X"),
        ]
    )
    db.session.commit()
    real_incident_id = real_incident.id

    cleared = runner.invoke(args=["buurt", "demo", "--clear"])
    assert cleared.exit_code == 0, cleared.output
    assert "Echte gegevens zijn niet aangeraakt" in cleared.output
    db.session.expire_all()
    for model in (Resident, Address, User, Incident, Melding, GroupTask):
        assert count(model, is_demo=True) == 0, model.__name__
    assert count(MeldingTarget) == 0
    assert count(GroupTask) == 0
    assert db.session.get(User, real_user.id) is not None
    assert [b.id for b in db.session.get(Group, groups[0].id).beheerders] == [real_user.id]
    assert db.session.get(Resident, real_resident.id).status == ResidentStatus.ADDED
    assert db.session.get(Address, real_address.id).street == "Fictieweg"
    incident = db.session.get(Incident, real_incident_id)
    assert incident.reporter_user_id is None
    assert incident.reporter_resident_id is None
    audit = db.session.scalars(db.select(AuditEntry)).all()
    assert [(a.target_type, a.target_id) for a in audit] == [("resident", real_resident.id)]

    again = runner.invoke(args=["buurt", "demo", "--clear"])
    assert again.exit_code == 0
    assert "geen demogegevens" in again.output


def test_demo_addresses_never_take_a_real_postcode(app, make_address):
    make_address(postcode="2221AB", number=1, street="Fictieweg")
    load_demo(scale=0.3)
    assert count(Address, postcode="2221AB") == 1
    assert count(Address, postcode="2221AB", is_demo=True) == 0


def test_clear_service_is_atomic_and_reports_counts(demo):
    counts = clear_demo()
    assert counts["residents"] == 1050
    assert counts["addresses"] == 3145
    assert counts["users"] == 11
    assert not demo_data_present()
    assert clear_demo() == dict.fromkeys(counts, 0)


def test_demo_banner_shows_while_demo_data_is_present(client, runner):
    banner = "DEMO — deze site bevat verzonnen voorbeeldgegevens"
    assert banner not in client.get("/").get_data(as_text=True)
    assert runner.invoke(args=["buurt", "demo", "--scale", "0.1"]).exit_code == 0
    assert banner in client.get("/").get_data(as_text=True)
    assert runner.invoke(args=["buurt", "demo", "--clear"]).exit_code == 0
    assert banner not in client.get("/").get_data(as_text=True)


def test_cleared_demo_addresses_are_no_longer_found(demo):
    a = next(a for a in demo_rows(Address) if not a.house_letter and not a.house_addition)
    query = AddressQuery.structured(a.postcode, str(a.house_number))
    assert geocode(query) is not None
    clear_demo()
    assert geocode(query) is None


def test_bench_register_runs_small(capsys):
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_register.py"
    spec = importlib.util.spec_from_file_location("bench_register", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--rows", "3000", "--lookups", "500"])
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result
    assert result["register_size"] == 3000
    assert result["reimport_loaded"] == 0
    assert result["reimport_unchanged"] == 3000
    assert result["lookups_found"] == 500


def test_a_failure_halfway_leaves_no_half_demo(app, monkeypatch):
    import buurt.demo.loading

    def fail(*args, **kwargs):
        raise RuntimeError("halfway")

    monkeypatch.setattr(buurt.demo.loading, "create_meldingen", fail)
    with pytest.raises(RuntimeError):
        load_demo(scale=0.1)
    assert not demo_data_present()
    assert count(Address) == 0


def test_database_error_gives_a_dutch_message_and_no_half_demo(runner, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import buurt.demo.loading

    def fail(*args, **kwargs):
        raise OperationalError("INSERT ...", {"name": "Demo Anna Jansen"}, Exception("no such column: x"))

    monkeypatch.setattr(buurt.demo.loading, "create_tasks", fail)
    result = runner.invoke(args=["buurt", "demo", "--scale", "0.1"])
    assert result.exit_code == 1
    assert "Het laden van de demo is mislukt" in result.output
    assert "Demo Anna" not in result.output
    assert "Traceback" not in result.output
    assert not demo_data_present()
