"""The map editor, server side (issue 17, points 1 and 5): edits posted as the form posts them.

Everything goes through HTTP as a coordinator on the default Rijnsoever areas: the line is given as
text (the textarea the map's draw tool fills), the edit lands as a proposal whose plan tiles the
neighbourhood, and confirming it moves the residents on the changed side with WhatsApp tasks.
Every refusal is the page again (422) with the Dutch reason in #editor-error and nothing stored.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely.geometry import LineString, Point, shape

from buurt.areas import editor, files, proposals
from buurt.areas.split import split_proposal
from buurt.extensions import db
from buurt.geo import topology
from buurt.geo.coords import from_rd, to_rd
from buurt.geo.polygons import area_m2, to_rd_geometry
from buurt.models import BoundaryGeneration, Group, GroupTask, Resident, ResidentStatus, Role, TaskKind

URL = "/beheer/gebieden/bewerken"
WEST, MID_NORTH, MID_SOUTH, NORTH, EAST = (
    "rijnsoever-west",
    "rijnsoever-midden-noord",
    "rijnsoever-midden-zuid",
    "rijnsoever-noord",
    "rijnsoever-oost",
)


@pytest.fixture
def coordinator(client, login, make_user, groups):
    user = make_user(Role.COORDINATOR)
    login(user)
    return user


# --- helpers -------------------------------------------------------------------------------------


def _current() -> dict[str, shapely.Geometry]:
    generation = files.current_generation(files.required_neighbourhood())
    return {a.key: shape(a.geometry) for a in generation.areas}


def _cleaned() -> dict[str, shapely.Geometry]:
    """The current areas as the editor starts from them: one exact coverage of the outline."""
    hood = files.required_neighbourhood()
    return topology.clean_coverage(_current(), shape(hood.outline), tolerance_m2=25.0).geometries


def _rd(lon: float, lat: float) -> tuple[float, float]:
    x, y = to_rd(lon, lat)
    return float(x), float(y)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = from_rd(x, y)
    return float(lon), float(lat)


def _border(a: str, b: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The two ends (RD metres) of the straight border between areas a and b."""
    geoms = _current()
    shared = shapely.line_merge(shapely.intersection(geoms[a].boundary, geoms[b].boundary))
    assert isinstance(shared, LineString), shared.wkt
    return _rd(*shared.coords[0]), _rd(*shared.coords[-1])


def _towards(a: str, b: str) -> tuple[float, float, float, float, float, float]:
    """(mid x, mid y, unit along the border, unit normal pointing into b)."""
    (x1, y1), (x2, y2) = _border(a, b)
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    nx, ny = -uy, ux
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    cx, cy = _rd(*_current()[b].centroid.coords[0])
    if (cx - mx) * nx + (cy - my) * ny < 0:
        nx, ny = -nx, -ny
    return mx, my, ux, uy, nx, ny


def _point(a: str, b: str, along: float, into_b: float) -> tuple[float, float]:
    """(lat, lon) of a point ``along`` metres from the border's middle, ``into_b`` metres into b."""
    mx, my, ux, uy, nx, ny = _towards(a, b)
    lon, lat = _lonlat(mx + along * ux + into_b * nx, my + along * uy + into_b * ny)
    return lat, lon


def _bent_line(a: str, b: str, bend_m: float, overshoot_m: float = 5.0) -> list[tuple[float, float]]:
    """(lat, lon) points of a new border: from just past one end of the a/b border, through its middle
    moved ``bend_m`` metres into b, to just past the other end."""
    (x1, y1), (x2, y2) = _border(a, b)
    mx, my, ux, uy, nx, ny = _towards(a, b)
    ends = [(x1 - overshoot_m * ux, y1 - overshoot_m * uy), (x2 + overshoot_m * ux, y2 + overshoot_m * uy)]
    points = [ends[0], (mx + bend_m * nx, my + bend_m * ny), ends[1]]
    return [tuple(reversed(_lonlat(x, y))) for x, y in points]


def _text(points: list[tuple[float, float]]) -> str:
    return "\n".join(f"{lat:.9f}, {lon:.9f}" for lat, lon in points)


def _generations() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(BoundaryGeneration))


def _error(page: str) -> str:
    """The text of the page's #editor-error element."""
    found = re.search(r'id="editor-error"[^>]*>(.*?)</div>', page, re.DOTALL)
    assert found, "no #editor-error on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _proposal_of(response) -> BoundaryGeneration:
    assert response.status_code == 302, _error(response.get_data(as_text=True))
    match = re.search(r"/beheer/gebieden/voorstel/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    db.session.expire_all()
    return db.session.get(BoundaryGeneration, int(match.group(1)))


def _planned(found: BoundaryGeneration) -> dict[str, object]:
    return {a.key: a for a in proposals.plan_proposal(found).areas}


def _moved_m(one: shapely.Geometry, other: shapely.Geometry) -> float:
    """How far (m) the two shapes' outlines lie apart at most (Hausdorff distance in RD New)."""
    return float(shapely.hausdorff_distance(to_rd_geometry(one), to_rd_geometry(other), densify=0.01))


def _assert_tiles(geometries: dict[str, shapely.Geometry]) -> None:
    hood = files.required_neighbourhood()
    report = topology.tiling_report(geometries, shape(hood.outline))
    assert report["invalid"] == 0
    assert report["overlap_m2"] < 0.01, report
    assert report["gap_m2"] < 0.01, report
    assert report["outside_m2"] < 0.01, report
    assert shapely.coverage_is_valid(list(geometries.values()))


# --- moving a border -----------------------------------------------------------------------------


def test_move_a_border_preview_and_confirm(client, coordinator, groups, make_resident):
    """The "Done when" flow without a browser: move the Midden Noord / Midden Zuid border 60 m south."""
    by_slug = {g.slug: g for g in groups}
    north, south = by_slug[MID_NORTH], by_slug[MID_SOUTH]
    before = _cleaned()
    # residents: two in the strip that changes hands (a member and a pending sign-up), and one on each side
    lat, lon = _point(MID_NORTH, MID_SOUTH, 0, 25)
    member = make_resident(south, status=ResidentStatus.ADDED, lat=lat, lon=lon)
    lat, lon = _point(MID_NORTH, MID_SOUTH, 15, 20)
    pending = make_resident(south, status=ResidentStatus.PENDING, lat=lat, lon=lon)
    lat, lon = _point(MID_NORTH, MID_SOUTH, 0, 150)
    stays_south = make_resident(south, status=ResidentStatus.ADDED, lat=lat, lon=lon)
    lat, lon = _point(MID_NORTH, MID_SOUTH, 0, -40)
    stays_north = make_resident(north, status=ResidentStatus.ADDED, lat=lat, lon=lon)
    line = _bent_line(MID_NORTH, MID_SOUTH, bend_m=60)

    form = client.get(URL)
    assert form.status_code == 200
    response = client.post(
        URL, data={"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": _text(line)}
    )
    found = _proposal_of(response)
    assert found.is_proposal
    assert found.source == "kaart: grens tussen Rijnsoever-Midden Noord en Rijnsoever-Midden Zuid verlegd"
    assert "verlegd" in found.note
    assert _generations() == 2  # generation 1 and this proposal
    plan = proposals.plan_proposal(found)
    assert plan.fixes == []
    planned = {a.key: a.geometry for a in plan.areas}
    _assert_tiles(planned)
    assert [a.key for a in plan.areas] == list(before)
    assert {a.key: a.group.id for a in plan.areas} == {k: by_slug[k].id for k in before}  # nobody's group changed
    assert not any(a.group.is_new for a in plan.areas)
    # the union of the two is unchanged, the others keep their surface, about a 60 m wedge moved
    union_before = shapely.union(before[MID_NORTH], before[MID_SOUTH])
    union_after = shapely.union(planned[MID_NORTH], planned[MID_SOUTH])
    # the noding grid (about 1 cm) where the line meets the edge
    assert area_m2(shapely.symmetric_difference(union_before, union_after)) < 0.1
    for key in (WEST, NORTH, EAST):
        assert abs(area_m2(planned[key]) - area_m2(before[key])) < 0.01
    gained = area_m2(planned[MID_NORTH]) - area_m2(before[MID_NORTH])
    (x1, y1), (x2, y2) = _border(MID_NORTH, MID_SOUTH)
    wedge = math.hypot(x2 - x1, y2 - y1) * 60 / 2  # a triangle: the border as base, 60 m high
    assert wedge * 0.95 < gained < wedge * 1.05
    assert {(m.resident_id, m.from_ref, m.to_ref) for m in plan.moves} == {
        (member.id, f"g{south.id}", f"g{north.id}"),
        (pending.id, f"g{south.id}", f"g{north.id}"),
    }

    preview = client.get(response.headers["Location"])
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Verder bewerken op de kaart" in page
    assert f"{URL}?voorstel={found.id}" in page

    confirm = client.post(response.headers["Location"] + "/bevestigen", data={"confirm_moves": "y"})
    assert confirm.status_code == 302
    db.session.expire_all()
    generation = db.session.get(BoundaryGeneration, found.id)
    assert generation.is_current
    assert generation.number == 2
    _assert_tiles({a.key: shape(a.geometry) for a in generation.areas})
    residents = {r.id: r.group_id for r in db.session.scalars(db.select(Resident))}
    assert residents == {member.id: north.id, pending.id: north.id, stays_south.id: south.id, stays_north.id: north.id}
    tasks = {(t.resident_id, t.group_id, t.kind) for t in db.session.scalars(db.select(GroupTask))}
    assert tasks == {
        (member.id, south.id, TaskKind.REMOVE_FROM_WHATSAPP),
        (member.id, north.id, TaskKind.ADD_TO_WHATSAPP),
    }


def test_the_line_may_be_pasted_as_geojson_and_swapped_ends_are_the_same_border(client, coordinator):
    line = _bent_line(MID_NORTH, MID_SOUTH, bend_m=-50)  # into Midden Noord: Midden Zuid grows
    geojson = '{{"type": "LineString", "coordinates": [{}]}}'.format(", ".join(f"[{lon}, {lat}]" for lat, lon in line))
    first = _proposal_of(
        client.post(URL, data={"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": geojson})
    )
    one = _planned(first)
    # the same line reversed, the areas the other way round, rows separated by ";"
    text = "; ".join(f"{lat}, {lon}" for lat, lon in reversed(line))
    second = _proposal_of(
        client.post(URL, data={"bewerking": "grens", "gebied_a": MID_SOUTH, "gebied_b": MID_NORTH, "lijn": text})
    )
    two = _planned(second)
    for key in (MID_NORTH, MID_SOUTH):
        assert area_m2(shapely.symmetric_difference(one[key].geometry, two[key].geometry)) < 0.01
    assert area_m2(two[MID_SOUTH].geometry) > area_m2(_current()[MID_SOUTH])


# --- split and merge -----------------------------------------------------------------------------


def _split_line() -> list[tuple[float, float]]:
    """A straight line across Rijnsoever-Oost from north to south, through its middle."""
    east = _current()[EAST]
    minx, miny, maxx, maxy = east.bounds
    middle = (minx + maxx) / 2
    return [(maxy + 0.0005, middle), (miny - 0.0005, middle)]


def test_split_into_a_new_group(client, coordinator, groups, make_resident):
    east_group = next(g for g in groups if g.slug == EAST)
    before = _cleaned()
    response = client.post(
        URL,
        data={"bewerking": "splitsen", "gebied_a": EAST, "lijn": _text(_split_line()), "nieuwe_naam": "Oost Zuid"},
    )
    found = _proposal_of(response)
    assert found.source == "kaart: Rijnsoever-Oost gesplitst, nieuw deel Oost Zuid"
    plan = proposals.plan_proposal(found)
    planned = {a.key: a for a in plan.areas}
    assert list(planned) == [WEST, MID_NORTH, MID_SOUTH, NORTH, EAST, "oost-zuid"]
    new = planned["oost-zuid"]
    assert new.name == "Oost Zuid"
    assert new.group.is_new
    assert new.group.name == "BuurtAlarm Oost Zuid"
    assert planned[EAST].group.id == east_group.id
    _assert_tiles({k: a.geometry for k, a in planned.items()})
    # the two parts are the old area: no point of its outline moved by more than a centimetre (along
    # a 900 m edge a 2 mm shift is 0.9 m², so surfaces are no measure of "unchanged" here)
    both = shapely.union(planned[EAST].geometry, new.geometry)
    assert _moved_m(both, before[EAST]) < 0.01
    assert area_m2(shapely.intersection(planned[EAST].geometry, new.geometry)) < 0.01
    assert area_m2(planned[EAST].geometry) >= area_m2(new.geometry)  # the area keeps the larger part

    # edit on top: the new part joins an existing group instead (and its name is given by default)
    assert client.get(f"{URL}?voorstel={found.id}").status_code == 200
    areas = client.get(f"{URL}/gebieden.geojson?voorstel={found.id}").get_json()
    assert [f["id"] for f in areas["features"]] == list(planned)
    again = _proposal_of(
        client.post(
            URL,
            data={
                "bewerking": "samenvoegen",
                "gebied_a": EAST,
                "gebied_b": "oost-zuid",
                "voorstel": str(found.id),
            },
        )
    )
    assert again.id != found.id
    assert proposals.load_proposal(found.id) is None  # replaced by the new one
    merged = _planned(again)
    assert list(merged) == [WEST, MID_NORTH, MID_SOUTH, NORTH, EAST]
    assert _moved_m(merged[EAST].geometry, before[EAST]) < 0.01


def test_split_into_an_existing_group_and_the_default_name(client, coordinator, groups):
    north_group = next(g for g in groups if g.slug == NORTH)
    found = _proposal_of(
        client.post(
            URL,
            data={"bewerking": "splitsen", "gebied_a": EAST, "lijn": _text(_split_line()), "nieuwe_groep": NORTH},
        )
    )
    planned = _planned(found)
    new = planned["rijnsoever-oost-2"]
    assert new.name == "Rijnsoever-Oost 2"
    assert new.group.id == north_group.id
    assert proposals.choices_of(found).groups["rijnsoever-oost-2"] == NORTH


def test_merge_switches_the_emptied_group_off(client, coordinator, groups, make_resident):
    by_slug = {g.slug: g for g in groups}
    lat, lon = _current()[NORTH].representative_point().coords[0][::-1]
    member = make_resident(by_slug[NORTH], status=ResidentStatus.ADDED, lat=lat, lon=lon)
    found = _proposal_of(client.post(URL, data={"bewerking": "samenvoegen", "gebied_a": EAST, "gebied_b": NORTH}))
    assert found.source == "kaart: Rijnsoever-Noord samengevoegd met Rijnsoever-Oost"
    plan = proposals.plan_proposal(found)
    assert [a.key for a in plan.areas] == [WEST, MID_NORTH, MID_SOUTH, EAST]
    assert [g.slug for g in plan.dropped] == [NORTH]
    _assert_tiles({a.key: a.geometry for a in plan.areas})
    page = client.get(f"/beheer/gebieden/voorstel/{found.id}").get_data(as_text=True)
    assert "krijgt geen gebied meer en wordt uitgezet" in page
    client.post(f"/beheer/gebieden/voorstel/{found.id}/bevestigen", data={"confirm_moves": "y"})
    db.session.expire_all()
    assert db.session.get(Resident, member.id).group_id == by_slug[EAST].id
    assert not db.session.get(Group, by_slug[NORTH].id).is_active


def test_edits_stack_on_a_proposal(client, coordinator):
    """Move a border, then move it again on the proposal, then split on that: each replaces the last."""
    first = _proposal_of(
        client.post(
            URL,
            data={
                "bewerking": "grens",
                "gebied_a": MID_NORTH,
                "gebied_b": MID_SOUTH,
                "lijn": _text(_bent_line(MID_NORTH, MID_SOUTH, 40)),
            },
        )
    )
    page = client.get(f"{URL}?voorstel={first.id}").get_data(as_text=True)
    assert f'name="voorstel" type="hidden" value="{first.id}"' in page  # the proposal being edited
    # the second line is drawn on the proposal: straight from end to end of the old border again
    points = _bent_line(MID_NORTH, MID_SOUTH, 0)
    points = [points[0], points[-1]]
    second = _proposal_of(
        client.post(
            URL,
            data={
                "bewerking": "grens",
                "gebied_a": MID_NORTH,
                "gebied_b": MID_SOUTH,
                "lijn": _text(points),
                "voorstel": str(first.id),
            },
        )
    )
    assert second.id != first.id
    assert proposals.load_proposal(first.id) is None
    back = _planned(second)
    before = _cleaned()
    for key in (MID_NORTH, MID_SOUTH):
        assert area_m2(shapely.symmetric_difference(back[key].geometry, before[key])) < 0.1
    third = _proposal_of(
        client.post(
            URL,
            data={
                "bewerking": "splitsen",
                "gebied_a": EAST,
                "lijn": _text(_split_line()),
                "nieuwe_naam": "Oost 2",
                "voorstel": str(second.id),
            },
        )
    )
    planned = _planned(third)
    assert "oost-2" in planned
    assert planned["oost-2"].group.is_new
    _assert_tiles({k: a.geometry for k, a in planned.items()})
    # a split part in a new group, edited again: it keeps that new group (not one more)
    fourth = _proposal_of(
        client.post(
            URL,
            data={
                "bewerking": "grens",
                "gebied_a": MID_NORTH,
                "gebied_b": MID_SOUTH,
                "lijn": _text(_bent_line(MID_NORTH, MID_SOUTH, 30)),
                "voorstel": str(third.id),
            },
        )
    )
    plan = proposals.plan_proposal(fourth)
    assert [g.name for g in plan.new_groups] == ["BuurtAlarm Oost 2"]
    assert _generations() == 2  # generation 1 and the last proposal


# --- refusals ------------------------------------------------------------------------------------


def _far_inside_line() -> str:
    """A line that stops 140 m inside the union of Midden Noord and Midden Zuid."""
    start = _point(MID_NORTH, MID_SOUTH, 0, -60)
    end = _point(MID_NORTH, MID_SOUTH, 0, 60)
    return _text([start, end])


REFUSALS = [
    ({"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH}, "Er is geen lijn", "no line"),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "52.21, 4.42"},
        "minstens twee verschillende punten",
        "one point",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "52.21, 4.42\n52.21, 4.42"},
        "minstens twee verschillende punten",
        "the same point twice",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "4.418, 52.212\n4.424, 52.213"},
        "De coördinaten lijken omgedraaid",
        "lat/lon swapped",
    ),
    (
        {
            "bewerking": "grens",
            "gebied_a": MID_NORTH,
            "gebied_b": MID_SOUTH,
            "lijn": '{"type": "LineString", "coordinates": [[52.212, 4.418], [52.213, 4.424]]}',
        },
        "in GeoJSON staat eerst de lengtegraad",
        "geojson swapped",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "nan, 4.42\n52.21, 4.43"},
        "geen getal",
        "NaN",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "52.21, inf\n52.21, 4.43"},
        "geen getal",
        "infinity",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "48.85, 2.35\n52.21, 4.43"},
        "ligt niet in Nederland",
        "Paris",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "52.21 4.42 1\n52.21, 4.43"},
        "Regel 1 van de lijn",
        "three numbers",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": '{"type": "Point"}'},
        "geen GeoJSON LineString",
        "geojson point",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_NORTH, "lijn": "52.21, 4.42\n52.22, 4.43"},
        "Kies twee verschillende gebieden",
        "the same area twice",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": "", "lijn": "52.21, 4.42\n52.22, 4.43"},
        "Kies het tweede gebied",
        "no second area",
    ),
    (
        {"bewerking": "grens", "gebied_a": "verzonnen", "gebied_b": MID_SOUTH, "lijn": "52.21, 4.42\n52.22, 4.43"},
        "'verzonnen' is geen gebied in deze indeling",
        "unknown area",
    ),
    ({"bewerking": "verplaatsen", "gebied_a": MID_NORTH}, "Kies wat u wilt doen", "unknown edit"),
    (
        {"bewerking": "splitsen", "gebied_a": EAST, "lijn": "SPLIT", "nieuwe_naam": "rijnsoever-WEST"},
        "Er is al een gebied 'rijnsoever-WEST'",
        "split: a name taken",
    ),
    (
        {"bewerking": "splitsen", "gebied_a": EAST, "lijn": "SPLIT", "nieuwe_groep": "bestaat-niet"},
        "De groep 'bestaat-niet' bestaat niet",
        "split: unknown group",
    ),
    (
        {"bewerking": "splitsen", "gebied_a": EAST, "lijn": "SPLIT", "nieuwe_naam": "x" * 81},
        "hoogstens 80 tekens",
        "split: name too long",
    ),
    (
        {"bewerking": "samenvoegen", "gebied_a": WEST, "gebied_b": EAST},
        "grenzen niet aan elkaar",
        "merge: no neighbours",
    ),
    (
        {"bewerking": "grens", "gebied_a": WEST, "gebied_b": EAST, "lijn": "BENT"},
        "grenzen niet aan elkaar",
        "border: no neighbours",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "INSIDE"},
        "van rand tot rand",
        "border: an end far inside",
    ),
    (
        {"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": "52.25, 4.40\n52.25, 4.45"},
        "",
        "border: a line that misses",
    ),
]


def test_refusals_are_422_with_the_reason_and_store_nothing(client, coordinator):
    """Every case in one test (one app and login): each is the page again with its Dutch reason."""
    special = {
        "SPLIT": _text(_split_line()),
        "BENT": _text(_bent_line(MID_NORTH, MID_SOUTH, 60)),
        "INSIDE": _far_inside_line(),
    }
    before = _generations()
    for data, message, case in REFUSALS:
        data = dict(data)
        data["lijn"] = special.get(data.get("lijn"), data.get("lijn", ""))
        response = client.post(URL, data=data)
        assert response.status_code == 422, case
        page = response.get_data(as_text=True)
        error = _error(page)
        assert message in error, (case, error)
        assert len(error) > 20, case  # a sentence, not a code
        assert "Traceback" not in page, case
        assert _generations() == before, case
        if data["lijn"]:  # every input is kept
            assert data["lijn"].splitlines()[0] in html.unescape(page), case


def test_ten_thousand_points_are_refused_quickly(client, coordinator):
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{52.20 + d:.6f}, {4.41 + d:.6f}" for d in rng.uniform(0, 0.02, 10_000))
    before = _generations()
    response = client.post(URL, data={"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": rows})
    assert response.status_code == 422
    assert "De lijn heeft 10000 punten; er kunnen er hoogstens 500 zijn" in _error(response.get_data(as_text=True))
    geojson = '{{"type": "LineString", "coordinates": [{}]}}'.format(",".join("[4.42, 52.21]" for _ in range(10_000)))
    response = client.post(
        URL, data={"bewerking": "grens", "gebied_a": MID_NORTH, "gebied_b": MID_SOUTH, "lijn": geojson}
    )
    assert response.status_code == 422
    assert "hoogstens 500" in _error(response.get_data(as_text=True))
    assert _generations() == before


def test_a_script_in_the_new_name_is_text_everywhere(client, coordinator):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    found = _proposal_of(
        client.post(
            URL, data={"bewerking": "splitsen", "gebied_a": EAST, "lijn": _text(_split_line()), "nieuwe_naam": hostile}
        )
    )
    planned = _planned(found)
    new = next(a for key, a in planned.items() if key not in _current())
    assert new.name == hostile
    assert re.fullmatch(r"[a-z0-9-]+", new.key)
    for url in (
        f"/beheer/gebieden/voorstel/{found.id}",
        f"{URL}?voorstel={found.id}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert hostile not in page
        assert "&lt;script&gt;alert(" in page
    # the editor's GeoJSON is JSON (parsed, never inserted as HTML by the page)
    response = client.get(f"{URL}/gebieden.geojson?voorstel={found.id}")
    assert response.mimetype == "application/geo+json"
    assert any(f["properties"]["naam"] == hostile for f in response.get_json()["features"])
    # refused with the name in the message: escaped too
    response = client.post(
        URL,
        data={
            "bewerking": "splitsen",
            "gebied_a": EAST,
            "lijn": _text(_split_line()),
            "nieuwe_naam": hostile,
            "voorstel": str(found.id),
        },
    )
    assert response.status_code == 422
    assert hostile not in response.get_data(as_text=True)


# --- access, gone proposals, the GeoJSON ---------------------------------------------------------


def test_only_who_may_manage_areas(client, login, make_user, groups):
    login(make_user(Role.BEHEERDER, groups=[groups[0]]))
    before = _generations()
    assert client.get(URL).status_code == 403
    assert client.get(URL + "/gebieden.geojson").status_code == 403
    assert client.get(f"{URL}?splits={groups[1].id}").status_code == 403
    response = client.post(URL, data={"bewerking": "samenvoegen", "gebied_a": EAST, "gebied_b": NORTH})
    assert response.status_code == 403
    assert _generations() == before


def test_a_gone_proposal(client, coordinator):
    found = proposals.save_proposal(files.current_collection(), user_id=coordinator.id)
    proposals.discard_proposal(found.id)
    assert client.get(f"{URL}?voorstel={found.id}").status_code == 404
    assert client.get(f"{URL}?voorstel=abc").status_code == 404
    assert client.get(f"{URL}/gebieden.geojson?voorstel={found.id}").status_code == 404
    before = _generations()
    response = client.post(
        URL, data={"bewerking": "samenvoegen", "gebied_a": EAST, "gebied_b": NORTH, "voorstel": str(found.id)}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Het voorstel dat u bewerkte is er niet meer" in _error(page)
    assert 'name="voorstel" type="hidden" value=""' in page  # the form now edits the current indeling
    response = client.post(
        URL, data={"bewerking": "samenvoegen", "gebied_a": EAST, "gebied_b": NORTH, "voorstel": "1; DROP TABLE"}
    )
    assert response.status_code == 422
    assert "Het voorstel dat u bewerkte is er niet meer" in _error(response.get_data(as_text=True))
    assert _generations() == before


def test_the_editors_geojson(client, coordinator, make_resident, groups):
    make_resident(groups[0], status=ResidentStatus.ADDED, name="Geheime Naam")
    document = client.get(URL + "/gebieden.geojson").get_json()
    assert document["type"] == "FeatureCollection"
    assert [f["id"] for f in document["features"]] == [WEST, MID_NORTH, MID_SOUTH, NORTH, EAST]
    for feature in document["features"]:
        assert set(feature["properties"]) == {"naam", "groep", "groepsnaam", "kleur"}
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", feature["properties"]["kleur"])
        assert shape(feature["geometry"]).is_valid
    assert len({f["properties"]["kleur"] for f in document["features"]}) == 5
    assert document["features"][0]["properties"]["groepsnaam"] == "BuurtAlarm Rijnsoever-West"
    assert shape(document["buitenrand"]).contains(shape(document["features"][0]["geometry"]).representative_point())
    assert "Geheime" not in client.get(URL + "/gebieden.geojson").get_data(as_text=True)
    page = client.get(URL).get_data(as_text=True)
    assert "generatie 1" in page
    assert 'href="/beheer/gebieden/bewerken?buurt=rijnsoever"' in client.get("/beheer/gebieden").get_data(as_text=True)


# --- the split proposal as a drawn line (point 5) -----------------------------------------------


def _field(page: str, name: str) -> str:
    textarea = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    if textarea:
        return html.unescape(textarea.group(1)).strip()
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.DOTALL)
    if select:
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(1))
        return html.unescape(next(g for g in chosen.groups() if g is not None)) if chosen else ""
    inputs = [tag for tag in re.findall(r"<input[^>]*>", page) if f'name="{name}"' in tag]
    radios = [tag for tag in inputs if 'type="radio"' in tag]
    if radios:
        inputs = [tag for tag in radios if re.search(r"\schecked[\s>]", tag)]
    value = re.search(r'value="([^"]*)"', inputs[0]) if inputs else None
    return html.unescape(value.group(1)) if value else ""


def test_a_split_proposal_opens_in_the_editor_as_its_line(client, coordinator, groups, make_resident):
    group = next(g for g in groups if g.slug == MID_NORTH)
    area = _current()[MID_NORTH]
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = area.bounds
    made = 0
    while made < 12:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if area.contains(Point(lon, lat)):
            make_resident(group, status=ResidentStatus.ADDED, lat=lat, lon=lon)
            made += 1
    split_page = client.get(f"/beheer/groep/{group.id}/splitsen").get_data(as_text=True)
    assert f'href="{URL}?splits={group.id}"' in split_page
    assert 'class="split-counts"' in split_page  # the explanation and the table stay

    page = client.get(f"{URL}?splits={group.id}").get_data(as_text=True)
    data = {name: _field(page, name) for name in ("bewerking", "gebied_a", "lijn", "nieuwe_naam", "nieuwe_groep")}
    assert data["bewerking"] == "splitsen"
    assert data["gebied_a"] == MID_NORTH
    assert data["nieuwe_naam"] == f"{group.name} 2"
    assert data["nieuwe_groep"] == ""
    assert len(data["lijn"].splitlines()) >= 2
    expected = split_proposal(group).result
    found = _proposal_of(client.post(URL, data=data))  # posted unchanged
    planned = _planned(found)
    new = next(a for key, a in planned.items() if key not in _current())
    assert new.name == "Rijnsoever-Midden Noord 2"
    assert new.group.is_new
    assert new.group.name == f"{group.name} 2"
    got = [planned[MID_NORTH].geometry, new.geometry]
    want = [expected.part_a, expected.part_b]
    if area_m2(shapely.intersection(got[0], want[0])) < area_m2(shapely.intersection(got[0], want[1])):
        want.reverse()
    for mine, theirs in zip(got, want, strict=True):
        assert area_m2(shapely.symmetric_difference(mine, theirs)) < 1.0
    _assert_tiles({k: a.geometry for k, a in planned.items()})


def test_split_page_without_members_and_a_missing_group(client, coordinator, groups):
    assert client.get(f"{URL}?splits=999999").status_code == 404
    assert client.get(f"{URL}?splits={groups[3].id}").status_code == 200  # by surface: no members needed
    assert client.post(f"/beheer/groep/{groups[3].id}/splitsen").status_code == 405  # the editor stores it now


# --- the line as text (no HTTP) ------------------------------------------------------------------


LINE_FORMS = [
    "52.21012, 4.42031\n52.21100, 4.42100",
    "52.21012,4.42031;52.21100,4.42100",
    "  52.21012 4.42031 \r\n\r\n 52.21100\t4.42100  ",
    "52,21012 4,42031\n52,21100 4,42100",
    "52,21012, 4,42031\n52,21100, 4,42100",
    "(52.21012, 4.42031)\n[52.21100, 4.42100]",
    "52.21012, 4.42031\n52.21012, 4.42031\n52.21100, 4.42100",
    '{"type": "LineString", "coordinates": [[4.42031, 52.21012], [4.42100, 52.21100]]}',
    '{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": '
    "[[4.42031, 52.21012], [4.421, 52.211]]}}",
]


def test_parse_line_forms(app):
    for text in LINE_FORMS:
        line = editor.parse_line(text)
        assert list(line.coords) == [(4.42031, 52.21012), (4.421, 52.211)], text


def test_line_text_round_trip(app):
    line = editor.parse_line("52.2101234, 4.4203156\n52.2110000, 4.4210000")
    assert editor.parse_line(editor.line_text(line)).equals_exact(line, 1e-9)
