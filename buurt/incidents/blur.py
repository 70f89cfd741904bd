"""The public picture of incidents: pure functions that blur before anything leaves the server.

Exact positions go in; out come only grid cells (fixed squares of ``cell_m`` metres in RD New,
aligned to the national grid so a cell never depends on where an incident lies inside it) with
counts, and counts per area and category. A cell is published only when it holds at least
``min_addresses`` register addresses, so a cell never points at one or two houses; incidents in
other cells stay in the area counts only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from buurt.geo.coords import from_rd, to_rd

COORD_DECIMALS = 5  # cell corners/centres are grid-aligned; this only trims float noise


@dataclass(frozen=True, slots=True)
class ExactPoint:
    """One incident as the server knows it (never published as such)."""

    lat: float
    lon: float
    category: str
    area_id: int | None


@dataclass(frozen=True, slots=True)
class PublicCell:
    """A published grid cell: its centre, corner ring (lon, lat) and counts. Nothing else."""

    lat: float
    lon: float
    ring: tuple[tuple[float, float], ...]
    count: int
    categories: dict[str, int]


@dataclass(frozen=True, slots=True)
class Blurred:
    cells: tuple[PublicCell, ...]
    suppressed: int  # incidents counted in their area but not on the map


def public_cutoff(now: datetime, delay_hours: float) -> datetime:
    """Incidents that happened (and were reported) after this moment are not public yet."""
    return now - timedelta(hours=delay_hours)


def cell_indices(lats: Sequence[float], lons: Sequence[float], cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid cell (column, row) in RD New for each point."""
    if not len(lats):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    x, y = to_rd(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return np.floor(np.asarray(x) / cell_m).astype(np.int64), np.floor(np.asarray(y) / cell_m).astype(np.int64)


def cell_ring(col: int, row: int, cell_m: float) -> tuple[tuple[float, float], ...]:
    """The cell's corners as a closed (lon, lat) ring."""
    xs = np.array([col, col + 1, col + 1, col, col], dtype=float) * cell_m
    ys = np.array([row, row, row + 1, row + 1, row], dtype=float) * cell_m
    lons, lats = from_rd(xs, ys)
    return tuple(
        (round(float(lo), COORD_DECIMALS), round(float(la), COORD_DECIMALS)) for lo, la in zip(lons, lats, strict=True)
    )


def cell_centre(col: int, row: int, cell_m: float) -> tuple[float, float]:
    """The cell's centre as (lat, lon)."""
    lon, lat = from_rd((col + 0.5) * cell_m, (row + 0.5) * cell_m)
    return round(float(lat), COORD_DECIMALS), round(float(lon), COORD_DECIMALS)


def address_counts(lats: Sequence[float], lons: Sequence[float], cell_m: float) -> Counter:
    """Register addresses per grid cell."""
    cols, rows = cell_indices(lats, lons, cell_m)
    return Counter(zip(cols.tolist(), rows.tolist(), strict=True))


def blur_to_grid(points: Sequence[ExactPoint], addresses: Counter, *, cell_m: float, min_addresses: int) -> Blurred:
    """Cells with their counts; cells with fewer than min_addresses addresses are left out (and counted)."""
    cols, rows = cell_indices([p.lat for p in points], [p.lon for p in points], cell_m)
    per_cell: dict[tuple[int, int], Counter] = {}
    for point, col, row in zip(points, cols.tolist(), rows.tolist(), strict=True):
        per_cell.setdefault((col, row), Counter())[point.category] += 1
    cells, suppressed = [], 0
    for (col, row), categories in sorted(per_cell.items()):
        total = sum(categories.values())
        if addresses.get((col, row), 0) < min_addresses:
            suppressed += total
            continue
        lat, lon = cell_centre(col, row, cell_m)
        cells.append(PublicCell(lat, lon, cell_ring(col, row, cell_m), total, dict(sorted(categories.items()))))
    return Blurred(tuple(cells), suppressed)


def counts_by_area(points: Iterable[ExactPoint]) -> dict[int | None, Counter]:
    """Incidents per area id (None: outside every area) and category."""
    result: dict[int | None, Counter] = {}
    for p in points:
        result.setdefault(p.area_id, Counter())[p.category] += 1
    return result
