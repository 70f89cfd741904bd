"""index, property-based: on the real Rijnsoever buurten every point gets the right answer."""

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurt.geo.index import AreaIndex

# Rijnsoever's bounding box (lon 4.41012..4.437405, lat 52.205194..52.216108) plus a margin.
LON = st.floats(4.405, 4.445, allow_nan=False, allow_infinity=False)
LAT = st.floats(52.200, 52.221, allow_nan=False, allow_infinity=False)
POINTS = st.lists(st.tuples(LAT, LON), min_size=1, max_size=200)

# No example database on disk, no deadline (the first call warms up pyproj/GEOS).
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def rijnsoever(rijnsoever_buurten):
    index = AreaIndex([(area.key, area.geometry) for area in rijnsoever_buurten])
    union = shapely.union_all([area.geometry for area in rijnsoever_buurten])
    shapely.prepare(union)
    geometries = {area.key: area.geometry for area in rijnsoever_buurten}
    return index, union, geometries


@PROPERTY_SETTINGS
@given(lat=LAT, lon=LON)
def test_points_in_the_union_get_exactly_one_area_and_outside_none(rijnsoever, lat, lon):
    index, union, geometries = rijnsoever
    key = index.locate(lat, lon)
    covered = shapely.intersects_xy(union, lon, lat)
    if not covered:
        assert key is None
        return
    assert key is not None
    assert shapely.intersects_xy(geometries[key], lon, lat)
    # The buurten tile: no point lies in the interior of two of them.
    inside = [k for k, geometry in geometries.items() if shapely.contains_xy(geometry, lon, lat)]
    assert len(inside) <= 1
    # Tie rule: no earlier area covers the point too.
    earlier = index.keys[: index.keys.index(key)]
    assert not any(shapely.intersects_xy(geometries[k], lon, lat) for k in earlier)


@PROPERTY_SETTINGS
@given(points=POINTS)
def test_locate_many_agrees_with_locate(rijnsoever, points):
    index, _, _ = rijnsoever
    lats, lons = np.array(points).T
    many = index.keys_for(index.locate_many(lats, lons)).tolist()
    assert many == [index.locate(lat, lon) for lat, lon in points]


@PROPERTY_SETTINGS
@given(fraction=st.floats(0, 1), which=st.integers(0, 3))
def test_points_on_buurt_boundaries_follow_the_tie_rule(rijnsoever, rijnsoever_buurten, fraction, which):
    index, _, geometries = rijnsoever
    point = rijnsoever_buurten[which].geometry.exterior.interpolate(fraction, normalized=True)
    # An interpolated point is on the edge only up to float rounding, so the check is relative:
    # the answer is the first buurt (in index order) that covers it, or None when none does.
    owners = [key for key in index.keys if shapely.intersects_xy(geometries[key], point.x, point.y)]
    assert index.locate(point.y, point.x) == (owners[0] if owners else None)
    # An inner edge point is never lost between two buurten.
    if shapely.distance(point, shapely.union_all(list(geometries.values())).exterior) > 1e-9:
        assert owners


def test_every_buurt_vertex_is_covered_and_goes_to_the_first_buurt_that_has_it(rijnsoever, rijnsoever_buurten):
    index, _, _ = rijnsoever
    for area in rijnsoever_buurten:
        for lon, lat in shapely.get_coordinates(area.geometry):
            owners = [a.key for a in rijnsoever_buurten if shapely.intersects_xy(a.geometry, lon, lat)]
            assert index.locate(lat, lon) == owners[0]


def test_the_four_buurten_share_vertices(rijnsoever, rijnsoever_buurten):
    index, _, _ = rijnsoever
    # 4.41972, 52.208139 is a vertex of both Rijnsoever-West (BU05370101) and -Midden (BU05370106).
    assert index.locate(52.208139, 4.41972) == "BU05370101"
    assert index.keys == ("BU05370101", "BU05370102", "BU05370105", "BU05370106")


@PROPERTY_SETTINGS
@given(points=POINTS)
def test_strtree_path_agrees_with_the_loop_path(rijnsoever, rijnsoever_buurten, points):
    index, _, _ = rijnsoever
    tree_index = AreaIndex([(area.key, area.geometry) for area in rijnsoever_buurten], strtree_threshold=0)
    lats, lons = np.array(points).T
    assert (tree_index.locate_many(lats, lons) == index.locate_many(lats, lons)).all()
    assert [tree_index.locate(lat, lon) for lat, lon in points] == [index.locate(lat, lon) for lat, lon in points]
