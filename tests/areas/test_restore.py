"""Undo (issue 17, point 4): "restore generation N" is a proposal equal to N, previewed and confirmed as usual.

Generation 1 is the default Rijnsoever indeling. Generation 2 moves the Midden Noord / Midden Zuid
border (the top of Midden Zuid goes to Midden Noord), merges Rijnsoever-Noord into Oost (the
Noord group is switched off) and splits the south of West off into a new group. Residents of
every kind live on both sides of each change. Restoring generation 1 through the pages must give
a generation 3 equal to 1: the same areas, the same groups, everyone back, and the WhatsApp tasks
of generation 2 once more, the other way round.
"""

from __future__ import annotations

import json
import re

import pytest
import shapely
from shapely.geometry import box, mapping, shape

from buurt.areas import files, proposals, restore
from buurt.areas.proposals import choices_of
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.models import (
    AuditEntry,
    BoundaryGeneration,
    Group,
    GroupTask,
    RemovalReason,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
)

WEST, MID_NORTH, MID_SOUTH, NORTH, EAST = (
    "rijnsoever-west",
    "rijnsoever-midden-noord",
    "rijnsoever-midden-zuid",
    "rijnsoever-noord",
    "rijnsoever-oost",
)
WEST_SOUTH = "rijnsoever-west-zuid"
REFUSED = "Dit is de indeling die nu in gebruik is; er valt niets terug te zetten."
RESTORE_BUTTON = "Deze indeling terugzetten (eerst een voorbeeld)"


def _second_generation() -> tuple[dict, dict]:
    """Generation 2's file (built from the current export) and the pieces that change hands."""
    doc = files.current_collection()
    features = {f["id"]: f for f in doc["features"]}
    geoms = {key: shape(f["geometry"]) for key, f in features.items()}
    south = geoms[MID_SOUTH]
    minx, miny, maxx, maxy = south.bounds
    strip = shapely.intersection(south, box(minx, maxy - (maxy - miny) * 0.3, maxx, maxy))
    features[MID_NORTH]["geometry"] = mapping(shapely.union(geoms[MID_NORTH], strip))
    features[MID_SOUTH]["geometry"] = mapping(shapely.difference(south, strip))
    features[EAST]["geometry"] = mapping(shapely.union(geoms[EAST], geoms[NORTH]))
    west = geoms[WEST]
    minx, miny, maxx, maxy = west.bounds
    west_south = shapely.intersection(west, box(minx, miny, maxx, miny + (maxy - miny) * 0.4))
    features[WEST]["geometry"] = mapping(shapely.difference(west, west_south))
    features[WEST_SOUTH] = {
        "type": "Feature",
        "id": WEST_SOUTH,
        "properties": {"naam": "Rijnsoever-West Zuid", "groep": WEST_SOUTH, "groepsnaam": "BuurtAlarm West Zuid"},
        "geometry": mapping(west_south),
    }
    del features[NORTH]
    doc["features"] = list(features.values())
    pieces = {
        "strip": strip,
        "south_rest": shapely.difference(south, strip),
        "north": geoms[NORTH],
        "west_south": west_south,
        "west_rest": shapely.difference(west, west_south),
        "mid_north": geoms[MID_NORTH],
    }
    return json.loads(json.dumps(doc)), pieces


def _points_in(geom, n: int) -> list[tuple[float, float]]:
    """``n`` distinct (lat, lon) well inside ``geom`` (about 20 m from its edge)."""
    inner = geom.buffer(-0.0003)
    if inner.geom_type == "MultiPolygon":
        inner = max(inner.geoms, key=lambda g: g.area)
    ring = inner.exterior
    points = [ring.interpolate(i / n, normalized=True) for i in range(n)]
    assert all(geom.contains(p) for p in points)
    return [(p.y, p.x) for p in points]


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR)


@pytest.fixture
def world(groups, make_resident, coordinator):
    """Generation 1 with residents on both sides of every change, then generation 2 confirmed."""
    by_slug = {g.slug: g for g in groups}
    first = files.current_generation(groups[0].neighbourhood)
    doc, pieces = _second_generation()
    people: list[Resident] = []

    def live(piece: str, slug: str, *statuses: ResidentStatus) -> None:
        for (lat, lon), status in zip(_points_in(pieces[piece], len(statuses)), statuses, strict=True):
            people.append(make_resident(by_slug[slug], status=status, lat=lat, lon=lon))

    added, pending, waiting = ResidentStatus.ADDED, ResidentStatus.PENDING, ResidentStatus.WAITLIST
    live("strip", MID_SOUTH, added, added, pending, waiting)  # move to Midden Noord and back
    live("south_rest", MID_SOUTH, added, pending)  # stay
    live("north", NORTH, added, pending)  # merged into Oost and back
    live("west_south", WEST, added, waiting)  # split off into the new group and back
    live("west_rest", WEST, pending)  # stay
    live("mid_north", MID_NORTH, added)  # stay
    before = {
        "areas": {a.key: (shape(a.geometry), a.group_id) for a in first.areas},
        "groups": {r.id: r.group_id for r in people},
        "statuses": {r.id: r.status for r in people},
    }
    proposal = proposals.save_proposal(doc, source="tweede.geojson", user_id=coordinator.id)
    result = proposals.confirm_proposal(proposal.id, coordinator.id, confirm_moves=True)
    assert result.number == 2
    assert result.moved == 8
    assert result.tasks == 8  # the 4 ADDED members who moved: remove + add each
    second_tasks = {t.id for t in db.session.scalars(db.select(GroupTask))}
    return {"first": first, "before": before, "people": people, "second_tasks": second_tasks, "by_slug": by_slug}


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', html, flags=re.S))


def test_restore_undoes_a_moved_border_a_merge_and_a_split(client, login, coordinator, world):
    first, before, by_slug = world["first"], world["before"], world["by_slug"]
    db.session.expire_all()
    assert by_slug[NORTH].is_active is False  # merged away by generation 2
    assert db.session.scalar(db.select(Group).filter_by(slug=WEST_SOUTH)).is_active
    assert {r.id: r.group_id for r in world["people"]} != before["groups"]
    login(coordinator)

    page = client.get(f"/beheer/gebieden/{first.id}").get_data(as_text=True)
    assert RESTORE_BUTTON in page
    assert f'action="/beheer/gebieden/{first.id}/terugzetten"' in page
    response = client.post(f"/beheer/gebieden/{first.id}/terugzetten")
    assert response.status_code == 302
    proposal_id = int(re.search(r"/beheer/gebieden/voorstel/(\d+)$", response.headers["Location"]).group(1))

    proposal = db.session.get(BoundaryGeneration, proposal_id)
    assert proposal.is_proposal
    assert proposal.source == "terugzetten: generatie 1"
    assert "generatie 1" in proposal.note
    assert proposal.created_by_id == coordinator.id
    assert dict(choices_of(proposal).groups) == {a.key: a.group.slug for a in first.areas}
    for feature in proposal.document["features"]:  # the preview recomputes households: none carried
        assert "huishoudens" not in feature["properties"]
        assert "huishoudens_bron" not in feature["properties"]
    audit_row = db.session.scalar(db.select(AuditEntry).filter_by(action="areas.restore.proposed"))
    assert (audit_row.user_id, audit_row.target_id, audit_row.details["number"]) == (coordinator.id, first.id, 1)
    assert files.current_generation(first.neighbourhood).number == 2  # nothing changed yet

    preview = client.get(f"/beheer/gebieden/voorstel/{proposal_id}")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"num\">(\d+)</td></tr>", html)
    names = {g.slug: g.name for g in by_slug.values()}
    west_south = db.session.scalar(db.select(Group).filter_by(slug=WEST_SOUTH))
    assert sorted(rows) == sorted(
        [
            (names[MID_NORTH], names[MID_SOUTH], "4"),
            (names[EAST], names[NORTH], "2"),
            (west_south.name, names[WEST], "2"),
        ]
    )
    assert f"{west_south.name} krijgt geen gebied meer en wordt uitgezet." in html
    for resident in world["people"]:
        if before["groups"][resident.id] != db.session.get(Resident, resident.id).group_id:
            assert resident.name in html  # the coordinator sees who moves back

    response = client.post(f"/beheer/gebieden/voorstel/{proposal_id}/bevestigen", data={"confirm_moves": "y"})
    assert response.status_code == 302
    db.session.expire_all()

    third = files.current_generation(first.neighbourhood)
    assert (third.id, third.number, third.is_current) == (proposal_id, 3, True)
    restored = {a.key: (shape(a.geometry), a.group_id) for a in third.areas}
    assert restored.keys() == before["areas"].keys()
    for key, (geometry, group_id) in before["areas"].items():
        assert area_m2(shapely.symmetric_difference(restored[key][0], geometry)) < 0.01, key
        assert restored[key][1] == group_id, key
    old = db.session.get(BoundaryGeneration, first.id)
    assert (old.number, old.is_current, len(old.areas)) == (1, False, 5)  # N itself stays as it was

    residents = {r.id: r for r in db.session.scalars(db.select(Resident))}
    assert {rid: residents[rid].group_id for rid in before["groups"]} == before["groups"]
    assert {rid: residents[rid].status for rid in before["statuses"]} == before["statuses"]
    assert db.session.get(Group, by_slug[NORTH].id).is_active  # switched on again
    assert db.session.get(Group, west_south.id).is_active is False  # the restore dropped it

    tasks = list(db.session.scalars(db.select(GroupTask)))
    second = {(t.resident_id, t.kind, t.group_id, t.other_group_id) for t in tasks if t.id in world["second_tasks"]}
    third_tasks = [t for t in tasks if t.id not in world["second_tasks"]]
    add, remove = TaskKind.ADD_TO_WHATSAPP, TaskKind.REMOVE_FROM_WHATSAPP
    flipped = {add: remove, remove: add}
    assert len(second) == 8
    assert {(t.resident_id, t.kind, t.group_id, t.other_group_id) for t in third_tasks} == {
        (rid, flipped[kind], group_id, other_id) for rid, kind, group_id, other_id in second
    }
    assert {t.reason for t in third_tasks} == {RemovalReason.NEW_BOUNDARIES}
    added = {rid for rid, status in before["statuses"].items() if status == ResidentStatus.ADDED}
    assert {t.resident_id for t in third_tasks} <= added


def test_restoring_the_current_generation_is_refused(client, login, coordinator, groups):
    current = files.current_generation(groups[0].neighbourhood)
    with pytest.raises(restore.RestoreRefused) as refused:
        restore.restore_proposal(current, coordinator.id)
    assert refused.value.message == REFUSED
    login(coordinator)
    page = client.get(f"/beheer/gebieden/{current.id}").get_data(as_text=True)
    assert RESTORE_BUTTON not in page  # no button on the indeling in use
    assert "/terugzetten" not in page
    response = client.post(f"/beheer/gebieden/{current.id}/terugzetten", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == f"/beheer/gebieden/{current.id}"
    assert REFUSED in _flashes(response.get_data(as_text=True))
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1  # no proposal
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="areas.restore.proposed")) is None


def test_a_beheerder_may_look_but_not_restore(client, login, make_user, groups):
    first = files.current_generation(groups[0].neighbourhood)
    proposals.confirm_proposal(proposals.save_proposal(files.current_collection()).id)  # generation 2
    beheerder = make_user(Role.BEHEERDER, groups=[groups[0]])
    login(beheerder)
    page = client.get(f"/beheer/gebieden/{first.id}")
    assert page.status_code == 200
    assert RESTORE_BUTTON not in page.get_data(as_text=True)
    assert client.post(f"/beheer/gebieden/{first.id}/terugzetten").status_code == 403
    waiting = db.select(db.func.count(BoundaryGeneration.id)).where(BoundaryGeneration.activated_at.is_(None))
    assert db.session.scalar(waiting) == 0


@pytest.mark.browser
def test_in_chromium_the_old_generations_page_passes_the_audit_and_its_button_opens_the_preview(
    live_server, page, coordinator, groups
):
    """The page with the button, held to the audit rules; the whole way through (draw, confirm,
    restore, confirm) is tests/areas/test_editor_browser.py's."""
    from tests.conftest import PASSWORD
    from tests.ui.audit import audit

    first = files.current_generation(groups[0].neighbourhood)
    proposals.confirm_proposal(proposals.save_proposal(files.current_collection()).id)  # generation 2
    page.goto(live_server.url + "/inloggen")
    page.fill("input[name=email]", coordinator.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/beheer/gebieden/{first.id}")
    assert "Bevestigen" in page.locator("#terugzetten-uitleg").inner_text()
    assert [str(f) for f in audit(page) if "map-frame" not in str(f)] == []
    page.get_by_role("button", name=RESTORE_BUTTON).click()
    page.wait_for_url(re.compile(r"/beheer/gebieden/voorstel/\d+$"))
    assert "terugzetten: generatie 1" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Bevestigen: deze indeling in gebruik nemen").is_visible()
    assert page.errors == []
