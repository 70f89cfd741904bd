"""coords: axis order helpers, RD New round trips, NL bounds, swap detection, distances."""

import math

import numpy as np
import pytest

from buurt.geo.coords import (
    NL_BOUNDS,
    distance_m,
    from_rd,
    in_netherlands,
    latlon_to_lonlat,
    lonlat_to_latlon,
    looks_swapped,
    to_rd,
)


def test_axis_order_helpers_swap_in_the_direction_their_names_say():
    assert latlon_to_lonlat([52.21, 4.42]) == (4.42, 52.21)
    assert lonlat_to_latlon((4.42, 52.21)) == (52.21, 4.42)


def test_to_rd_matches_known_point():
    # Amersfoort, the origin of RD: (155000, 463000).
    x, y = to_rd(5.38720621, 52.15517440)
    assert x == pytest.approx(155_000, abs=1)
    assert y == pytest.approx(463_000, abs=1)


def test_rd_round_trip_for_scalars_and_arrays():
    lon, lat = from_rd(*to_rd(4.42, 52.21))
    assert (lon, lat) == (pytest.approx(4.42, abs=1e-7), pytest.approx(52.21, abs=1e-7))
    assert isinstance(lon, float)

    lons, lats = np.array([4.40, 4.42, 4.44]), np.array([52.20, 52.21, 52.22])
    xs, ys = to_rd(lons, lats)
    assert xs.shape == (3,)
    back_lon, back_lat = from_rd(xs, ys)
    np.testing.assert_allclose(back_lon, lons, atol=1e-7)
    np.testing.assert_allclose(back_lat, lats, atol=1e-7)


def test_one_hundredth_degree_of_latitude_is_about_1112_metres_in_rd():
    _, y1 = to_rd(4.42, 52.20)
    _, y2 = to_rd(4.42, 52.21)
    assert y2 - y1 == pytest.approx(1112, rel=0.002)


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (52.21, 4.42, True),  # Rijnsoever
        (53.45, 6.0, True),  # Wadden
        (51.37, 3.4, True),  # Zeeland
        (4.42, 52.21, False),  # swapped
        (48.85, 2.35, False),  # Paris
        (math.nan, 4.42, False),
    ],
)
def test_in_netherlands(lat, lon, inside):
    assert in_netherlands(lat, lon) is inside


def test_bounds_are_the_documented_box():
    assert (NL_BOUNDS.min_lon, NL_BOUNDS.max_lon, NL_BOUNDS.min_lat, NL_BOUNDS.max_lat) == (3.2, 7.3, 50.7, 53.6)


def test_looks_swapped():
    assert looks_swapped(4.42, 52.21)
    assert not looks_swapped(52.21, 4.42)
    assert not looks_swapped(48.85, 2.35)


def test_distance_m_is_geodesic_metres():
    assert distance_m(52.21, 4.42, 52.21, 4.42) == 0
    assert distance_m(52.20, 4.42, 52.21, 4.42) == pytest.approx(1113, rel=0.002)
    x1, y1 = to_rd(4.41, 52.205)
    x2, y2 = to_rd(4.43, 52.215)
    assert distance_m(52.205, 4.41, 52.215, 4.43) == pytest.approx(math.hypot(x2 - x1, y2 - y1), rel=0.001)


def test_distance_m_rejects_nan():
    with pytest.raises(ValueError, match="finite"):
        distance_m(math.nan, 4.42, 52.21, 4.42)
