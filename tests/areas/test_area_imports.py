"""Area import: a new generation, residents reassigned (nobody lost), WhatsApp tasks, dry run, CLI, export."""

import json

import pytest
import shapely
from shapely.geometry import box, mapping, shape

from buurt.areas import files, imports
from buurt.areas.occupancy import occupancy_of
from buurt.areas.services import current_areas, place
from buurt.extensions import db
from buurt.geo.polygons import AreaValidationError
from buurt.models import BoundaryGeneration, Group, GroupTask, Resident, ResidentStatus, TaskKind, utcnow


def _collection():
    return files.current_collection()


def _moved_boundary():
    """The current areas with the West/Midden-Noord border moved: a strip of Midden Noord goes to West."""
    doc = _collection()
    features = {f["id"]: f for f in doc["features"]}
    west, north = shape(features["rijnsoever-west"]["geometry"]), shape(features["rijnsoever-midden-noord"]["geometry"])
    minx, miny, maxx, maxy = north.bounds
    strip = shapely.intersection(north, box(minx, miny, minx + (maxx - minx) * 0.4, maxy))
    features["rijnsoever-west"]["geometry"] = mapping(shapely.union(west, strip))
    features["rijnsoever-midden-noord"]["geometry"] = mapping(shapely.difference(north, strip))
    return json.loads(json.dumps(doc)), strip


def _point_in(geom):
    p = geom.representative_point()
    return p.y, p.x


@pytest.fixture
def moving(groups, make_resident):
    """Residents of Midden Noord: some in the strip that moves to West (added, pending), some staying."""
    doc, strip = _moved_boundary()
    lat, lon = _point_in(strip)
    north = groups[1]
    added = make_resident(north, status=ResidentStatus.ADDED, lat=lat, lon=lon)
    pending = make_resident(north, status=ResidentStatus.PENDING, lat=lat, lon=lon + 1e-5)
    staying_geom = shape(next(f for f in doc["features"] if f["id"] == "rijnsoever-midden-noord")["geometry"])
    s_lat, s_lon = _point_in(staying_geom)
    stay = make_resident(north, status=ResidentStatus.ADDED, lat=s_lat, lon=s_lon)
    no_coords = make_resident(north, status=ResidentStatus.PENDING, lat=None, lon=None)
    removed = make_resident(north, status=ResidentStatus.REMOVED, lat=lat, lon=lon)
    return {"doc": doc, "added": added, "pending": pending, "stay": stay, "no_coords": no_coords, "removed": removed}


def test_plan_lists_moves_and_changes_nothing(groups, moving):
    plan = imports.plan_import(json.dumps(moving["doc"]))
    assert plan.move_counts() == [(groups[1].name, groups[0].name, 2)]
    assert plan.residents_counted == 3
    assert plan.without_coordinates == 1
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1
    db.session.expire_all()
    assert db.session.get(Resident, moving["added"].id).group_id == groups[1].id


def test_apply_moves_residents_and_queues_whatsapp_tasks(groups, moving):
    before = {g.id: n for g, n in _counts(groups).items()}
    result = imports.apply_import(json.dumps(moving["doc"]), source="test.geojson", confirm_moves=True)
    assert result.number == 2
    assert result.moved == 2
    assert result.tasks == 2
    db.session.expire_all()
    generations = list(db.session.scalars(db.select(BoundaryGeneration).order_by(BoundaryGeneration.number)))
    assert [(g.number, g.is_current) for g in generations] == [(1, False), (2, True)]
    assert len(generations[0].areas) == 5  # the old generation is kept
    west, north = groups[0], groups[1]
    added = db.session.get(Resident, moving["added"].id)
    pending = db.session.get(Resident, moving["pending"].id)
    assert (added.group_id, added.status) == (west.id, ResidentStatus.ADDED)
    assert (pending.group_id, pending.status) == (west.id, ResidentStatus.PENDING)
    assert db.session.get(Resident, moving["stay"].id).group_id == north.id
    assert db.session.get(Resident, moving["no_coords"].id).group_id == north.id
    assert db.session.get(Resident, moving["removed"].id).group_id == north.id
    assert added.area_id in {a.id for a in generations[1].areas}
    tasks = {(t.group_id, t.kind) for t in db.session.scalars(db.select(GroupTask))}
    assert tasks == {(north.id, TaskKind.REMOVE_FROM_WHATSAPP), (west.id, TaskKind.ADD_TO_WHATSAPP)}
    after = {g.id: n for g, n in _counts(groups).items()}
    assert sum(after.values()) == sum(before.values())  # nobody lost
    assert after[west.id] == before[west.id] + 2
    assert after[north.id] == before[north.id] - 2
    # the lookup index follows the new generation
    lat, lon = moving["added"].lat, moving["added"].lon
    assert current_areas().generation_ids == (generations[1].id,)
    assert place(lat, lon).area.group_id == west.id


def test_moved_in_pending_sign_ups_wait_when_the_new_group_is_full(groups, moving, make_resident):
    """The cap holds for boundary moves too: West is full, so the moved member stays a member (the
    beheerders get their to-dos) and the moved pending sign-up goes on West's waitlist."""
    west = groups[0]
    west.capacity = 3
    moving["pending"].email_confirmed_at = utcnow()  # confirmed: it holds a seat (Occupancy)
    db.session.commit()
    for n in range(3):  # fictional members well inside West
        make_resident(west, status=ResidentStatus.ADDED, lat=52.2127, lon=4.41397 + n * 1e-5)
    result = imports.apply_import(json.dumps(moving["doc"]), source="test.geojson", confirm_moves=True)
    assert result.moved == 2
    db.session.expire_all()
    assert db.session.get(Resident, moving["added"].id).status == ResidentStatus.ADDED
    pending = db.session.get(Resident, moving["pending"].id)
    assert (pending.group_id, pending.status) == (west.id, ResidentStatus.WAITLIST)


def test_moved_in_unconfirmed_sign_ups_stay_in_the_queue_holding_no_seat(groups, moving, make_resident):
    """An unconfirmed sign-up holds no seat (issue 12, finding 4), so moving it into a full group
    takes nothing from anyone: it stays in the queue and the beheerder checks it."""
    west = groups[0]
    west.capacity = 3
    db.session.commit()
    for n in range(3):
        make_resident(west, status=ResidentStatus.ADDED, lat=52.2127, lon=4.41397 + n * 1e-5)
    imports.apply_import(json.dumps(moving["doc"]), source="test.geojson", confirm_moves=True)
    db.session.expire_all()
    pending = db.session.get(Resident, moving["pending"].id)
    assert (pending.group_id, pending.status) == (west.id, ResidentStatus.PENDING)
    seats = occupancy_of(west.id)
    assert (seats.members, seats.unverified, seats.occupied) == (4, 1, 4)  # the moved member; the sign-up holds none


def test_moved_in_pending_sign_ups_keep_free_seats(groups, moving):
    result = imports.apply_import(json.dumps(moving["doc"]), source="test.geojson", confirm_moves=True)
    assert result.moved == 2
    db.session.expire_all()
    assert db.session.get(Resident, moving["pending"].id).status == ResidentStatus.PENDING


def _counts(groups):
    return {
        g: db.session.scalar(
            db.select(db.func.count(Resident.id)).where(
                Resident.group_id == g.id, Resident.status != ResidentStatus.REMOVED
            )
        )
        for g in groups
    }


def test_reimport_of_export_changes_nothing(groups, make_resident):
    make_resident(groups[0], status=ResidentStatus.ADDED, lat=52.2098, lon=4.4132)
    plan = imports.plan_import(json.dumps(_collection()))
    assert plan.moves == []
    assert plan.new_groups == []
    assert plan.dropped == []


def test_unknown_area_becomes_a_new_group_and_missing_group_is_switched_off(groups):
    doc = _collection()
    oost = next(f for f in doc["features"] if f["id"] == "rijnsoever-oost")
    noord = next(f for f in doc["features"] if f["id"] == "rijnsoever-noord")
    oost["properties"]["groep"] = "rijnsoever-oost"
    noord["id"] = "duinkant"
    # an unknown group named in `groep` is a new group (without it, the overlap keeps Noord's group)
    noord["properties"] = {"naam": "Duinkant", "groep": "duinkant", "groepsnaam": "BuurtAlarm Duinkant"}
    plan = imports.plan_import(json.dumps(doc))
    assert [g.name for g in plan.new_groups] == ["BuurtAlarm Duinkant"]
    assert [g.name for g in plan.dropped] == [groups[3].name]
    imports.apply_import(json.dumps(doc))
    db.session.expire_all()
    new = db.session.scalar(db.select(Group).filter_by(slug="duinkant"))
    assert new.capacity == 256
    assert new.is_active
    assert db.session.get(Group, groups[3].id).is_active is False


def test_group_property_by_name(groups):
    doc = _collection()
    for f in doc["features"]:
        f["properties"]["groep"] = f["properties"]["groepsnaam"].upper()
    assert imports.plan_import(json.dumps(doc)).new_groups == []


def test_refuses_when_residents_would_fall_outside(groups, make_resident):
    doc = _collection()
    oost = next(f for f in doc["features"] if f["id"] == "rijnsoever-oost")
    lat, lon = _point_in(shape(oost["geometry"]))
    make_resident(groups[4], lat=lat, lon=lon)
    doc["features"].remove(oost)
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(doc))
    codes = {p.code for p in caught.value.problems}
    assert "uncovered" in codes  # a gap in the neighbourhood
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1


def test_refuses_overlap_with_dutch_message(groups):
    doc = _collection()
    west = next(f for f in doc["features"] if f["id"] == "rijnsoever-west")
    west["geometry"] = mapping(shape(west["geometry"]).buffer(0.001))
    with pytest.raises(AreaValidationError) as caught:
        imports.plan_import(json.dumps(doc))
    assert any("overlappen" in p.message for p in caught.value.problems)


def test_refuses_invalid_files(groups):
    for data, word in ((b"{kapot", "geen geldige GeoJSON"), (b'{"type": "Point"}', "FeatureCollection")):
        with pytest.raises(AreaValidationError) as caught:
            imports.plan_import(data)
        assert word in caught.value.message


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_dry_run_then_confirm(runner, tmp_path, groups, moving):
    path = tmp_path / "nieuw.geojson"
    path.write_text(json.dumps(moving["doc"]))
    result = runner.invoke(args=["buurt", "areas", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{groups[1].name} -> {groups[0].name}: 2" in result.output
    assert "Proefdraai" in result.output
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1
    result = runner.invoke(args=["buurt", "areas", "import", str(path), "--confirm-moves"], input="n\n")
    assert "Afgebroken" in result.output
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1
    result = runner.invoke(args=["buurt", "areas", "import", str(path), "--confirm-moves"], input="j\n")
    assert result.exit_code == 0, result.output
    assert "Generatie 2 opgeslagen" in result.output


def test_cli_yes_check_export(runner, tmp_path, groups):
    out = tmp_path / "export.geojson"
    result = runner.invoke(args=["buurt", "areas", "export", "-o", str(out)])
    assert result.exit_code == 0
    exported = json.loads(out.read_text())
    assert next(f["id"] for f in exported["features"]) == "rijnsoever-west"
    assert runner.invoke(args=["buurt", "areas", "check", str(out)]).exit_code == 0
    assert runner.invoke(args=["buurt", "areas", "check"]).exit_code == 0
    result = runner.invoke(args=["buurt", "areas", "import", str(out), "--yes"])
    assert result.exit_code == 0
    assert "Generatie 2" in result.output
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}')
    result = runner.invoke(args=["buurt", "areas", "check", str(bad)])
    assert result.exit_code == 1
    assert "geen gebieden" in result.output
    result = runner.invoke(args=["buurt", "areas", "export", "--generation", "1"])
    assert result.exit_code == 0
    assert json.loads(result.output)["generatie"] == 1
