"""Cut a neighbourhood made of CBS buurten into N groups of about equal households (issue 18).

Pure (shapely, numpy, buurt.geo): no Flask, no database. Geometries are lon/lat; surfaces and
cuts are measured in RD New metres.

Recursive bisection: a region that must hold ``k`` groups is cut in two, one side for ``k // 2``
groups and the other for the rest, until every region holds one group. Each cut is

1. **along buurt borders** when some set of the region's pieces (whole buurten, or the parts of
   buurten an earlier cut left) and the rest are both one connected piece and give each of their
   groups households within :data:`BALANCE_SHARE` of the ideal; the best balanced such set wins;
2. otherwise **a straight line**: for every direction (every 5°) the position where the
   households on one side are the target share (households spread evenly over each buurt's
   surface; bisection on the position); the direction with the shortest cut inside the region wins
   (the same rule as buurt.areas.split without addresses).

Buurten whose households CBS keeps secret weigh nothing; when no buurt has a figure, surface counts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

from buurt.areas.split import halfplane_corners, halfplane_lonlat
from buurt.geo.polygons import to_rd_geometry

#: a side of a cut along buurt borders may differ this much (share of the ideal per group) from it
BALANCE_SHARE = 0.2
#: directions tried for a straight cut (degrees): every 15°, then every 5° around the best two
COARSE_ANGLES = tuple(range(0, 180, 15))
FINE_STEP = 5
#: at most this many pieces are tried in every combination for a cut along buurt borders
MAX_PIECES_FOR_BORDERS = 14
#: pieces of a connected side may be apart by rounding only (m²)
_LOOSE_M2 = 1.0
#: the bisection for a cut's position stops at this width (m): 20-odd halvings over Katwijk, not 36
_CUT_PRECISION_M = 0.05


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole CBS buurt or a part of one: lon/lat and RD New geometry, households per m²."""

    code: str
    geometry: Polygon | MultiPolygon
    geometry_rd: Polygon | MultiPolygon
    density: float  # households per m² of the whole buurt (0 when unknown)
    whole: bool

    @property
    def weight(self) -> float:
        return self.density * float(self.geometry_rd.area)


def pieces_from(buurten: Sequence[tuple[str, Polygon | MultiPolygon, int | None]]) -> list[Piece]:
    """Pieces for whole buurten given as (code, lon/lat geometry, households or None)."""
    rds = [to_rd_geometry(geometry) for _, geometry, _ in buurten]
    by_surface = not any(households for _, _, households in buurten)
    pieces = []
    for (code, geometry, households), rd in zip(buurten, rds, strict=True):
        area = float(rd.area)
        density = 1.0 if by_surface else ((households or 0) / area if area > 0 else 0.0)
        pieces.append(Piece(code, geometry, rd, density, True))
    return pieces


def cut_into(pieces: list[Piece], n: int) -> list[list[Piece]]:
    """``n`` regions (lists of pieces) of about equal weight, in a stable order."""
    if n < 1:
        raise ValueError("n must be at least 1")
    return _split(pieces, n)


def _split(region: list[Piece], k: int) -> list[list[Piece]]:
    if k == 1:
        return [region]
    k1 = k // 2
    total = sum(p.weight for p in region)
    sides = _along_borders(region, k1, k, total) or _straight(region, k1 / k, total)
    left, right = sides
    return _split(left, k1) + _split(right, k - k1)


def _connected(geometries_rd: Sequence) -> bool:
    union = shapely.union_all(list(geometries_rd))
    parts = [p for p in shapely.get_parts(union) if p.area > _LOOSE_M2]
    return len(parts) == 1


def _along_borders(region: list[Piece], k1: int, k: int, total: float):
    """The best balanced split of the pieces into two connected sides, or None."""
    n = len(region)
    if n < 2 or n > MAX_PIECES_FOR_BORDERS or total <= 0:
        return None
    ideal = total / k
    weights = np.array([p.weight for p in region])
    candidates = []
    for size in range(1, n):
        for chosen in itertools.combinations(range(n), size):
            if 0 not in chosen:  # each split once: the side holding piece 0 is the "left" or "right"
                continue
            w = float(weights[list(chosen)].sum())
            for left_is_chosen in (True, False):
                wl = w if left_is_chosen else total - w
                error = max(abs(wl / k1 - ideal), abs((total - wl) / (k - k1) - ideal)) / ideal
                if error <= BALANCE_SHARE:
                    candidates.append((error, chosen, left_is_chosen))
    for _error, chosen, left_is_chosen in sorted(candidates, key=lambda c: (c[0], c[1], not c[2])):
        inside = [region[i] for i in chosen]
        outside = [p for i, p in enumerate(region) if i not in chosen]
        if _connected([p.geometry_rd for p in inside]) and _connected([p.geometry_rd for p in outside]):
            return (inside, outside) if left_is_chosen else (outside, inside)
    return None


def _straight(region: list[Piece], share: float, total: float):
    """Cut the region with a straight line so one side holds ``share`` of the weight."""
    rds = np.array([p.geometry_rd for p in region], dtype=object)
    densities = np.array([p.density for p in region])
    if total <= 0:  # nothing known here (secret buurten only): cut by surface
        densities = np.ones(len(region))
        total = float(sum(shapely.area(rds)))
    union_rd = shapely.union_all(rds)
    minx, miny, maxx, maxy = union_rd.bounds
    reach = 4 * math.hypot(maxx - minx, maxy - miny) + 100
    centre = (float(union_rd.centroid.x), float(union_rd.centroid.y))
    ring = np.asarray(shapely.get_coordinates(union_rd))
    target = share * total

    def cut_at(angle: float) -> tuple[float, list]:
        """The cut in direction ``angle`` that balances the weight: its length inside the region, its corners."""
        theta = math.radians(angle)
        proj = ring[:, 0] * math.cos(theta) + ring[:, 1] * math.sin(theta)
        lo, hi = float(proj.min()), float(proj.max())
        while hi - lo > _CUT_PRECISION_M:
            mid = (lo + hi) / 2
            half = Polygon(halfplane_corners(mid, theta, reach, centre))
            if float((shapely.area(shapely.intersection(rds, half)) * densities).sum()) < target:
                lo = mid
            else:
                hi = mid
        c = (lo + hi) / 2
        corners = halfplane_corners(c, theta, reach, centre)
        return float(shapely.intersection(LineString(corners[:2]), union_rd).length), (c, theta)

    tried = {angle: cut_at(angle) for angle in COARSE_ANGLES}
    for start in sorted(tried, key=lambda a: tried[a][0])[:2]:  # refine around the two shortest
        for angle in (start - 2 * FINE_STEP, start - FINE_STEP, start + FINE_STEP, start + 2 * FINE_STEP):
            angle %= 180
            if angle not in tried:
                tried[angle] = cut_at(angle)
    best = None
    for angle in sorted(tried):  # the shortest cut; ties to the smallest angle (deterministic)
        length, cut = tried[angle]
        if best is None or length < best[0] - 1e-6:
            best = (length, cut)
    assert best is not None
    half = halfplane_lonlat(*best[1], reach, centre)
    left, right = [], []
    for piece in region:
        parts = []
        for cut in (shapely.intersection(piece.geometry, half), shapely.difference(piece.geometry, half)):
            part = _polygonal(cut)
            part_rd = to_rd_geometry(part) if part is not None else None
            parts.append((part, part_rd) if part_rd is not None and part_rd.area > _LOOSE_M2 else None)
        if parts[0] is None or parts[1] is None:  # the line passes this piece by: it stays as it was
            (left if parts[0] is not None else right).append(piece)
            continue
        for side, (part, part_rd) in zip((left, right), parts, strict=True):
            side.append(Piece(piece.code, part, part_rd, piece.density, False))
    return left, right


def _polygonal(geometry) -> Polygon | MultiPolygon | None:
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)
