"""topology, property-based: any line across two neighbouring areas gives an exact tiling or a clear refusal.

On the real default areas of Rijnsoever (CBS / Kadaster, CC BY 4.0; cleaned, as they are stored
after an upload) and on a 2x2 grid of squares: lines from near the edge of the two areas' union
to near its edge, straight or wiggly (2 to 6 points), some zigzagging across today's border.
Surfaces are compared in lon/lat (see test_topology.py for why not in RD).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Polygon, shape

from buurt.geo.coords import metres_per_degree
from buurt.geo.polygons import area_m2, parse_area_collection
from buurt.geo.topology import (
    MIN_PART_M2,
    EditRefused,
    clean_coverage,
    move_border,
    neighbours,
    split_area,
)

ROOT = Path(__file__).resolve().parents[2]
M_LAT, M_LON = metres_per_degree(52.21)
M2_PER_DEG2 = M_LAT * M_LON
SNAP = 25.0
#: the refusal that means "the engine failed" (a bug here, never expected for a drawn line)
ENGINE_FAILED = "Deze bewerking gaf geen nette indeling"

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def changed_m2(before, after) -> float:
    return float(shapely.area(shapely.symmetric_difference(before, after))) * M2_PER_DEG2


def parts(geom) -> int:
    return len(geom.geoms) if isinstance(geom, MultiPolygon) else 1


def _areas() -> dict[str, dict]:
    def read(path: Path) -> dict:
        areas = parse_area_collection(path.read_text(encoding="utf-8"), key_property="key")
        return {area.key: area.geometry for area in areas}

    document = json.loads((ROOT / "buurt" / "data" / "rijnsoever_2024.geojson").read_text(encoding="utf-8"))
    outline = shape(document["features"][0]["geometry"])
    default = clean_coverage(read(ROOT / "buurt" / "data" / "rijnsoever_areas.geojson"), outline, tolerance_m2=25)
    return {"default": default.geometries, "squares": read(Path(__file__).parent / "data" / "squares_2x2.geojson")}


AREAS = _areas()
PAIRS = [
    (name, a, b)
    for name, areas in AREAS.items()
    for i, a in enumerate(areas)
    for b in list(areas)[i + 1 :]
    if neighbours(areas, a, b)
]
SINGLES = [(name, key) for name, areas in AREAS.items() for key in areas]


def offset(point, metres: float, angle: float) -> tuple[float, float]:
    return (point[0] + metres * np.cos(angle) / M_LON, point[1] + metres * np.sin(angle) / M_LAT)


def outer_ring(region):
    return shapely.get_exterior_ring(max(getattr(region, "geoms", [region]), key=lambda p: p.area))


@st.composite
def near_edge(draw, region, fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` of the region's outer edge, moved up to 40 m in any direction."""
    point = shapely.line_interpolate_point(outer_ring(region), fraction, normalized=True)
    return offset((point.x, point.y), draw(st.floats(0, 40)), draw(st.floats(0, 2 * np.pi)))


@st.composite
def crossing_line(draw, region, border=None) -> LineString:
    """From near the edge to near another part of the edge: straight, wiggly (up to 4 points
    beside the straight line, up to 150 m off), or zigzagging along the border between the two."""
    first = draw(st.floats(0, 1))
    start = draw(near_edge(region, first))
    end = draw(near_edge(region, (first + draw(st.floats(0.15, 0.85))) % 1))
    count = draw(st.integers(0, 4))
    if border is not None and not border.is_empty and count and draw(st.booleans()):
        fractions = sorted(draw(st.lists(st.floats(0.05, 0.95), min_size=count, max_size=count)))
        if shapely.distance(shapely.Point(start), border.interpolate(fractions[0], normalized=True)) > shapely.distance(
            shapely.Point(end), border.interpolate(fractions[0], normalized=True)
        ):
            start, end = end, start
        middle = []
        for i, fraction in enumerate(fractions):
            point = border.interpolate(fraction, normalized=True)
            angle = draw(st.floats(0, np.pi)) + (np.pi if i % 2 else 0)
            middle.append(offset((point.x, point.y), draw(st.floats(5, 80)), angle))
    else:
        (x0, y0), (x1, y1) = start, end
        length = np.hypot((x1 - x0) * M_LON, (y1 - y0) * M_LAT) or 1.0
        across = (-(y1 - y0) * M_LAT / length, (x1 - x0) * M_LON / length)  # unit normal, in metres
        middle = []
        for t in sorted(draw(st.lists(st.floats(0.05, 0.95), min_size=count, max_size=count))):
            metres = draw(st.floats(-150, 150))
            middle.append(
                (x0 + t * (x1 - x0) + metres * across[0] / M_LON, y0 + t * (y1 - y0) + metres * across[1] / M_LAT)
            )
    return LineString([start, *middle, end])


@st.composite
def border_case(draw):
    name, a, b = draw(st.sampled_from(PAIRS))
    areas = AREAS[name]
    region = shapely.union(areas[a], areas[b])
    border = shapely.line_merge(shapely.intersection(areas[a].boundary, areas[b].boundary))
    return name, a, b, draw(crossing_line(region, border))


def attempt(edit) -> dict | None:
    """The edit's result, or None when it was refused (a clear refusal, not an engine failure)."""
    try:
        return edit()
    except EditRefused as refusal:
        message = refusal.message
    assert ENGINE_FAILED not in message
    event(f"refused: {message[:40]}")
    return None


def assert_exact_tiling(result: dict) -> None:
    for key, geom in result.items():
        assert isinstance(geom, Polygon | MultiPolygon), key
        assert shapely.is_valid(geom), key
        for polygon in getattr(geom, "geoms", [geom]):
            assert polygon.exterior.is_ccw, key
    assert shapely.coverage_is_valid(np.array(list(result.values()), dtype=object))


@PROPERTY_SETTINGS
@given(case=border_case())
def test_move_border_gives_an_exact_tiling_or_a_clear_refusal(case):
    name, a, b, line = case
    areas = AREAS[name]
    result = attempt(lambda: move_border(areas, a, b, line, snap_m=SNAP))
    if result is None:
        return
    assert list(result) == list(areas)
    assert_exact_tiling(result)
    assert changed_m2(shapely.union_all(list(result.values())), shapely.union_all(list(areas.values()))) < 0.01
    assert changed_m2(shapely.union(result[a], result[b]), shapely.union(areas[a], areas[b])) < 0.01
    for key in result.keys() - {a, b}:
        assert changed_m2(result[key], areas[key]) < 0.01, key
    for key in (a, b):
        assert shapely.area(result[key]) * M2_PER_DEG2 >= MIN_PART_M2 * 0.99
        assert parts(result[key]) <= parts(areas[key])


@st.composite
def split_case(draw):
    name, key = draw(st.sampled_from(SINGLES))
    return name, key, draw(crossing_line(AREAS[name][key]))


@PROPERTY_SETTINGS
@given(case=split_case())
def test_split_gives_an_exact_tiling_or_a_clear_refusal(case):
    name, key, line = case
    areas = AREAS[name]
    result = attempt(lambda: split_area(areas, key, line, new_key="nieuw", snap_m=SNAP))
    if result is None:
        return
    keys = list(areas)
    assert list(result) == [*keys[: keys.index(key) + 1], "nieuw", *keys[keys.index(key) + 1 :]]
    assert_exact_tiling(result)
    assert changed_m2(shapely.union(result[key], result["nieuw"]), areas[key]) < 0.01
    assert area_m2(result[key]) >= area_m2(result["nieuw"]) >= MIN_PART_M2  # "larger" as the code measures it
    for other in areas.keys() - {key}:
        assert changed_m2(result[other], areas[other]) < 0.01, other


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(4.39, 4.43),
    st.floats(52.19, 52.23),
    st.sampled_from([4.41, 52.21, 52.22, 4.40, 4.42, 0.0]),
)


@settings(max_examples=60, deadline=None, database=None)
@given(points=st.lists(st.tuples(NUMBERS, NUMBERS), min_size=2, max_size=6))
def test_any_line_at_all_gives_a_tiling_or_a_refusal(points):
    """NaN, infinity, duplicates, far away, swapped: never another exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        line = LineString(points)
    squares = AREAS["squares"]
    for edit in (
        lambda: move_border(squares, "nw", "ne", line, snap_m=SNAP),
        lambda: split_area(squares, "se", line, new_key="nieuw", snap_m=SNAP),
    ):
        result = attempt(edit)
        if result is not None:
            assert_exact_tiling(result)


@pytest.mark.parametrize("name", sorted(AREAS))
def test_the_cases_have_neighbours_to_work_on(name):
    assert sum(1 for pair in PAIRS if pair[0] == name) >= (4 if name == "squares" else 6)
