"""Split proposal: cut a group's area into two parts with about the same number of members.

The cut is a straight line. For each of a set of directions (every 5°) the line sits halfway
between the two middle members along that direction, which balances the counts and keeps the
line as far from houses as the data allows ("street-free" in the absence of a street network).
The direction chosen has the smallest imbalance; ties go to the shortest cut inside the area,
where every metre of empty space between the two middle members (up to 100 m) counts as two
metres less cut, so a line through an empty strip beats a slightly shorter one past front doors.
Metric work happens in RD New; the cut is applied to the original lon/lat polygon so the outer
edges stay exactly what they were.
Without enough members (fewer than 2) the area is cut in two halves of equal surface.

The result feeds the normal area import: :func:`proposal_collection` returns a GeoJSON
FeatureCollection of all current areas with the group's area replaced by the two parts, the
second part going to a new group "<group> 2".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping, shape

from buurt.exceptions import UserError
from buurt.geo.coords import from_rd, to_rd
from buurt.geo.polygons import area_m2, to_rd_geometry

ANGLES = tuple(range(0, 180, 5))


class SplitImpossible(UserError):
    """The area cannot be cut in two (``message`` in Dutch)."""


@dataclass(frozen=True, slots=True)
class SplitResult:
    """Two parts (lon/lat) and how many of the given points fall in each."""

    part_a: Polygon | MultiPolygon
    part_b: Polygon | MultiPolygon
    count_a: int
    count_b: int
    angle_deg: int
    cut_length_m: float
    gap_m: float
    by_surface: bool = False

    @property
    def imbalance(self) -> int:
        return abs(self.count_a - self.count_b)


def halfplane_corners(c: float, theta: float, reach: float, centre: tuple[float, float]) -> list[tuple[float, float]]:
    """Corners (RD) of the half-plane {p : p·d < c}, d = direction theta, around ``centre``."""
    dx, dy = math.cos(theta), math.sin(theta)
    px, py = -dy, dx
    s = centre[0] * px + centre[1] * py  # where along the cut line the area lies
    bx, by = c * dx + s * px, c * dy + s * py
    return [
        (bx + reach * px, by + reach * py),
        (bx - reach * px, by - reach * py),
        (bx - reach * px - reach * dx, by - reach * py - reach * dy),
        (bx + reach * px - reach * dx, by + reach * py - reach * dy),
    ]


def halfplane_lonlat(c: float, theta: float, reach: float, centre: tuple[float, float]) -> Polygon:
    """The half-plane as a polygon in lon/lat (its cut edge densified so it stays straight in RD)."""
    corners = halfplane_corners(c, theta, reach, centre)
    # densify the cut edge so it stays straight in RD after mapping to lon/lat
    edge = [
        (corners[0][0] + (corners[1][0] - corners[0][0]) * t, corners[0][1] + (corners[1][1] - corners[0][1]) * t)
        for t in np.linspace(0, 1, 41)
    ]
    ring = [*edge, corners[2], corners[3], edge[0]]
    lon, lat = from_rd(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
    return Polygon(zip(lon, lat, strict=True))


def _polygonal(geom) -> Polygon | MultiPolygon | None:
    if isinstance(geom, Polygon | MultiPolygon):
        return None if geom.is_empty else geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts) if parts else None


def _cut(area: Polygon | MultiPolygon, c: float, theta: float, reach: float, centre: tuple[float, float]):
    half = halfplane_lonlat(c, theta, reach, centre)
    a = _polygonal(shapely.intersection(area, half))
    b = _polygonal(shapely.difference(area, half))
    return a, b


def _by_surface(area, rd_area, theta, proj_min, proj_max, reach, centre) -> tuple[float, Polygon, Polygon] | None:
    """Bisection on the cut position so both parts have the same surface."""
    total = rd_area.area
    lo, hi = proj_min, proj_max
    for _ in range(40):
        mid = (lo + hi) / 2
        half = Polygon(halfplane_corners(mid, theta, reach, centre))
        if shapely.intersection(rd_area, half).area < total / 2:
            lo = mid
        else:
            hi = mid
    c = (lo + hi) / 2
    a, b = _cut(area, c, theta, reach, centre)
    if a is None or b is None:
        return None
    return c, a, b


def propose_split(
    area: Polygon | MultiPolygon,
    lats: Sequence[float],
    lons: Sequence[float],
    angles: Sequence[int] = ANGLES,
    *,
    rounded: bool = True,
) -> SplitResult:
    """The most balanced straight cut of ``area`` (lon/lat) for the given member points."""
    if area.is_empty or area_m2(area) < 100:
        raise SplitImpossible("Dit gebied is te klein om te splitsen.")
    rd_area = to_rd_geometry(area)
    minx, miny, maxx, maxy = rd_area.bounds
    reach = 4 * math.hypot(maxx - minx, maxy - miny) + 100
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if len(lat):
        inside = shapely.intersects_xy(area, lon, lat)
        lat, lon = lat[inside], lon[inside]
    x, y = (np.asarray(v) for v in to_rd(lon, lat)) if len(lat) else (np.empty(0), np.empty(0))
    ring = np.asarray(shapely.get_coordinates(rd_area))
    centre = (float(rd_area.centroid.x), float(rd_area.centroid.y))

    best: tuple | None = None
    for angle in angles:
        theta = math.radians(angle)
        dx, dy = math.cos(theta), math.sin(theta)
        ring_proj = ring[:, 0] * dx + ring[:, 1] * dy
        pmin, pmax = float(ring_proj.min()), float(ring_proj.max())
        if len(x) >= 2:
            proj = np.sort(x * dx + y * dy)
            k = len(proj) // 2
            c = float(proj[k - 1] + proj[k]) / 2
            gap = float(proj[k] - proj[k - 1])
            if not pmin < c < pmax:
                continue
            a, b = _cut(area, c, theta, reach, centre)
            by_surface = False
        else:
            found = _by_surface(area, rd_area, theta, pmin, pmax, reach, centre)
            if found is None:
                continue
            c, a, b = found
            gap = 0.0
            by_surface = True
        if a is None or b is None:
            continue
        count_a = int(np.count_nonzero(shapely.intersects_xy(a, lon, lat))) if len(lat) else 0
        count_b = len(lat) - count_a
        corners = halfplane_corners(c, theta, reach, centre)
        line = LineString([corners[0], corners[1]])
        cut_length = float(shapely.intersection(line, rd_area).length)
        # room between the middle members (up to 100 m) is worth twice its length in cut
        key = (abs(count_a - count_b), round(cut_length - 2 * min(gap, 100.0)), -gap)
        if best is None or key < best[0]:
            best = (key, SplitResult(a, b, count_a, count_b, angle, cut_length, gap, by_surface))
    if best is None:
        raise SplitImpossible("Er is geen rechte lijn gevonden die dit gebied in twee delen snijdt.")
    result = best[1]
    finish = _rounded if rounded else shapely.orient_polygons
    return SplitResult(
        finish(result.part_a),
        finish(result.part_b),
        result.count_a,
        result.count_b,
        result.angle_deg,
        result.cut_length_m,
        result.gap_m,
        result.by_surface,
    )


def _rounded(geometry):
    """6 decimals (about 0.1 m), like the area export, so the parts meet their neighbours exactly."""
    rounded = shapely.make_valid(shapely.transform(geometry, lambda coords: np.round(coords, 6)))
    return shapely.orient_polygons(_polygonal(rounded) or geometry)


def slugify(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70] or "groep"


# --- against the database ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupSplit:
    """A split proposal for one group, with the collection to feed into the area import."""

    group_id: int
    group_name: str
    new_group_name: str
    result: SplitResult
    collection: dict
    members_counted: int


def split_proposal(group) -> GroupSplit:
    """Propose a split of ``group``'s current area by its members, pending sign-ups and waitlist."""
    from buurt.areas.files import current_collection
    from buurt.extensions import db
    from buurt.models import Area, BoundaryGeneration, Group, Resident, ResidentStatus

    areas = list(
        db.session.scalars(
            db.select(Area)
            .join(BoundaryGeneration)
            .where(Area.group_id == group.id, BoundaryGeneration.is_current.is_(True))
            .order_by(Area.sort_order)
        )
    )
    if not areas:
        raise SplitImpossible("Deze groep heeft geen gebied in de huidige indeling.")
    collection = current_collection(group.neighbourhood)  # rounded like every export, so edges stay shared
    mine = [shape(f["geometry"]) for f in collection["features"] if f["properties"].get("groep") == group.slug]
    geometry = shapely.union_all(mine or [shape(a.geometry) for a in areas])
    counted = (ResidentStatus.ADDED, ResidentStatus.PENDING, ResidentStatus.WAITLIST)
    rows = db.session.execute(
        db.select(Resident.lat, Resident.lon).where(
            Resident.group_id == group.id, Resident.status.in_(counted), Resident.lat.is_not(None)
        )
    ).all()
    result = propose_split(geometry, [r[0] for r in rows], [r[1] for r in rows], rounded=False)

    slugs = set(db.session.scalars(db.select(Group.slug).filter_by(neighbourhood_id=group.neighbourhood_id)))
    new_slug, n = f"{group.slug}-2", 2
    while new_slug in slugs:
        n += 1
        new_slug = f"{group.slug}-{n}"
    new_name = f"{group.name} 2" if n == 2 else f"{group.name} {n}"

    first = areas[0]
    households = sum(a.households or 0 for a in areas) if any(a.households for a in areas) else None
    share_a = area_m2(result.part_a) / max(area_m2(geometry), 1.0)
    kept = [f for f in collection["features"] if f["properties"].get("groep") != group.slug]
    # Neighbours get the vertices where the cut meets their edge, so after rounding the edges still match.
    cut_vertices = shapely.union(shapely.boundary(result.part_a), shapely.boundary(result.part_b))
    for feature in kept:
        neighbour = shape(feature["geometry"])
        if neighbour.distance(geometry) < 1e-5:
            feature["geometry"] = mapping(_rounded(shapely.snap(neighbour, cut_vertices, 1e-6)))
    part_a = {
        "type": "Feature",
        "id": first.key,
        "properties": {
            "naam": first.name,
            "groep": group.slug,
            **(
                {"huishoudens": round(households * share_a), "huishoudens_bron": "geschat naar oppervlakte"}
                if households
                else {}
            ),
        },
        "geometry": mapping(_rounded(result.part_a)),
    }
    part_b = {
        "type": "Feature",
        "id": f"{first.key}-{n}",
        "properties": {
            "naam": f"{first.name} {n}",
            "groep": new_slug,
            "groepsnaam": new_name,
            **(
                {
                    "huishoudens": households - round(households * share_a),
                    "huishoudens_bron": "geschat naar oppervlakte",
                }
                if households
                else {}
            ),
        },
        "geometry": mapping(_rounded(result.part_b)),
    }
    position = next((i for i, f in enumerate(collection["features"]) if f["properties"].get("groep") == group.slug), 0)
    features = [*kept[:position], part_a, part_b, *kept[position:]]
    return GroupSplit(
        group.id,
        group.name,
        new_name,
        result,
        {"type": "FeatureCollection", "features": json.loads(json.dumps(features))},
        len(rows),
    )
