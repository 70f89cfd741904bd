"""The pure blurring functions: grid-aligned cells, suppression by address count, area counts."""

from __future__ import annotations

import time as host_time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buurt.geo.coords import to_rd
from buurt.incidents import blur

POINT = (52.2131377, 4.4247913)


def test_cell_is_independent_of_the_position_inside_it():
    col, row = blur.cell_indices([POINT[0]], [POINT[1]], 150)
    x, y = to_rd(POINT[1], POINT[0])
    assert (int(col[0]), int(row[0])) == (int(x // 150), int(y // 150))
    centre = blur.cell_centre(int(col[0]), int(row[0]), 150)
    # another point in the same cell gives the same centre
    col2, row2 = blur.cell_indices([centre[0]], [centre[1]], 150)
    assert (int(col2[0]), int(row2[0])) == (int(col[0]), int(row[0]))


@settings(max_examples=60, deadline=None)
@given(st.floats(52.20, 52.22), st.floats(4.40, 4.44))
def test_published_centre_is_within_half_a_cell_diagonal_and_grid_aligned(lat, lon):
    points = [blur.ExactPoint(lat, lon, "brand", 1)]
    col, row = blur.cell_indices([lat], [lon], 150)
    addresses = Counter({(int(col[0]), int(row[0])): 10})
    out = blur.blur_to_grid(points, addresses, cell_m=150, min_addresses=5)
    [cell] = out.cells
    cx, cy = to_rd(cell.lon, cell.lat)
    assert abs((cx % 150) - 75) < 1.0
    assert abs((cy % 150) - 75) < 1.0
    x, y = to_rd(lon, lat)
    assert abs(cx - x) <= 76
    assert abs(cy - y) <= 76


def test_cells_below_the_address_minimum_are_suppressed():
    points = [blur.ExactPoint(*POINT, "brand", 1), blur.ExactPoint(*POINT, "overlast", 1)]
    col, row = blur.cell_indices([POINT[0]], [POINT[1]], 150)
    key = (int(col[0]), int(row[0]))
    assert blur.blur_to_grid(points, Counter({key: 4}), cell_m=150, min_addresses=5).suppressed == 2
    # a cell without any register address is never published, whatever the minimum
    assert blur.blur_to_grid(points, Counter(), cell_m=150, min_addresses=1).suppressed == 2
    out = blur.blur_to_grid(points, Counter({key: 5}), cell_m=150, min_addresses=5)
    assert out.suppressed == 0
    assert out.cells[0].count == 2
    assert out.cells[0].categories == {"brand": 1, "overlast": 1}
    assert len(out.cells[0].ring) == 5
    assert out.cells[0].ring[0] == out.cells[0].ring[-1]


def test_counts_by_area_and_cutoff():
    points = [blur.ExactPoint(*POINT, "brand", 1), blur.ExactPoint(*POINT, "brand", None)]
    assert blur.counts_by_area(points) == {1: Counter({"brand": 1}), None: Counter({"brand": 1})}
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)  # 13:00 in Amsterdam
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert blur.public_cutoff(now, 24, amsterdam) == datetime(2026, 2, 27, 23, tzinfo=UTC)  # 28 Feb, 00:00 local
    assert blur.last_public_day(blur.public_cutoff(now, 24, amsterdam), amsterdam) == date(2026, 2, 27)


@pytest.fixture
def host_in_amsterdam(monkeypatch):
    """The process's local zone is not UTC (CI's is): `astimezone()` without a zone would then give
    local time, which SQLite compares as text with the stored UTC times."""
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    host_time.tzset()
    yield
    monkeypatch.undo()
    host_time.tzset()


def test_cutoff_and_period_start_are_utc_whatever_the_host_zone(host_in_amsterdam):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    amsterdam = ZoneInfo("Europe/Amsterdam")
    cutoff = blur.public_cutoff(now, 24, amsterdam)
    start = blur.period_start(cutoff, 7, amsterdam)
    assert datetime(2026, 3, 1, 12).astimezone().utcoffset() == timedelta(hours=1)  # the fixture took effect
    assert cutoff.utcoffset() == timedelta(0)
    assert start.utcoffset() == timedelta(0)
    assert cutoff.isoformat() == "2026-02-27T23:00:00+00:00"  # 28 Feb, 00:00 local
    assert start.isoformat() == "2026-02-20T23:00:00+00:00"  # 7 whole local days before


def test_address_counts():
    counts = blur.address_counts([POINT[0]] * 3, [POINT[1]] * 3, 150)
    assert sum(counts.values()) == 3
    assert len(counts) == 1
    assert blur.address_counts([], [], 150) == Counter()


def test_the_drawn_ring_is_the_cells_square_on_the_national_grid():
    """The map draws a cell where its counts are: the ring's corners are the cell's RD corners."""
    cols, rows = blur.cell_indices([POINT[0]], [POINT[1]], 150)
    col, row = int(cols[0]), int(rows[0])
    ring = blur.cell_ring(col, row, 150)
    corners = [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1), (col, row)]
    assert len(ring) == len(corners)
    for (lon, lat), (c, r) in zip(ring, corners, strict=True):
        x, y = to_rd(lon, lat)
        # 5 decimals of a degree: under a metre here
        assert abs(x - c * 150) < 1.5, (lon, lat)
        assert abs(y - r * 150) < 1.5, (lon, lat)
    # a 300 m grid: the same corner rule, twice the size
    (lon, lat) = blur.cell_ring(col // 2, row // 2, 300)[2]
    x, y = to_rd(lon, lat)
    assert abs(x - (col // 2 + 1) * 300) < 1.5
    assert abs(y - (row // 2 + 1) * 300) < 1.5
