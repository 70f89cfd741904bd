"""`flask buurt demo --gemeente`: all of Katwijk (issue 18, point 6), and `--clear` that leaves the seed only.

The demo is built once per module at a small scale in its own database (the neighbourhoods and
their ~100 groups are the same at every scale; addresses, residents and incidents scale) and
restored into each test's database from a snapshot.
"""

from __future__ import annotations

from collections import Counter

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text

from buurt.areas.services import RIJNSOEVER_BUURTCODES, current_areas, gemeente_buurten, seed_default_neighbourhood
from buurt.auth.permissions import coordinates, is_gemeente_coordinator
from buurt.demo import clear_demo, demo_data_present, load_demo
from buurt.demo.fiction import DEMO_AREAS_SOURCE, GEMEENTE_RESIDENTS_TOTAL
from buurt.demo.gemeente import ROUTING_ONLY_SIGNUP_URL, gemeente_plan
from buurt.extensions import db
from buurt.geo.topology import tiling_report
from buurt.models import (
    Address,
    Area,
    BoundaryGeneration,
    Group,
    Incident,
    Melding,
    MeldingTarget,
    Neighbourhood,
    Resident,
    Role,
    User,
)
from tests.conftest import _reset_schema, make_test_app

SCALE = 0.05
SLUGS = {
    "rijnsoever",
    "hoornes",
    "t-heen",
    "katwijk-aan-den-rijn",
    "katwijk-aan-zee",
    "landelijk-gebied",
    "rijnsburg",
    "valkenburg",
}


@pytest.fixture(scope="module")
def gemeente_snapshot(tmp_path_factory):
    """(rows per table, report) of the gemeente demo at SCALE, built once for the module."""
    template_app = make_test_app(tmp_path_factory.mktemp("demo-gemeente"))
    with template_app.app_context():
        _reset_schema()
        seed_default_neighbourhood()
        report = load_demo(scale=SCALE, gemeente=True)
        tables = {
            t.name: [dict(row._mapping) for row in db.session.execute(t.select())] for t in db.metadata.sorted_tables
        }
        db.session.remove()
        db.engine.dispose()
    return tables, report


@pytest.fixture
def gemeente(app, gemeente_snapshot):
    """The gemeente demo in the test's database (restored from the module's snapshot); its report."""
    tables, report = gemeente_snapshot
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in db.metadata.sorted_tables:
            if tables[table.name]:
                conn.execute(table.insert(), tables[table.name])
        if conn.dialect.name == "postgresql":  # rows came with their ids: move the sequences past them
            for table in db.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key and tables[table.name]:
                    top = max(row["id"] for row in tables[table.name])
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), {top})"))
    db.session.expire_all()
    return report


def hoods() -> dict[str, Neighbourhood]:
    return {h.slug: h for h in db.session.scalars(db.select(Neighbourhood))}


def current_area_rows(hood: Neighbourhood) -> list[Area]:
    return list(
        db.session.scalars(
            db.select(Area)
            .join(BoundaryGeneration)
            .where(BoundaryGeneration.neighbourhood_id == hood.id, BoundaryGeneration.is_current.is_(True))
        )
    )


def test_adds_every_neighbourhood_of_katwijk_with_about_100_groups(gemeente):
    by_slug = hoods()
    assert set(by_slug) == SLUGS
    codes = Counter(code for h in by_slug.values() for code in h.buurtcodes or ())
    assert set(codes) == {f["properties"]["buurtcode"] for f in gemeente_buurten()}, "all 42 CBS buurten"
    assert len(codes) == 42
    assert max(codes.values()) == 1, "each buurt in one neighbourhood"
    assert set(by_slug["rijnsoever"].buurtcodes) == set(RIJNSOEVER_BUURTCODES)
    assert set(by_slug["hoornes"].buurtcodes) == {"BU05370103", "BU05370104"}
    groups = Counter(db.session.scalars(db.select(Group.neighbourhood_id)))
    assert 95 <= sum(groups.values()) <= 105
    assert groups[by_slug["rijnsoever"].id] == 5, "the seed keeps its groups"
    for plan in gemeente_plan():
        hood = by_slug[plan.slug]
        assert groups[hood.id] == plan.groups
        assert hood.households == plan.households
        # about one group per 260 households (a tiny neighbourhood gets one)
        assert plan.groups == 1 or 200 <= plan.households / plan.groups <= 330
        sources = set(db.session.scalars(db.select(BoundaryGeneration.source).filter_by(neighbourhood_id=hood.id)))
        assert sources == {DEMO_AREAS_SOURCE}
    assert 23_000 <= sum(h.households for h in by_slug.values()) <= 30_000
    routing_only = [h for h in by_slug.values() if h.routing_only]
    assert [h.slug for h in routing_only] == ["landelijk-gebied"]
    assert routing_only[0].signup_url == ROUTING_ONLY_SIGNUP_URL
    assert gemeente.neighbourhoods[0].slug == "rijnsoever"
    assert [n.slug for n in gemeente.neighbourhoods][1:] == [p.slug for p in gemeente_plan()]


def test_every_neighbourhoods_areas_tile_its_outline_and_never_overlap_another(gemeente):
    everything = {}
    for hood in hoods().values():
        areas = current_area_rows(hood)
        assert areas, hood.slug
        geometries = {a.key: shape(a.geometry) for a in areas}
        report = tiling_report(geometries, shape(hood.outline))
        assert report["invalid"] == 0, hood.slug
        assert report["overlap_m2"] == pytest.approx(0, abs=0.01), hood.slug
        assert report["gap_m2"] <= 0.01, (hood.slug, report)
        assert report["outside_m2"] <= 0.01, (hood.slug, report)
        everything |= {(hood.slug, key): g for key, g in geometries.items()}
    assert tiling_report(everything)["overlap_m2"] == pytest.approx(0, abs=0.01), "neighbourhoods never overlap"


def test_residents_and_addresses_in_proportion_to_cbs_households(gemeente):
    by_slug = hoods()
    group_hood = dict(db.session.execute(db.select(Group.id, Group.neighbourhood_id)).all())
    per_hood = Counter(group_hood[g] for g in db.session.scalars(db.select(Resident.group_id)) if g is not None)
    total = round(GEMEENTE_RESIDENTS_TOTAL * SCALE)
    assert db.session.scalar(db.select(db.func.count(Resident.id))) == total
    signing_up = [h for h in by_slug.values() if not h.routing_only]
    households = sum(h.households for h in signing_up)
    for hood in signing_up:
        expected = total * hood.households / households
        # a few residents live in a neighbourhood's border strip, or wait to be placed
        assert per_hood[hood.id] == pytest.approx(expected, abs=max(4, 0.06 * expected)), hood.slug
    assert per_hood[by_slug["landelijk-gebied"].id] == 0, "a routing-only neighbourhood's residents sign up elsewhere"
    assert len(per_hood) >= 6  # 't Heen's 5 households give no resident at this scale
    summary = {n.slug: n for n in gemeente.neighbourhoods}
    for hood in by_slug.values():
        assert summary[hood.slug].addresses == pytest.approx(hood.households * SCALE, abs=len(hood.groups) + 1)


def test_every_resident_lies_in_the_area_of_their_group(gemeente):
    areas = {a.id: a for a in current_areas().areas}
    residents = list(db.session.scalars(db.select(Resident).where(Resident.group_id.is_not(None))))
    assert len(residents) > 400
    for r in residents:
        area = areas[r.area_id]
        assert area.group_id == r.group_id
        assert shape(area.geometry).covers(shapely.Point(r.lon, r.lat)), r.id
        if r.is_border:
            assert r.border_group_id is not None
            assert r.border_group_id != r.group_id
    # some live near another neighbourhood's group
    group_hood = dict(db.session.execute(db.select(Group.id, Group.neighbourhood_id)).all())
    assert any(r.is_border and group_hood[r.border_group_id] != group_hood[r.group_id] for r in residents)


def test_accounts_per_neighbourhood_and_for_the_gemeente(gemeente):
    by_slug = hoods()
    users = {u.email: u for u in db.session.scalars(db.select(User))}
    everyone = users["demo.coordinator@example.org"]
    assert everyone.role == Role.COORDINATOR
    assert is_gemeente_coordinator(everyone)
    for hood in by_slug.values():
        own = users[f"demo.coordinator.{hood.slug}@example.org"]
        assert own.role == Role.COORDINATOR
        assert own.neighbourhood_id == hood.id
        assert coordinates(own, hood.id)
        assert not any(coordinates(own, other.id) for other in by_slug.values() if other.id != hood.id)
    assert users["demo.wijkagent@example.org"].neighbourhood_id is None
    for group in db.session.scalars(db.select(Group)):
        assert 1 <= len(group.beheerders) <= 2, group.name
        assert all(b.role == Role.BEHEERDER and b.is_demo for b in group.beheerders)
    assert all(u.is_demo for u in users.values())


def test_incidents_and_meldingen_across_the_gemeente(gemeente):
    group_hood = dict(db.session.execute(db.select(Group.id, Group.neighbourhood_id)).all())
    incident_hoods = {group_hood[g] for g in db.session.scalars(db.select(Incident.group_id)) if g is not None}
    assert len(incident_hoods) >= 6
    target_hoods = {group_hood[g] for g in db.session.scalars(db.select(MeldingTarget.group_id))}
    assert len(target_hoods) >= 2
    assert db.session.scalar(db.select(db.func.count(Melding.id))) >= 3


def test_clear_leaves_the_seed_only(gemeente):
    counts = clear_demo()
    assert counts["neighbourhoods"] == 7
    assert counts["audit"] >= 7, "the audit rows of adding them go with them"
    assert set(hoods()) == {"rijnsoever"}
    seed = hoods()["rijnsoever"]
    assert db.session.scalar(db.select(db.func.count(Group.id))) == 5
    assert {g.neighbourhood_id for g in db.session.scalars(db.select(Group))} == {seed.id}
    assert set(db.session.scalars(db.select(BoundaryGeneration.neighbourhood_id))) == {seed.id}
    assert len(current_areas().areas) == 5
    assert not demo_data_present()
    for model in (Address, Resident, User, Incident, Melding):
        assert db.session.scalar(db.select(db.func.count(model.id))) == 0, model.__name__


def test_clear_keeps_a_neighbourhood_real_records_depend_on(gemeente, make_resident, make_user):
    by_slug = hoods()
    hoornes_group = by_slug["hoornes"].groups[0]
    real = make_resident(hoornes_group, email="echt@example.org")  # a real (fictional test) sign-up
    coordinator = make_user(Role.COORDINATOR, neighbourhood=by_slug["valkenburg"])
    rijnsburg_group = by_slug["rijnsburg"].groups[0]
    # a real incident in a demo group: a copy of a demo one, not flagged demo
    demo_incident = db.session.scalar(db.select(Incident).where(Incident.group_id == rijnsburg_group.id).limit(1))
    real_incident = Incident(
        **{
            c.key: getattr(demo_incident, c.key)
            for c in Incident.__table__.columns
            if c.key not in ("id", "is_demo", "reporter_user_id", "reporter_resident_id")
        },
        is_demo=False,
    )
    db.session.add(real_incident)
    db.session.commit()
    real_incident_id = real_incident.id

    clear_demo()
    assert set(hoods()) == {"rijnsoever", "hoornes", "valkenburg"}
    assert db.session.get(Resident, real.id).group_id == hoornes_group.id
    assert db.session.get(User, coordinator.id).neighbourhood_id == by_slug["valkenburg"].id
    kept = db.session.get(Incident, real_incident_id)
    assert kept is not None, "the real incident stays"
    assert kept.group_id is None
    assert kept.area_id is None


def test_command_prints_a_summary_per_neighbourhood(gemeente, gemeente_snapshot, runner, monkeypatch):
    import buurt.demo as demo_module

    _tables, report = gemeente_snapshot
    seen = {}

    def fake_load(seed, *, scale, gemeente):  # the build itself is the module's snapshot
        seen.update(scale=scale, gemeente=gemeente)
        return report

    monkeypatch.setattr(demo_module, "load_demo", fake_load)
    result = runner.invoke(args=["buurt", "demo", "--gemeente", "--scale", str(SCALE), "--yes"])
    assert result.exit_code == 0, result.output
    assert seen == {"scale": SCALE, "gemeente": True}
    assert "8 buurten" in result.output
    assert f"{len(report.groups)} groepen" in result.output
    for summary in report.neighbourhoods:
        assert summary.name in result.output
    assert "alleen voor meldingen" in result.output
    assert "demo.coordinator@example.org" in result.output
    assert "demo.coordinator.hoornes@example.org" in result.output


def test_command_refuses_a_gemeente_scale_above_one(runner):
    result = runner.invoke(args=["buurt", "demo", "--gemeente", "--scale", "2"])
    assert result.exit_code != 0
    assert "schaal" in result.output
    assert set(hoods()) == {"rijnsoever"}


def test_clear_command_names_what_it_kept(gemeente, runner, make_resident):
    make_resident(hoods()["katwijk-aan-zee"].groups[0])
    result = runner.invoke(args=["buurt", "demo", "--clear"])
    assert result.exit_code == 0, result.output
    assert "6 buurten" in result.output
    assert "Bewaard omdat echte gegevens ernaar verwijzen" in result.output
    assert "Katwijk aan Zee" in result.output
