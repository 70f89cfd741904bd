"""index: point -> area on literal squares (inside, outside, edges, vertices, holes, ties)."""

import math
from decimal import Decimal

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from buurt.geo.coords import to_rd
from buurt.geo.index import STRTREE_THRESHOLD, AreaIndex, BorderInfo

# Two squares side by side sharing the edge lon = 4.41, lat 52.20..52.21.
WEST = box(4.40, 52.20, 4.41, 52.21)
EAST = box(4.41, 52.20, 4.42, 52.21)


@pytest.fixture(params=[False, True], ids=["loop", "strtree"])
def use_tree(request):
    """Run index tests on both lookup paths (few areas: loop; many areas: STRtree)."""
    return request.param


def make_index(areas, use_tree=False):
    return AreaIndex(areas, strtree_threshold=0 if use_tree else 1000)


def test_inside_and_outside(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    assert index.locate(52.205, 4.405) == "west"
    assert index.locate(52.205, 4.415) == "east"
    assert index.locate(52.215, 4.405) is None  # north of both
    assert index.locate(52.205, 4.425) is None  # east of both


def test_point_on_shared_edge_goes_to_the_first_area(use_tree):
    assert make_index([("west", WEST), ("east", EAST)], use_tree).locate(52.205, 4.41) == "west"
    assert make_index([("east", EAST), ("west", WEST)], use_tree).locate(52.205, 4.41) == "east"


def test_point_on_outer_edge_and_corner_is_covered(use_tree):
    index = make_index([("west", WEST)], use_tree)
    assert index.locate(52.20, 4.405) == "west"  # bottom edge
    assert index.locate(52.20, 4.40) == "west"  # corner
    assert index.locate(52.21, 4.41) == "west"  # opposite corner
    assert index.locate(52.1999999, 4.405) is None


def test_shared_vertex_of_three_areas_goes_to_the_first(areas_from, use_tree):
    areas = areas_from("three_areas.geojson")
    pairs = [(area.key, area.geometry) for area in areas]
    assert make_index(pairs, use_tree).locate(52.21, 4.41) == "a-west"
    assert make_index(pairs[::-1], use_tree).locate(52.21, 4.41) == "c-zuidoost"
    assert make_index(pairs[1:], use_tree).locate(52.21, 4.41) == "b-noordoost"
    # Just off the vertex each area gets its own side.
    index = make_index(pairs, use_tree)
    assert index.locate(52.2101, 4.4101) == "b-noordoost"
    assert index.locate(52.2099, 4.4101) == "c-zuidoost"
    assert index.locate(52.2100, 4.4099) == "a-west"


def test_point_in_hole_is_not_covered(areas_from, use_tree):
    (ring,) = areas_from("ring_with_hole.geojson")
    index = make_index([(ring.key, ring.geometry)], use_tree)
    assert index.locate(52.215, 4.415) is None  # in the hole
    assert index.locate(52.205, 4.405) == "ring"
    assert index.locate(52.21, 4.415) == "ring"  # on the hole's edge: boundary-inclusive
    # An island area filling the hole gets the hole's points.
    island = box(4.41, 52.21, 4.42, 52.22)
    index = make_index([(ring.key, ring.geometry), ("eiland", island)], use_tree)
    assert index.locate(52.215, 4.415) == "eiland"
    assert index.locate(52.21, 4.415) == "ring"  # shared edge: first wins


def test_multipolygon_area_covers_both_parts(areas_from, use_tree):
    areas = areas_from("multipolygon.geojson")
    index = make_index([(area.key, area.geometry) for area in areas], use_tree)
    assert isinstance(areas[0].geometry, MultiPolygon)
    assert index.locate(52.205, 4.405) == "twee-delen"
    assert index.locate(52.205, 4.425) == "twee-delen"
    assert index.locate(52.205, 4.415) == "midden"
    assert index.locate(52.215, 4.415) is None


def test_overlap_goes_to_the_first_area(use_tree):
    left, right = box(4.40, 52.20, 4.41, 52.21), box(4.405, 52.20, 4.415, 52.21)
    assert make_index([("l", left), ("r", right)], use_tree).locate(52.205, 4.407) == "l"
    assert make_index([("r", right), ("l", left)], use_tree).locate(52.205, 4.407) == "r"


def test_locate_many_matches_locate_including_ties(areas_from, use_tree):
    areas = areas_from("squares_2x2.geojson")
    index = make_index([(area.key, area.geometry) for area in areas], use_tree)
    lats = [52.215, 52.215, 52.205, 52.205, 52.21, 52.21, 52.25, math.nan, 52.20]
    lons = [4.405, 4.415, 4.405, 4.415, 4.41, 4.405, 4.41, 4.41, 4.42]
    positions = index.locate_many(lats, lons)
    assert positions.dtype == np.intp
    assert list(index.keys_for(positions)) == [index.locate(lat, lon) for lat, lon in zip(lats, lons, strict=True)]
    assert list(index.keys_for(positions)) == ["nw", "ne", "sw", "se", "nw", "nw", None, None, "se"]


def test_locate_many_keeps_shape_and_handles_empty_input(use_tree):
    index = make_index([("west", WEST)], use_tree)
    grid = index.locate_many(np.full((2, 3), 52.205), np.full((2, 3), 4.405))
    assert grid.shape == (2, 3)
    assert (grid == 0).all()
    assert index.locate_many([], []).shape == (0,)
    with pytest.raises(ValueError, match="same shape"):
        index.locate_many([52.2], [4.4, 4.5])


def test_empty_index_covers_nothing():
    index = AreaIndex([])
    assert index.locate(52.205, 4.405) is None
    assert (index.locate_many([52.205], [4.405]) == -1).all()
    assert index.nearest(52.205, 4.405) is None
    assert index.within_radius(52.205, 4.405, 1000) == []
    assert index.border_info(52.205, 4.405) == BorderInfo(None, None, None, False)


def test_constructor_copies_and_leaves_caller_geometries_unprepared():
    west = box(4.40, 52.20, 4.41, 52.21)
    index = AreaIndex([("west", west)])
    assert not shapely.is_prepared(west)
    assert index.locate(52.205, 4.405) == "west"
    # The index's own copies are prepared up front (the docstring's promise: read-only after
    # construction, no lazy state built by the first request).
    assert shapely.is_prepared(index._geoms).all()


def test_strtree_only_past_the_threshold():
    """Up to STRTREE_THRESHOLD areas one vectorised call over all is fastest; past it an STRtree."""
    areas = [(i, box(4.40 + i * 0.001, 52.20, 4.4005 + i * 0.001, 52.21)) for i in range(STRTREE_THRESHOLD + 1)]
    assert AreaIndex(areas[:-1])._tree is None
    assert AreaIndex(areas)._tree is not None
    assert AreaIndex(areas[:3], strtree_threshold=2)._tree is not None
    assert AreaIndex(areas[:2], strtree_threshold=2)._tree is None


def test_constructor_rejects_bad_input():
    with pytest.raises(ValueError, match="unique"):
        AreaIndex([("a", WEST), ("a", EAST)])
    with pytest.raises(TypeError, match="Polygon"):
        AreaIndex([("a", shapely.Point(4.4, 52.2))])
    with pytest.raises(ValueError, match="empty"):
        AreaIndex([("a", Polygon())])


def test_keys_positions_and_key_lookup():
    index = AreaIndex([("west", WEST), ("east", EAST)])
    assert index.keys == ("west", "east")
    assert len(index) == 2
    assert index.position("east") == 1
    assert index.key_at(-1) is None
    assert index.key_at(0) == "west"


def metres_east(lat, lon, metres):
    """The longitude ``metres`` east of (lat, lon), measured in RD."""
    x, y = to_rd(lon, lat)
    from buurt.geo.coords import from_rd

    new_lon, _ = from_rd(x + metres, y)
    return new_lon


def test_border_info_inside_near_and_far(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    lat = 52.205
    near = index.border_info(lat, metres_east(lat, 4.41, -10))
    assert near.key == "west"
    assert near.nearest_other_key == "east"
    assert near.distance_m == pytest.approx(10, abs=0.5)
    assert near.is_border

    far = index.border_info(lat, metres_east(lat, 4.41, -100))
    assert (far.key, far.nearest_other_key, far.is_border) == ("west", "east", False)
    assert far.distance_m == pytest.approx(100, abs=1)
    assert index.border_info(lat, metres_east(lat, 4.41, -100), margin_m=150).is_border


def test_border_info_on_shared_edge_is_border_with_distance_zero(use_tree):
    info = make_index([("west", WEST), ("east", EAST)], use_tree).border_info(52.205, 4.41)
    assert info.key == "west"
    assert info.nearest_other_key == "east"
    # Straight lon/lat edges are not exactly straight in RD: sub-millimetre, not zero.
    assert info.distance_m == pytest.approx(0, abs=0.01)
    assert info.is_border


def test_border_info_uncovered_point_names_the_nearest_area(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    lat = 52.205
    info = index.border_info(lat, metres_east(lat, 4.42, 40))
    assert info.key is None
    assert info.nearest_other_key == "east"
    assert info.distance_m == pytest.approx(40, abs=0.5)
    assert not info.is_border


def test_border_info_single_area_has_no_neighbour(use_tree):
    assert make_index([("west", WEST)], use_tree).border_info(52.205, 4.405) == BorderInfo("west", None, None, False)


def test_within_radius_sorted_nearest_first_then_by_order(use_tree):
    far_east = box(4.43, 52.20, 4.44, 52.21)
    index = make_index([("far", far_east), ("west", WEST), ("east", EAST)], use_tree)
    lat = 52.205
    lon = metres_east(lat, 4.41, 30)  # inside east, 30 m from west
    found = index.within_radius(lat, lon, 100)
    assert [key for key, _ in found] == ["east", "west"]
    assert found[0][1] == 0
    assert found[1][1] == pytest.approx(30, abs=0.5)
    assert [key for key, _ in index.within_radius(lat, lon, 10_000)] == ["east", "west", "far"]
    # Equal distances keep the constructor order: on the shared edge both are at 0 m.
    assert [key for key, _ in index.within_radius(52.205, 4.41, 1)] == ["west", "east"]


def test_nearest(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    assert index.nearest(52.205, 4.405) == ("west", 0.0)
    key, distance = index.nearest(52.205, metres_east(52.205, 4.42, 250))
    assert key == "east"
    assert distance == pytest.approx(250, abs=1)


def test_border_margin_is_inclusive_at_exactly_the_margin(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    lat, lon = 52.205, metres_east(52.205, 4.41, -10)
    distance = index.border_info(lat, lon).distance_m
    assert index.border_info(lat, lon, margin_m=distance).is_border  # == margin: a border point
    assert not index.border_info(lat, lon, margin_m=math.nextafter(distance, 0)).is_border  # just past it
    # The default margin, on both sides of 25 m.
    assert index.border_info(lat, metres_east(lat, 4.41, -24.9)).is_border
    assert not index.border_info(lat, metres_east(lat, 4.41, -25.1)).is_border


def test_within_radius_is_inclusive_at_exactly_the_radius(use_tree):
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    lat, lon = 52.205, metres_east(52.205, 4.41, 30)  # inside east, ~30 m from west
    (_, distance) = index.within_radius(lat, lon, 100)[1]
    assert [key for key, _ in index.within_radius(lat, lon, distance)] == ["east", "west"]
    assert [key for key, _ in index.within_radius(lat, lon, math.nextafter(distance, 0))] == ["east"]
    # Radius 0: the covering area (distance 0) is within it.
    assert index.within_radius(lat, lon, 0) == [("east", 0.0)]


def test_within_radius_keeps_constructor_order_for_equal_distances_among_many_areas(use_tree):
    """20 areas: numpy's default (quick)sort would reorder equal distances; the order must not."""
    far = box(4.43, 52.20, 4.44, 52.21)
    areas = [(i, WEST if i % 2 == 0 else far) for i in range(20)]  # evens cover the point, odds are equally far
    found = make_index(areas, use_tree).within_radius(52.205, 4.405, 10_000)
    assert [key for key, _ in found] == list(range(0, 20, 2)) + list(range(1, 20, 2))


@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 4.405), (52.205, math.nan), (math.inf, 4.405), (52.205, -math.inf), (95.0, 4.405)]
)
def test_one_missing_coordinate_gives_no_area_and_no_distance(use_tree, lat, lon):
    """A NaN or infinite latitude OR longitude alone is enough: no answer, no warning.

    So is a latitude past the pole (a corrupt or swapped coordinate): its projection is infinite,
    and border_info used to name the last area as the point's own for it.
    """
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    assert index.locate(lat, lon) is None
    assert list(index.locate_many([lat, 52.205], [lon, 4.405])) == [-1, 0]
    assert index.border_info(lat, lon) == BorderInfo(None, None, None, False)
    assert index.within_radius(lat, lon, math.inf) == []
    assert index.nearest(lat, lon) is None


def test_locate_many_takes_coordinates_as_database_rows_give_them(use_tree):
    """Decimal (a NUMERIC column) and None (a missing coordinate) in object arrays, not only floats."""
    index = make_index([("west", WEST), ("east", EAST)], use_tree)
    lats = np.array([Decimal("52.205"), None, Decimal("52.205")], dtype=object)
    lons = np.array([Decimal("4.405"), None, Decimal("4.415")], dtype=object)
    assert list(index.locate_many(lats, lons)) == [0, -1, 1]
    assert list(index.locate_many(lats[[0]], lons[[0]])) == [0]
