"""topology: edits that keep the areas an exact tiling, and forgiving cleaning of uploads.

Real data: the default group areas of Rijnsoever and the neighbourhood outline (buurt/data,
CBS / Kadaster, CC BY 4.0), the 42 CBS buurten of Katwijk (WGS84 and RD New), and small shapes.
"Unchanged" is measured in lon/lat (surface of the symmetric difference, in m²): a vertex added on
a straight lon/lat edge moves nothing, but changes the surface computed in RD New by ~0.4 m² on a
900 m edge (a straight line in lon/lat is slightly curved in RD).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, box, shape

from buurt.geo.coords import from_rd, metres_per_degree, to_rd
from buurt.geo.polygons import area_m2, parse_area_collection
from buurt.geo.topology import (
    EditRefused,
    Fix,
    clean_coverage,
    merge_areas,
    move_border,
    neighbours,
    snap_line,
    split_area,
    tiling_report,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
M_LAT, M_LON = metres_per_degree(52.21)
M2_PER_DEG2 = M_LAT * M_LON
SNAP = 25.0
ORIGIN = (89_000.0, 469_500.0)  # RD New, in Rijnsoever


# ---------------------------------------------------------------------------------------------
# Helpers


def read(path: Path, **kwargs) -> dict:
    return {a.key: a.geometry for a in parse_area_collection(path.read_text(encoding="utf-8"), **kwargs)}


def lonlat_m2(geom) -> float:
    """Surface in m², measured in lon/lat (equirectangular near 52.21° N)."""
    return float(shapely.area(geom)) * M2_PER_DEG2


def changed_m2(before, after) -> float:
    return lonlat_m2(shapely.symmetric_difference(before, after))


def rd(*points) -> Polygon:
    """A polygon given in metres from ORIGIN (RD New), as lon/lat."""
    return Polygon([from_rd(ORIGIN[0] + x, ORIGIN[1] + y) for x, y in points])


def rd_box(x0, y0, x1, y1) -> Polygon:
    return rd((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def rd_point(x, y) -> tuple[float, float]:
    return from_rd(ORIGIN[0] + x, ORIGIN[1] + y)


def assert_tiling(result: dict, *, union_before=None, outline=None) -> None:
    """Valid, oriented, an exact coverage (pairwise overlap 0 m²), and the union kept."""
    values = list(result.values())
    for key, geom in result.items():
        assert isinstance(geom, Polygon | MultiPolygon), key
        assert shapely.is_valid(geom), key
        assert not geom.is_empty, key
        for part in getattr(geom, "geoms", [geom]):
            assert part.exterior.is_ccw, key
    assert shapely.coverage_is_valid(np.array(values, dtype=object))
    assert tiling_report(result)["overlap_m2"] == pytest.approx(0, abs=1e-6)
    union = shapely.union_all(values)
    if union_before is not None:
        assert changed_m2(union, union_before) < 0.01
    if outline is not None:
        assert changed_m2(union, outline) < 0.01


def shared_vertices_only(result: dict) -> None:
    """No T-junctions: a vertex of one area that lies on another's edge is a vertex there too."""
    vertices = {key: {tuple(xy) for xy in shapely.get_coordinates(g)} for key, g in result.items()}
    for key, geom in result.items():
        edge = shapely.boundary(geom)
        for other, points in vertices.items():
            if other == key:
                continue
            on_edge = [p for p in points if shapely.distance(edge, shapely.Point(p)) < 1e-9]
            assert set(on_edge) <= vertices[key], (key, other)


def raw_shapes(path: Path) -> dict:
    """Geometries of a fixture that parse_area_collection would refuse (overlaps)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["key"]: shape(f["geometry"]) for f in document["features"]}


def refused(function, *args, **kwargs) -> str:
    with pytest.raises(EditRefused) as caught:
        function(*args, **kwargs)
    return caught.value.message


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def squares() -> dict:
    return read(DATA / "squares_2x2.geojson", key_property="key")


@pytest.fixture(scope="module")
def three() -> dict:
    return read(DATA / "three_areas.geojson", key_property="key")


@pytest.fixture(scope="module")
def outline():
    document = json.loads((ROOT / "buurt" / "data" / "rijnsoever_2024.geojson").read_text(encoding="utf-8"))
    return shapely.orient_polygons(shape(document["features"][0]["geometry"]))


@pytest.fixture(scope="module")
def default_raw() -> dict:
    """The default group areas as shipped: a tiling by the old rules, T-junctions and all."""
    return read(ROOT / "buurt" / "data" / "rijnsoever_areas.geojson", key_property="key")


@pytest.fixture(scope="module")
def default_areas(default_raw, outline) -> dict:
    """The default areas as they are stored after an upload under the new rules: cleaned."""
    return clean_coverage(default_raw, outline, tolerance_m2=25).geometries


@pytest.fixture(scope="module")
def katwijk() -> dict:
    return read(
        ROOT / "buurt" / "data" / "katwijk_buurten_2024.geojson",
        key_property="buurtcode",
        name_property="buurtnaam",
        unique_names=False,
    )


# ---------------------------------------------------------------------------------------------
# Move a border


def test_move_border_on_squares_moves_only_the_border_and_the_neighbours_gain_the_vertex(squares):
    line = LineString([(4.412, 52.2235), (4.412, 52.2095)])
    result = move_border(squares, "nw", "ne", line, snap_m=SNAP)
    assert list(result) == list(squares)
    assert changed_m2(result["nw"], box(4.40, 52.21, 4.412, 52.22)) < 1e-6
    assert changed_m2(result["ne"], box(4.412, 52.21, 4.42, 52.22)) < 1e-6
    for key in ("sw", "se"):
        assert changed_m2(result[key], squares[key]) < 1e-6
    assert (4.412, 52.21) in {tuple(xy) for xy in shapely.get_coordinates(result["se"])}
    assert_tiling(result, union_before=shapely.union_all(list(squares.values())))
    shared_vertices_only(result)


def test_move_border_on_the_default_areas_keeps_the_tiling_of_the_outline(default_areas, outline):
    a, b = "rijnsoever-midden-noord", "rijnsoever-midden-zuid"
    # a wiggly line roughly 40 m north of today's border, from beyond the western edge to beyond the eastern
    line = LineString(
        [(4.41655, 52.21140), (4.4190, 52.2121), (4.4205, 52.2124), (4.4222, 52.2132), (4.4242, 52.21375)]
    )
    result = move_border(default_areas, a, b, line, snap_m=SNAP)
    assert_tiling(result, outline=outline)
    shared_vertices_only(result)
    assert changed_m2(shapely.union(result[a], result[b]), shapely.union(default_areas[a], default_areas[b])) < 0.01
    for key in result.keys() - {a, b}:
        assert changed_m2(result[key], default_areas[key]) < 0.01, key
    assert area_m2(result[a]) < area_m2(default_areas[a]) - 10_000  # midden-noord shrank by hectares
    assert len(result[a].geoms if isinstance(result[a], MultiPolygon) else [result[a]]) == 1


def test_move_border_works_on_the_areas_as_shipped_too(default_raw):
    a, b = "rijnsoever-midden-noord", "rijnsoever-midden-zuid"
    line = LineString([(4.41655, 52.21140), (4.4242, 52.21375)])
    result = move_border(default_raw, a, b, line, snap_m=SNAP)
    assert_tiling(result)
    for key in result.keys() - {a, b}:  # only the old T-junction slivers (< 7 m², 1.5 cm wide) moved
        assert changed_m2(result[key], default_raw[key]) < 8, key


def test_a_line_end_10_m_short_of_the_edge_is_snapped_onto_it(squares):
    north = to_rd(4.412, 52.22)
    end = from_rd(north[0], north[1] - 10)  # 10 m inside nw+ne, short of its northern edge
    line = LineString([(4.412, 52.2095), end])  # starts outside (in se): kept as drawn
    snapped = snap_line(line, shapely.union(squares["nw"], squares["ne"]), SNAP)
    assert snapped.coords[:-1] == line.coords[:]
    assert snapped.coords[-1][1] == pytest.approx(52.22 + 0.5 / M_LAT, abs=1e-7)  # 0.5 m across the edge
    result = move_border(squares, "nw", "ne", line, snap_m=SNAP)
    assert_tiling(result, union_before=shapely.union_all(list(squares.values())))
    border = shapely.intersection(result["nw"].boundary, result["ne"].boundary)
    assert shapely.length(
        shapely.transform(border, lambda c: np.column_stack(to_rd(c[:, 0], c[:, 1])))
    ) == pytest.approx(1113.2, abs=1)  # from the southern edge all the way to the northern one


def test_a_line_end_140_m_short_of_the_edge_is_refused_with_what_to_do(squares):
    north = to_rd(4.412, 52.22)
    end = from_rd(north[0], north[1] - 140)
    message = refused(move_border, squares, "nw", "ne", LineString([(4.412, 52.2095), end]), snap_m=SNAP)
    assert message == (
        "De lijn moet van rand tot rand door de gebieden lopen; het eind ligt 140 m binnen de rand. "
        "Trek de lijn door tot over de rand, of tot binnen 25 m ervan."
    )
    start = from_rd(north[0], north[1] - 140)
    message = refused(move_border, squares, "nw", "ne", LineString([start, (4.412, 52.2095)]), snap_m=SNAP)
    assert "het begin ligt 140 m binnen de rand" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (LineString([(4.405, 52.215), (4.415, 52.2155)]), "het begin ligt 342 m en het eind 342 m binnen de rand"),
        (
            LineString([(4.405, 52.2205), (4.415, 52.2095), (4.415, 52.2205), (4.405, 52.2095)]),
            "De lijn kruist zichzelf",
        ),
        (LineString([(4.405, 52.2205), (4.405, 52.2205)]), "minstens twee verschillende punten"),
        (LineString([(52.215, 4.399), (52.215, 4.421)]), "breedtegraad en lengtegraad lijken verwisseld"),
        (LineString([(4.6, 52.3), (4.7, 52.3)]), "De lijn loopt niet door 'Noordwest' en 'Noordoost'"),
        (LineString([(4.399, 52.2235), (4.421, 52.2235)]), "De lijn loopt niet door"),
        (LineString([(13.4, 52.5), (4.41, 52.215)]), "ligt buiten Nederland (bij 52.50000, 13.40000)"),
    ],
)
def test_move_border_refuses_lines_that_cannot_give_a_tiling(squares, line, expected):
    names = {"nw": "Noordwest", "ne": "Noordoost", "sw": "Zuidwest", "se": "Zuidoost"}
    assert expected in refused(move_border, squares, "nw", "ne", line, snap_m=SNAP, names=names)


def test_a_line_with_nan_coordinates_is_refused(squares):
    line = LineString([(4.405, 52.2205), (4.405, 52.2095)])
    bad = shapely.set_coordinates(line, np.array([[np.nan, 52.2205], [4.405, 52.2095]]))
    assert "zonder geldige coördinaten" in refused(move_border, squares, "nw", "ne", bad, snap_m=SNAP)
    assert "Er is geen lijn getekend" in refused(move_border, squares, "nw", "ne", LineString(), snap_m=SNAP)


def test_move_border_refuses_areas_that_are_no_neighbours_or_unknown(squares):
    line = LineString([(4.405, 52.2235), (4.415, 52.1995)])
    assert "grenzen niet aan elkaar" in refused(move_border, squares, "nw", "se", line, snap_m=SNAP)
    assert "bestaat niet (meer)" in refused(move_border, squares, "nw", "xx", line, snap_m=SNAP)
    assert "twee verschillende gebieden" in refused(move_border, squares, "nw", "nw", line, snap_m=SNAP)
    assert not neighbours(squares, "nw", "se")  # a corner is no border
    assert neighbours(squares, "nw", "ne")


def test_move_border_refuses_to_leave_an_area_without_surface(three):
    # West is twice Noordoost; a line that cuts off a corner of West leaves both pieces West's
    line = LineString([(4.3995, 52.2025), (4.4025, 52.1995)])
    message = refused(
        move_border, three, "a-west", "b-noordoost", line, snap_m=SNAP, names={"b-noordoost": "Noordoost"}
    )
    assert message.startswith("Met deze lijn houdt 'Noordoost' geen oppervlak over.")


def test_move_border_refuses_to_let_an_area_fall_apart(squares):
    # cut two corners off nw: the middle piece goes to ne, nw would be two loose corners
    line = LineString(
        [(4.404, 52.2205), (4.404, 52.216), (4.3995, 52.216), (4.3995, 52.214), (4.404, 52.214), (4.404, 52.2095)]
    )
    message = refused(move_border, squares, "nw", "ne", line, snap_m=SNAP, names={"nw": "Noordwest"})
    assert message == (
        "De nieuwe grens laat 'Noordwest' in twee losse stukken uiteenvallen; trek de lijn zo dat elk gebied "
        "één geheel blijft."
    )


def test_move_border_with_a_line_that_crosses_the_old_border_three_times(squares):
    line = LineString([(4.405, 52.2205), (4.415, 52.218), (4.405, 52.212), (4.415, 52.2095)])
    result = move_border(squares, "nw", "ne", line, snap_m=SNAP)
    assert_tiling(result, union_before=shapely.union_all(list(squares.values())))
    assert result["nw"].geom_type == result["ne"].geom_type == "Polygon"


# ---------------------------------------------------------------------------------------------
# Split and merge


def test_split_gives_the_smaller_part_a_new_key_after_the_area(squares):
    line = LineString([(4.3995, 52.217), (4.4105, 52.217)])
    result = split_area(squares, "nw", line, new_key="nw-noord", snap_m=SNAP)
    assert list(result) == ["nw", "nw-noord", "ne", "sw", "se"]
    assert changed_m2(result["nw"], box(4.40, 52.21, 4.41, 52.217)) < 1e-6
    assert changed_m2(result["nw-noord"], box(4.40, 52.217, 4.41, 52.22)) < 1e-6
    assert (4.41, 52.217) in {tuple(xy) for xy in shapely.get_coordinates(result["ne"])}
    assert_tiling(result, union_before=shapely.union_all(list(squares.values())))
    shared_vertices_only(result)


def test_split_on_the_default_areas(default_areas, outline):
    line = LineString([(4.4275, 52.2040), (4.4310, 52.2125)])  # across Rijnsoever-Oost, south to north
    result = split_area(default_areas, "rijnsoever-oost", line, new_key="oost-west", snap_m=SNAP)
    assert_tiling(result, outline=outline)
    assert area_m2(result["rijnsoever-oost"]) > area_m2(result["oost-west"]) > 50_000
    for key in default_areas.keys() - {"rijnsoever-oost"}:
        assert changed_m2(result[key], default_areas[key]) < 0.01


def test_split_refusals(squares):
    names = {"nw": "Noordwest"}
    inside = LineString([(4.403, 52.215), (4.407, 52.215)])
    assert "het begin ligt" in refused(split_area, squares, "nw", inside, new_key="x", snap_m=SNAP)
    along = LineString([(4.3995, 52.2235), (4.3995, 52.2095)])  # outside, along the western edge
    message = refused(split_area, squares, "nw", along, new_key="x", snap_m=SNAP, names=names)
    assert message.startswith("De lijn deelt 'Noordwest' niet in twee stukken")
    corners = LineString(
        [(4.404, 52.2205), (4.404, 52.216), (4.3995, 52.216), (4.3995, 52.214), (4.404, 52.214), (4.404, 52.2095)]
    )
    message = refused(split_area, squares, "nw", corners, new_key="x", snap_m=SNAP, names=names)
    assert message.startswith("De lijn deelt 'Noordwest' in 3 stukken; splitsen kan alleen in twee.")
    across = LineString([(4.3995, 52.215), (4.4105, 52.215)])
    assert "al een gebied met de sleutel 'ne'" in refused(split_area, squares, "nw", across, new_key="ne", snap_m=SNAP)
    sliver = LineString([(4.3995, 52.22001), (4.4105, 52.22001), (4.4105, 52.2199999)])
    assert "Trek" in refused(split_area, squares, "nw", sliver, new_key="x", snap_m=SNAP)


def test_merge_makes_one_area_and_keeps_the_tiling(squares):
    result = merge_areas(squares, "nw", "ne")
    assert list(result) == ["nw", "sw", "se"]
    assert changed_m2(result["nw"], box(4.40, 52.21, 4.42, 52.22)) < 1e-6
    assert result["nw"].geom_type == "Polygon"
    assert_tiling(result, union_before=shapely.union_all(list(squares.values())))
    shared_vertices_only(result)


def test_merge_refuses_areas_that_only_touch_in_a_corner(squares):
    message = refused(merge_areas, squares, "nw", "se", names={"nw": "Noordwest", "se": "Zuidoost"})
    assert message.startswith("'Noordwest' en 'Zuidoost' grenzen niet aan elkaar")


def test_neighbours_on_the_default_areas_as_shipped(default_raw):
    # Midden-Noord and West do not quite touch as shipped (a notch of 0.3 mm), yet share a border
    assert neighbours(default_raw, "rijnsoever-midden-noord", "rijnsoever-west")
    assert neighbours(default_raw, "rijnsoever-noord", "rijnsoever-oost")
    assert not neighbours(default_raw, "rijnsoever-west", "rijnsoever-oost")


# ---------------------------------------------------------------------------------------------
# Cleaning


def test_clean_the_default_areas_gives_an_exact_coverage_without_fixes(default_raw, outline):
    before = tiling_report(default_raw, outline)
    assert before["overlap_m2"] > 0.5
    assert before["gap_m2"] > 0.3
    assert not shapely.coverage_is_valid(np.array(list(default_raw.values()), dtype=object))
    cleaned = clean_coverage(default_raw, outline, tolerance_m2=25)
    assert cleaned.fixes == []
    assert cleaned.problems == []
    assert_tiling(cleaned.geometries, outline=outline)
    shared_vertices_only(cleaned.geometries)
    for key in default_raw:  # the largest change is the 1.5 cm T-junction along West's edge
        assert changed_m2(cleaned.geometries[key], default_raw[key]) < 8


def test_clean_leaves_an_exact_coverage_as_it_is(squares, katwijk):
    for areas in (squares, katwijk):
        cleaned = clean_coverage(areas, tolerance_m2=25)
        assert cleaned.fixes == []
        assert cleaned.problems == []
        assert list(cleaned.geometries) == list(areas)
        for key in areas:
            assert changed_m2(cleaned.geometries[key], areas[key]) < 0.01


def test_clean_the_cbs_buurten_of_katwijk_in_rd_new():
    """What cleaning finds on real generalised data: the CBS buurten (cartomap, integer RD metres)
    are a coverage already, in RD and after the conversion to WGS84 — no slivers to fix."""
    areas = read(
        ROOT / "tests" / "areas" / "data" / "cbs_buurt_2024_gm0537_rd.geojson",
        key_property="statcode",
        name_property="statnaam",
        unique_names=False,
    )
    assert len(areas) == 42
    cleaned = clean_coverage(areas, tolerance_m2=25)
    assert cleaned.fixes == []
    assert cleaned.problems == []
    assert_tiling(cleaned.geometries)
    union_before, union_after = (
        shapely.union_all(list(areas.values())),
        shapely.union_all(list(cleaned.geometries.values())),
    )
    assert changed_m2(union_before, union_after) < 0.1  # near-misses of the conversion from RD snapped


@pytest.fixture(scope="module")
def dense_areas(default_areas, outline):
    """The default areas with a vertex every ~20 m (like boundaries that follow streets): each
    densified on its own, then cleaned back into one coverage."""
    dense = {key: shapely.segmentize(geom, 0.0002) for key, geom in default_areas.items()}
    cleaned = clean_coverage(dense, outline, tolerance_m2=25)
    assert cleaned.fixes == []
    assert cleaned.problems == []
    return cleaned.geometries


def moved_vertex(areas: dict, key: str, other: str, metres: float) -> tuple[dict, tuple[float, float]]:
    """``areas`` with one vertex that ``key`` shares with ``other`` (and nobody else) moved by
    ``metres`` into ``other``, in ``key`` only: what dragging a vertex in geojson.io does."""
    geom = areas[key]
    ring = np.asarray(geom.exterior.coords)
    mine_only = {tuple(xy) for k, g in areas.items() if k not in (key, other) for xy in shapely.get_coordinates(g)}
    theirs = {tuple(xy) for xy in shapely.get_coordinates(areas[other])}
    for i in range(1, len(ring) - 1):
        point = tuple(ring[i])
        if point in theirs and point not in mine_only and tuple(ring[i - 1]) in theirs and tuple(ring[i + 1]) in theirs:
            break
    else:
        raise AssertionError("no shared vertex")
    x, y = to_rd(*ring[i])
    (px, py), (qx, qy) = to_rd(*ring[i - 1]), to_rd(*ring[i + 1])
    nx, ny = -(qy - py), qx - px  # normal of the chord; pick the side that is inside `other`
    norm = np.hypot(nx, ny)
    nx, ny = nx / norm, ny / norm
    if not shapely.intersects_xy(areas[other], *from_rd(x + nx * 0.5, y + ny * 0.5)):
        nx, ny = -nx, -ny
    ring[i] = from_rd(x + nx * metres, y + ny * metres)
    if i == 0:
        ring[-1] = ring[0]
    edited = dict(areas)
    edited[key] = Polygon(ring, [r.coords for r in geom.interiors])
    return edited, (float(ring[i][1]), float(ring[i][0]))


def test_a_vertex_moved_1_m_in_one_polygon_only_is_fixed_and_reported(dense_areas, outline):
    names = {"rijnsoever-midden-noord": "Midden Noord", "rijnsoever-midden-zuid": "Midden Zuid"}
    edited, _ = moved_vertex(dense_areas, "rijnsoever-midden-noord", "rijnsoever-midden-zuid", 1.0)
    before = tiling_report(edited, outline)
    assert 5 < before["overlap_m2"] < 25
    cleaned = clean_coverage(edited, outline, tolerance_m2=25)
    assert cleaned.problems == []
    (fix,) = cleaned.fixes
    assert fix.kind == "overlap"
    assert fix.keys == ("rijnsoever-midden-noord", "rijnsoever-midden-zuid")
    assert fix.area_m2 == pytest.approx(before["overlap_m2"], rel=0.01)
    assert fix.message(names).startswith(
        f"Rechtgetrokken: overlap van {round(fix.area_m2)} m² tussen 'Midden Noord' en 'Midden Zuid' (bij 52.2"
    )
    assert fix.message(names).endswith(f"hoort nu bij '{names[fix.given_to]}'.")
    assert_tiling(cleaned.geometries, outline=outline)


def test_a_vertex_moved_60_m_is_shown_as_a_problem_with_its_shape(dense_areas, outline):
    edited, (lat, lon) = moved_vertex(dense_areas, "rijnsoever-midden-noord", "rijnsoever-midden-zuid", 60.0)
    cleaned = clean_coverage(edited, outline, tolerance_m2=25, names={"rijnsoever-midden-noord": "Midden Noord"})
    assert cleaned.fixes == []  # nothing fixed silently
    (problem,) = cleaned.problems
    assert problem.code == "overlap"
    assert problem.message.startswith("De gebieden 'Midden Noord' en 'rijnsoever-midden-zuid' overlappen elkaar over ")
    assert "meer dan de 25 m² die vanzelf wordt rechtgetrokken" in problem.message
    piece = shape(problem.geometry)
    assert piece.geom_type == "Polygon"
    assert area_m2(piece) > 500
    assert shapely.intersects_xy(piece.buffer(1e-6), lon, lat)  # the moved vertex is a corner of it
    assert shapely.intersects_xy(piece, problem.lon, problem.lat)
    assert problem.feature_index == 1
    # the areas come back as uploaded there: the overlap is still in both
    assert tiling_report(cleaned.geometries)["overlap_m2"] == pytest.approx(area_m2(piece), rel=0.01)


def test_a_rounding_overlap_of_3_m2_along_an_edge_is_fixed(default_areas):
    left = rd_box(0, 0, 100, 100)
    right = rd((99.966, 0), (200, 0), (200, 100), (99.966, 100))  # 3.4 cm over the shared edge
    cleaned = clean_coverage({"links": left, "rechts": right}, tolerance_m2=25)
    (fix,) = cleaned.fixes
    assert fix.kind == "overlap"
    assert fix.area_m2 == pytest.approx(3.4, abs=0.1)
    assert fix.message().startswith("Rechtgetrokken: overlap van 3 m² tussen 'links' en 'rechts' (bij ")
    assert_tiling(cleaned.geometries, union_before=shapely.union(left, right))


def test_a_hairline_overlap_is_rounding_noise_fixed_without_a_report():
    left = rd_box(0, 0, 100, 1000)
    right = rd((99.997, 0), (200, 0), (200, 1000), (99.997, 1000))  # 3 mm wide, 3 m²
    cleaned = clean_coverage({"links": left, "rechts": right}, tolerance_m2=25)
    assert cleaned.fixes == []
    assert cleaned.problems == []
    assert_tiling(cleaned.geometries, union_before=shapely.union(left, right))


def test_a_three_way_corner_moved_in_all_polygons_that_have_it_leaves_no_gap():
    """West's edge runs straight past the corner (a T-junction); moving the corner 14 cm east in
    the two areas that have it opens a 7 m² gap along West's edge. It goes to West."""
    west = rd_box(0, 0, 50, 100)
    corner = (50.14, 50)
    north_east = rd(corner, (100, 50), (100, 100), (50, 100))
    south_east = rd((50, 0), (100, 0), (100, 50), corner)
    areas = {"west": west, "noordoost": north_east, "zuidoost": south_east}
    assert tiling_report(areas)["gap_m2"] == pytest.approx(7, abs=0.1)
    outline = rd((0, 0), (50, 0), (100, 0), (100, 50), (100, 100), (50, 100), (0, 100))  # vertices as the areas'
    cleaned = clean_coverage(areas, outline, tolerance_m2=25)
    (fix,) = cleaned.fixes
    assert (fix.kind, fix.given_to) == ("gap", "west")
    assert fix.message({"west": "West"}).startswith("Rechtgetrokken: gat van 7 m² (bij 52.")
    assert fix.message({"west": "West"}).endswith("hoort nu bij 'West'.")
    assert_tiling(cleaned.geometries, outline=outline)
    shared_vertices_only(cleaned.geometries)


def test_an_overlap_goes_to_the_area_whose_own_surface_borders_it_longest():
    # a: 0..100 wide; b claims a strip of 3 cm x 100 m into a; plus c under both
    a = rd_box(0, 0, 100, 100)
    b = rd((99.97, 0), (200, 0), (200, 100), (99.97, 100))
    cleaned = clean_coverage({"a": a, "b": b}, tolerance_m2=25, order=["b", "a"])
    (fix,) = cleaned.fixes
    assert fix.given_to == "b"  # equal borders: the first in `order`
    cleaned = clean_coverage({"a": a, "b": b}, tolerance_m2=25)
    assert cleaned.fixes[0].given_to == "a"


def test_outline_pieces_cut_off_small_and_reported_large(default_areas, outline):
    names = {"rijnsoever-west": "West"}
    west = default_areas["rijnsoever-west"]
    tip = (4.41012, 52.210253)  # West's western corner, on the outline
    x, y = to_rd(*tip)
    for metres, small in ((3.0, True), (40.0, False)):
        bulge = Polygon([tip, from_rd(x - metres, y + metres / 2), from_rd(x - metres, y - metres / 2)])
        areas = dict(default_areas)
        areas["rijnsoever-west"] = shapely.orient_polygons(shapely.union(west, bulge))
        cleaned = clean_coverage(areas, outline, tolerance_m2=25, names=names)
        if small:
            (fix,) = cleaned.fixes
            assert (fix.kind, fix.given_to, fix.keys) == ("outside", None, ("rijnsoever-west",))
            assert fix.message(names).startswith("Rechtgetrokken: 4 m² van 'West' buiten de buurtgrens (bij 52.")
            assert fix.message(names).endswith("weggesneden.")
            assert_tiling(cleaned.geometries, outline=outline)
        else:
            (problem,) = cleaned.problems
            assert problem.code == "outside_outline"
            assert problem.feature_index == 0
            assert problem.message.startswith("Gebied 'West' steekt 800 m² buiten de buurtgrens uit (bij 52.")
            assert area_m2(shape(problem.geometry)) == pytest.approx(800, rel=0.01)


def test_large_gaps_and_uncovered_strips_are_problems_with_their_shape(squares):
    gaps = read(DATA / "gap.geojson", key_property="key")
    cleaned = clean_coverage(gaps, tolerance_m2=25)
    (problem,) = cleaned.problems
    assert problem.code == "gap"
    assert problem.feature_index is None
    assert problem.message.startswith("Tussen de gebieden ligt een gat van ")
    assert shape(problem.geometry).equals(box(4.41, 52.21, 4.42, 52.22))
    outline = box(4.40, 52.20, 4.42, 52.225)
    cleaned = clean_coverage(squares, outline, tolerance_m2=25)
    (problem,) = cleaned.problems
    assert problem.code == "uncovered"
    assert problem.message.startswith("Een deel van de buurt (")
    assert "valt in geen enkel gebied" in problem.message
    assert changed_m2(shape(problem.geometry), box(4.40, 52.22, 4.42, 52.225)) < 0.01


def test_a_large_overlap_is_a_problem_and_a_small_gap_between_areas_is_filled():
    overlapping = raw_shapes(DATA / "overlap.geojson")
    cleaned = clean_coverage(overlapping, tolerance_m2=25)
    (problem,) = cleaned.problems
    assert problem.code == "overlap"
    assert "'a' en 'b' overlappen elkaar" in problem.message
    a, b = rd_box(0, 0, 100, 100), rd_box(100.1, 0, 200, 100)  # a 10 cm gap, 10 m², enclosed by the outline
    outline = rd((0, 0), (100, 0), (100.1, 0), (200, 0), (200, 100), (100.1, 100), (100, 100), (0, 100))
    cleaned = clean_coverage({"a": a, "b": b}, outline, tolerance_m2=25)
    (fix,) = cleaned.fixes
    assert fix.kind == "gap"
    assert fix.area_m2 == pytest.approx(10, abs=0.2)
    assert_tiling(cleaned.geometries, outline=outline)


def test_tiling_report_numbers():
    overlapping = raw_shapes(DATA / "overlap.geojson")
    report = tiling_report(overlapping)
    assert report["overlap_m2"] == pytest.approx(area_m2(box(4.405, 52.20, 4.41, 52.21)), rel=1e-6)
    gaps = read(DATA / "gap.geojson", key_property="key")
    assert tiling_report(gaps)["gap_m2"] == pytest.approx(area_m2(box(4.41, 52.21, 4.42, 52.22)), rel=1e-6)
    report = tiling_report(
        {"a": box(4.40, 52.20, 4.41, 52.21), "b": LineString([(4.4, 52.2), (4.5, 52.2)])},
        box(4.40, 52.20, 4.405, 52.21),
    )
    assert report["invalid"] == 1
    assert report["outside_m2"] == pytest.approx(area_m2(box(4.405, 52.20, 4.41, 52.21)), rel=1e-6)


def test_fix_messages():
    names = {"n": "Noord", "o": "Oost", "w": "West"}
    assert Fix("overlap", 3.2, 52.210123, 4.420311, ("n", "o"), "n").message(names) == (
        "Rechtgetrokken: overlap van 3 m² tussen 'Noord' en 'Oost' (bij 52.21012, 4.42031) hoort nu bij 'Noord'."
    )
    assert Fix("gap", 7.0, 52.21, 4.42, ("n", "o"), "o").message(names) == (
        "Rechtgetrokken: gat van 7 m² (bij 52.21000, 4.42000) hoort nu bij 'Oost'."
    )
    assert Fix("outside", 2.0, 52.21, 4.42, ("w",), None).message(names) == (
        "Rechtgetrokken: 2 m² van 'West' buiten de buurtgrens (bij 52.21000, 4.42000) weggesneden."
    )
    assert "overlap van minder dan 1 m²" in Fix("overlap", 0.4, 52.21, 4.42, ("n", "o"), "n").message()


def test_an_engine_failure_is_a_refusal_or_a_problem_never_an_exception(squares, monkeypatch):
    from shapely.errors import GEOSException

    from buurt.geo import topology

    def broken(*args, **kwargs):
        raise GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(topology, "_arrangement", broken)
    line = LineString([(4.412, 52.2235), (4.412, 52.2095)])
    assert refused(move_border, squares, "nw", "ne", line, snap_m=SNAP).startswith(
        "Deze bewerking gaf geen nette indeling; er is niets veranderd."
    )
    cleaned = clean_coverage(squares, tolerance_m2=25)
    assert [problem.code for problem in cleaned.problems] == ["clean_failed"]
    assert cleaned.geometries == squares


def test_cleaning_tiles_the_outline_itself_not_an_outline_bent_to_the_areas(dense_areas, outline):
    """An export cut to 7 decimals (1 cm) and read back: vertices up to 1 cm off the outline's edge.
    The outline stays as it is; the areas are cut and filled to it."""
    rounded = {key: shapely.transform(geom, lambda c: np.round(c, 7)) for key, geom in dense_areas.items()}
    assert tiling_report(rounded, outline)["outside_m2"] > 0.1
    cleaned = clean_coverage(rounded, outline, tolerance_m2=25)
    assert cleaned.problems == []
    report = tiling_report(cleaned.geometries, outline)
    assert report["gap_m2"] < 0.01
    assert report["outside_m2"] < 0.01
    assert_tiling(cleaned.geometries, outline=outline)


def test_tiling_report_sees_no_phantom_gap_where_a_split_adds_a_vertex_to_a_long_edge(default_areas, outline):
    """Splitting Oost puts a vertex on its 600 m southern edge, 4e-11 degree off the straight line
    (the grid). Measured on RD-transformed vertices that hairline was 0.44 m² (a line straight in
    lon/lat is curved in RD); as the surface it is, 0.001 m²."""
    east = default_areas["rijnsoever-oost"]
    min_lon, min_lat, max_lon, max_lat = east.bounds
    middle = (min_lon + max_lon) / 2
    line = LineString([(middle, max_lat + 0.0005), (middle, min_lat - 0.0005)])
    result = split_area(default_areas, "rijnsoever-oost", line, new_key="nieuw", snap_m=SNAP)
    report = tiling_report(result, outline)
    assert report["gap_m2"] < 0.01
    assert report["outside_m2"] < 0.01
    assert area_m2(shapely.difference(outline, shapely.union_all(list(result.values())))) > 0.1  # the old measure
