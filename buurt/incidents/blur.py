"""The public picture of incidents: pure functions that blur before anything leaves the server.

Exact positions go in; out come only grid cells (fixed squares of ``cell_m`` metres in RD New,
aligned to the national grid so a cell never depends on where an incident lies inside it) with
counts, and counts per area and category. A cell is published only when it holds at least
``min_addresses`` register addresses, so a cell never points at one or two houses; incidents in
other cells stay in the area counts only.

Time is blurred too, to whole local days (public_cutoff, period_start): the picture changes only at
local midnight, so polling it never tells the hour or minute at which an incident happened or was
reported (a burglary at 03:12 in a cell of five addresses would otherwise point at a house).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

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


def public_cutoff(now: datetime, delay_hours: float, zone: tzinfo) -> datetime:
    """The first moment whose incidents are not public yet, on `now`'s local day (a local midnight, in UTC).

    Whole local days, so the answer is the same all day long: an incident is public once the delay
    has passed since the END of the local day on which it happened and was reported (the later of
    the two), counted at local midnight. That is the first local midnight at least `delay_hours`
    after the incident, rounded to its whole day: equal to it on ordinary days, a day later only for
    the day before a change to summer time (a 23-hour day), where counting from the minute would
    split that day by the hour.
    """
    start_of_today = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone).astimezone(UTC)
    latest_end = (start_of_today - timedelta(hours=delay_hours)).astimezone(zone)  # absolute hours (UTC), not wall
    return datetime.combine(latest_end.date(), time.min, tzinfo=zone).astimezone(UTC)


def period_start(cutoff: datetime, days: int, zone: tzinfo) -> datetime:
    """The local midnight `days` whole local days before `cutoff` (in UTC): a period is whole days too."""
    first = cutoff.astimezone(zone).date() - timedelta(days=days)
    return datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)


def last_public_day(cutoff: datetime, zone: tzinfo) -> date:
    """The last local day whose incidents are public at `cutoff` (what the picture says it runs to)."""
    return cutoff.astimezone(zone).date() - timedelta(days=1)


def cell_indices(lats: Sequence[float], lons: Sequence[float], cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid cell (column, row) in RD New for each point."""
    if not len(lats):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    x, y = to_rd(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return np.floor(np.asarray(x) / cell_m).astype(np.int64), np.floor(np.asarray(y) / cell_m).astype(np.int64)


def cell_ring(col: int, row: int, cell_m: float) -> tuple[tuple[float, float], ...]:
    """The cell's corners as a closed (lon, lat) ring."""
    xs = np.array([col, col + 1, col + 1, col, col]) * cell_m
    ys = np.array([row, row, row + 1, row + 1, row]) * cell_m
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
