"""Areas as one coverage: edits that keep the tiling exact, and cleaning of small overlaps and gaps.

A neighbourhood's areas must tile it: every point in exactly one area, no slivers, no gaps. Edited
polygon by polygon (geojson.io, QGIS) that breaks on every shared edge: one moved vertex opens a gap
on one side and an overlap on the other, and a corner shared by three areas is a T-junction in at
least one of them. So nothing here edits a polygon on its own. Every operation works on the
*faces* of the arrangement: all area boundaries (and the drawn line, and the outline) are noded
together on a fixed grid (GRID_DEG) and polygonized; each face belongs to exactly one area; an
area is the union of its faces. Shared edges are then the same edges in both areas, by
construction, and the areas' union is the union they had before.

* :func:`move_border`: two neighbouring areas and a line from edge to edge of their union: the
  union is cut by the line and each piece goes to the area it overlapped most.
* :func:`split_area`: one area cut by a line into two; the new part gets a new key.
* :func:`merge_areas`: two neighbouring areas become one.
* :func:`clean_coverage`: an uploaded set of areas with overlaps and gaps up to a tolerance given
  to a neighbour along the shared border ("rechtgetrokken", each fix reported); larger ones
  returned as problems with their place and shape, for a map.

Pure (no Flask, no database); geometries are shapely, lon/lat (WGS84); surfaces and distances in
RD New metres. Refusals are :class:`EditRefused` with a Dutch message that says what to do.

Choices made here (tested in tests/geo/test_topology.py):

* The grid is fine (1e-10 degree, about 0.01 mm), not the 1 cm of ``polygons.GRID_DEG``: where a
  drawn line meets a third area's edge, the crossing becomes a vertex of that area too (no
  T-junction), and snapping that vertex to the grid bends the edge by at most half a cell. On a
  1 cm grid that moved up to ~1 m² of a 500 m edge to another area; on this grid it is below
  0.002 m², so areas an edit does not touch keep their surface.
* Rounding noise is not a fix: a face of less than :data:`NOISE_M2` or thinner on average than
  :data:`NOISE_WIDTH_M` (what a 1 cm grid would have swallowed; the default areas of Rijnsoever
  have slivers of 0.6 m² that are a few millimetres wide where the split of Rijnsoever-Midden
  meets its neighbours) is given to its neighbour without a report, in edits and in cleaning alike.
* An edit that would leave an area in more loose pieces than it had is refused: a group area in
  two parts is almost always a drawing mistake. So is a part or an area of less than
  :data:`MIN_PART_M2`.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from buurt.exceptions import UserError
from buurt.geo.area_problems import AreaProblem, latlon_text, m2_text
from buurt.geo.coords import from_rd, in_netherlands, looks_swapped, rd_transform, to_rd

__all__ = [
    "GRID_DEG",
    "MIN_PART_M2",
    "NOISE_M2",
    "NOISE_WIDTH_M",
    "Cleaned",
    "EditRefused",
    "Fix",
    "clean_coverage",
    "merge_areas",
    "move_border",
    "neighbours",
    "snap_line",
    "split_area",
    "tiling_report",
]

Geom = Polygon | MultiPolygon

#: the grid every edit and every cleaning snaps to (degrees; about 0.01 mm in Katwijk)
GRID_DEG = 1e-10
#: faces smaller than this (m²) are rounding noise: resolved without a Fix
NOISE_M2 = 0.01
#: faces thinner than this on average (2 × surface / perimeter, metres) are rounding noise too
NOISE_WIDTH_M = 0.01
#: an edit refuses to leave an area (or a new part) smaller than this (m²)
MIN_PART_M2 = 1.0
#: a snapped line end is carried this far across the edge (metres), for a clean crossing
SNAP_BEYOND_M = 0.5
#: NOISE_WIDTH_M in degrees (at most; a degree of longitude is 68 km here, of latitude 111 km)
_NOISE_DEG = NOISE_WIDTH_M / 111_320

_EXAMPLE_POINT = "52.21012, 4.42031"
_FAILED = (
    "Deze bewerking gaf geen nette indeling; er is niets veranderd. Teken de lijn iets anders, "
    "bijvoorbeeld met minder punten vlak bij elkaar of niet precies over een bestaande hoek."
)

T = TypeVar("T")


class EditRefused(UserError):
    """An edit that cannot give a valid tiling; ``message`` (Dutch) says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class Fix:
    """One piece resolved by :func:`clean_coverage` ("rechtgetrokken").

    ``kind``: "overlap" (in two or more areas), "gap" (in none, inside the outline or between
    areas) or "outside" (an area's piece outside the outline, cut off). ``keys``: the areas
    involved; ``given_to``: the area that got the piece (None when cut off).
    """

    kind: str
    area_m2: float
    lat: float
    lon: float
    keys: tuple[str, ...]
    given_to: str | None

    def message(self, names: Mapping[str, str] | None = None) -> str:
        """One Dutch sentence for the preview (``names``: key -> area name)."""
        label = _labeller(names)
        place = latlon_text(self.lat, self.lon)
        size = _m2_phrase(self.area_m2)
        if self.kind == "overlap":
            between = _and_list([label(key) for key in self.keys])
            owner = label(self.given_to)
            return f"Rechtgetrokken: overlap van {size} tussen {between} (bij {place}) hoort nu bij {owner}."
        if self.kind == "gap":
            return f"Rechtgetrokken: gat van {size} (bij {place}) hoort nu bij {label(self.given_to)}."
        owners = _and_list([label(key) for key in self.keys])
        return f"Rechtgetrokken: {size} van {owners} buiten de buurtgrens (bij {place}) weggesneden."


@dataclass(slots=True)
class Cleaned:
    """The result of :func:`clean_coverage`: the areas (same keys, same order), what was fixed, what was not."""

    geometries: dict[str, Geom]
    fixes: list[Fix] = field(default_factory=list)
    problems: list[AreaProblem] = field(default_factory=list)  # with lat/lon and geometry (GeoJSON) each


# ---------------------------------------------------------------------------------------------
# Public API


def neighbours(geometries: Mapping[str, Geom], a: str, b: str) -> bool:
    """Whether areas ``a`` and ``b`` share a border of some length (not only a corner)."""
    if a == b or a not in geometries or b not in geometries:
        return False
    try:
        geoms = _prepared(geometries)
        return _shared_border_m(geoms[a], geoms[b]) > 0
    except (GEOSException, ValueError):
        return False


def snap_line(line: LineString, region: Geom, snap_m: float) -> LineString:
    """``line`` with each end that lies inside ``region`` within ``snap_m`` metres of its outer edge
    carried onto (just across) that edge, so the line cuts ``region`` from edge to edge.

    Ends outside the region are kept; EditRefused when an end stays inside, further than ``snap_m``.
    (The edge is the region's whole boundary, a hole's ring included. The new end is the nearest
    edge point and :data:`SNAP_BEYOND_M` beyond it, added after the drawn end.)
    """
    line = _clean_line(line)
    region = _polygonal(region)
    if region.is_empty:
        return line
    coords = [tuple(map(float, xy)) for xy in shapely.get_coordinates(line)]
    boundary_rd = _to_rd(shapely.boundary(region))
    too_far: list[tuple[str, float]] = []
    ends: dict[int, tuple[float, float]] = {}  # index of the end -> the point across the edge
    for index, word in ((0, "het begin"), (len(coords) - 1, "het eind")):
        lon, lat = coords[index]
        if not shapely.intersects_xy(region, lon, lat):
            continue
        end_rd = Point(to_rd(lon, lat))
        distance = float(shapely.distance(boundary_rd, end_rd))
        if not math.isfinite(distance):
            raise EditRefused(_FAILED)
        if distance > snap_m:
            too_far.append((word, distance))
            continue
        neighbour = coords[1] if index == 0 else coords[-2]
        ends[index] = _across_edge(region, boundary_rd, end_rd, distance, Point(to_rd(*neighbour)))
    if too_far:
        where = " en ".join(
            f"{word} ligt {distance:.0f} m" if i == 0 else f"{word} {distance:.0f} m"
            for i, (word, distance) in enumerate(too_far)
        )
        raise EditRefused(
            f"De lijn moet van rand tot rand door de gebieden lopen; {where} binnen de rand. "
            f"Trek de lijn door tot over de rand, of tot binnen {snap_m:.0f} m ervan."
        )
    first = [ends[0]] if 0 in ends else []
    last = [ends[len(coords) - 1]] if len(coords) - 1 in ends else []
    return LineString(first + coords + last)


def move_border(
    geometries: Mapping[str, Geom],
    a: str,
    b: str,
    line: LineString,
    *,
    snap_m: float,
    names: Mapping[str, str] | None = None,
) -> dict[str, Geom]:
    """The areas with the border between neighbours ``a`` and ``b`` replaced by ``line``.

    The union of a and b is cut by the (snapped) line; each piece goes to the one of the two it
    overlapped most. Every other area keeps its surface (it may gain vertices where the line meets
    its edge, so no T-junction is left). EditRefused when a and b are no neighbours, the line does
    not cut their union from edge to edge, crosses itself, or leaves a or b without surface.
    (Also when a or b would fall apart in more loose pieces than it had. ``names``: key -> area
    name, for the messages.)
    """
    return _guarded(_move_border, geometries, a, b, line, snap_m=snap_m, names=names)


def split_area(
    geometries: Mapping[str, Geom],
    a: str,
    line: LineString,
    *,
    new_key: str,
    snap_m: float,
    names: Mapping[str, str] | None = None,
) -> dict[str, Geom]:
    """The areas with ``a`` cut in two by ``line``: ``a`` keeps the larger part, ``new_key`` gets the other.

    The new key is added after ``a`` (dict order). EditRefused when the line does not cut the area
    in exactly two parts from edge to edge, crosses itself, or ``new_key`` is taken.
    (For an area of several parts: exactly one part must be cut, in two.)
    """
    return _guarded(_split_area, geometries, a, line, new_key=new_key, snap_m=snap_m, names=names)


def merge_areas(
    geometries: Mapping[str, Geom], a: str, b: str, *, names: Mapping[str, str] | None = None
) -> dict[str, Geom]:
    """The areas with ``b`` merged into ``a`` (``b`` gone). EditRefused when they are no neighbours."""
    return _guarded(_merge_areas, geometries, a, b, names=names)


def clean_coverage(
    geometries: Mapping[str, Geom],
    outline: Geom | None = None,
    *,
    tolerance_m2: float,
    order: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Cleaned:
    """Make the areas one exact coverage: overlaps and gaps up to ``tolerance_m2`` (m², RD New)
    resolved, larger ones reported.

    All boundaries (and the outline's) are noded together and polygonized. A face in one area
    stays there. A face in several (an overlap) or in none (a gap between areas, or a strip of the
    outline no area covers) of at most ``tolerance_m2`` goes to the area it shares the longest
    border with (ties: the first in ``order``, default the mapping's order); a piece of an area
    outside the outline of at most ``tolerance_m2`` is cut off. Each such piece is a :class:`Fix`.
    Larger pieces are left as they are and returned as problems (codes "overlap", "gap",
    "uncovered", "outside_outline"; Dutch message with size and place, ``geometry`` set).
    T-junctions are resolved without a fix: the noding puts the shared vertex in every ring.

    Details: the tolerance applies to a connected piece (adjacent overlap faces together, adjacent
    gap faces together; outside the outline: one area's part of a piece). For an overlap, "the
    longest border" counts only the borders with the candidates' own (undisputed) surface. Noise
    (see :data:`NOISE_M2`, :data:`NOISE_WIDTH_M`) is resolved the same way but never reported, and
    a gap no area borders stays a problem. ``names`` (key -> area name) is for the messages; without
    it the keys are shown. Should the geometry engine fail, the areas come back as they are with one
    problem of code "clean_failed" (not a 500; the caller's own checks then apply).
    """
    try:
        return _clean_coverage(geometries, outline, tolerance_m2=tolerance_m2, order=order, names=names)
    except (GEOSException, ValueError, FloatingPointError, ZeroDivisionError):
        return Cleaned(
            dict(geometries),
            problems=[
                AreaProblem(
                    "clean_failed",
                    "De gebieden konden niet automatisch worden rechtgetrokken; ze worden gecontroleerd zoals ze "
                    "zijn. Leg gedeelde randen in beide gebieden op dezelfde plek.",
                )
            ],
        )


def _clean_coverage(
    geometries: Mapping[str, Geom],
    outline: Geom | None,
    *,
    tolerance_m2: float,
    order: Sequence[str] | None,
    names: Mapping[str, str] | None,
) -> Cleaned:
    keys = list(geometries)
    geoms = [_polygonal(geometries[key]) for key in keys]
    area_outline = _polygonal(outline) if outline is not None else None
    if area_outline is not None and area_outline.is_empty:
        area_outline = None
    rank = _ranks(keys, order)
    if area_outline is None:
        geoms = _snap_noise(geoms)
    else:
        area_outline, *geoms = _snap_noise([area_outline, *geoms], fixed=0)
    arrangement = _arrangement(geoms, outline=area_outline)
    settled = _settle(
        arrangement,
        rank,
        overlap_tol=tolerance_m2,
        gap_tol=tolerance_m2,
        outside_tol=tolerance_m2,
    )
    result = dict(zip(keys, _geometries(arrangement, settled.owners, len(keys)), strict=True))
    label = _labeller(names)
    fixes = [
        Fix(kind, m2, lat, lon, tuple(keys[i] for i in involved), None if to is None else keys[to])
        for kind, m2, lat, lon, involved, to in settled.fixes
    ]
    problems = [_problem(item, keys, label, tolerance_m2) for item in settled.problems]
    return Cleaned(result, fixes, problems)


def tiling_report(geometries: Mapping[str, Geom], outline: Geom | None = None) -> dict[str, float]:
    """Numbers that show whether the areas tile (for tests and benchmarks), all in m² (RD New):

    ``overlap_m2`` (sum of pairwise overlaps), ``gap_m2`` (holes in the union, also where parts
    touching in a point enclose them, and the outline's part no area covers), ``outside_m2`` (area
    parts outside the outline), ``invalid`` (count of invalid or non-polygonal geometries).
    """
    good = []
    invalid = 0
    for geom in geometries.values():
        if isinstance(geom, Polygon | MultiPolygon) and shapely.is_valid(geom):
            if not geom.is_empty:
                good.append(geom)
        else:
            invalid += 1
    report = {"overlap_m2": 0.0, "gap_m2": 0.0, "outside_m2": 0.0, "invalid": float(invalid)}
    if not good:
        if outline is not None:
            report["gap_m2"] = _m2(outline)
        return report
    array = np.array(good, dtype=object)
    left, right = shapely.STRtree(array).query(array, predicate="intersects")
    pairs = left < right
    if pairs.any():
        report["overlap_m2"] = float(_m2_many(shapely.intersection(array[left[pairs]], array[right[pairs]])).sum())
    union = shapely.union_all(array)
    # everything the union encloses: its holes, and places enclosed by parts that touch in points
    noded = shapely.union_all(shapely.get_parts(shapely.boundary(union)))
    shells = shapely.union_all(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    report["gap_m2"] = _m2(shapely.difference(shells, union))
    if outline is not None:
        report["gap_m2"] += _m2(shapely.difference(outline, shells))
        report["outside_m2"] = float(_m2_many(shapely.difference(array, outline)).sum())
    return report


# ---------------------------------------------------------------------------------------------
# Edits


def _guarded(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an edit; a geometry engine failure becomes a refusal, never a 500."""
    try:
        return function(*args, **kwargs)
    except (GEOSException, ValueError, FloatingPointError, ZeroDivisionError) as error:
        raise EditRefused(_FAILED) from error


def _move_border(
    geometries: Mapping[str, Geom],
    a: str,
    b: str,
    line: LineString,
    *,
    snap_m: float,
    names: Mapping[str, str] | None,
) -> dict[str, Geom]:
    label = _labeller(names)
    _require_keys(geometries, a, b, label=label)
    line = _clean_line(line)
    geoms = _prepared(geometries)
    if _shared_border_m(geoms[a], geoms[b]) <= 0:
        raise EditRefused(
            f"{label(a)} en {label(b)} grenzen niet aan elkaar, dus er is geen grens om te verleggen. "
            "Kies twee gebieden met een gedeelde grens."
        )
    region = _union([geoms[a], geoms[b]])
    line = _simple(snap_line(line, region, snap_m))
    if not shapely.intersects(line, region):
        raise EditRefused(
            f"De lijn loopt niet door {label(a)} en {label(b)}. Teken de nieuwe grens van rand tot rand "
            "door die twee gebieden."
        )
    pieces = _pieces(region, line)
    if len(pieces) < 2:
        raise EditRefused(
            f"De lijn snijdt {label(a)} en {label(b)} niet in stukken: ze moet van rand tot rand door de "
            "twee gebieden lopen. Trek de lijn aan beide kanten door tot over de buitenrand."
        )
    in_a = shapely.area(shapely.intersection(pieces, geoms[a]))
    in_b = shapely.area(shapely.intersection(pieces, geoms[b]))
    new_a = _union(list(pieces[in_a >= in_b]))
    new_b = _union(list(pieces[in_a < in_b]))
    for key, new in ((a, new_a), (b, new_b)):
        if _m2(new) < MIN_PART_M2:
            raise EditRefused(
                f"Met deze lijn houdt {label(key)} geen oppervlak over. Teken de grens zo dat beide "
                "gebieden een deel houden (of voeg ze samen)."
            )
    for key, new in ((a, new_a), (b, new_b)):
        _refuse_falling_apart(key, geoms[key], new, label)
    edited = dict(geoms)
    edited[a], edited[b] = new_a, new_b
    return _checked(_rebuild(edited), (a, b))


def _split_area(
    geometries: Mapping[str, Geom],
    a: str,
    line: LineString,
    *,
    new_key: str,
    snap_m: float,
    names: Mapping[str, str] | None,
) -> dict[str, Geom]:
    label = _labeller(names)
    _require_keys(geometries, a, label=label)
    if not isinstance(new_key, str) or not new_key.strip():
        raise EditRefused("Het nieuwe gebied heeft een sleutel nodig. Geef het nieuwe deel een naam.")
    if new_key in geometries:
        raise EditRefused(f"Er is al een gebied met de sleutel '{new_key}'. Kies een andere naam voor het nieuwe deel.")
    line = _clean_line(line)
    geoms = _prepared(geometries)
    region = geoms[a]
    if region.is_empty:
        raise EditRefused(f"{label(a)} heeft geen oppervlak; er valt niets te splitsen.")
    line = _simple(snap_line(line, region, snap_m))
    pieces = _pieces(region, line)
    parts = _polygons(region)
    if len(parts) == 1:
        part_of = np.zeros(len(pieces), dtype=int)
    else:
        part_array = np.array(parts, dtype=object)
        part_of = np.array([int(np.argmax(shapely.area(shapely.intersection(piece, part_array)))) for piece in pieces])
    counts = np.bincount(part_of, minlength=len(parts))
    cut = np.flatnonzero(counts > 1)
    how = (
        "Trek één lijn die het gebied van rand tot rand doorsnijdt, zonder heen en weer te gaan; "
        "begin en eind mogen tot over de rand lopen."
    )
    if len(cut) == 0:
        raise EditRefused(
            f"De lijn deelt {label(a)} niet in twee stukken: ze moet van rand tot rand door het gebied lopen. {how}"
        )
    total = int(counts[cut].sum())
    if len(cut) > 1 or total != 2:
        raise EditRefused(f"De lijn deelt {label(a)} in {total} stukken; splitsen kan alleen in twee. {how}")
    two = pieces[part_of == cut[0]]
    sizes = _m2_many(two)
    small = int(np.argmin(sizes))
    if sizes[small] < MIN_PART_M2:
        surface = f"{sizes[small]:.1f}".replace(".", ",")
        raise EditRefused(
            f"Het afgesplitste deel van {label(a)} is maar {surface} m². "
            "Trek de lijn door het gebied, niet langs de rand."
        )
    cut_off = int(np.flatnonzero(part_of == cut[0])[small])
    rest = [piece for i, piece in enumerate(pieces) if i != cut_off]
    edited: dict[str, Geom] = {}
    for key, geom in geoms.items():
        if key == a:
            edited[a] = _union(rest)
            edited[new_key] = _union([two[small]])
        else:
            edited[key] = geom
    return _checked(_rebuild(edited), (a, new_key))


def _merge_areas(geometries: Mapping[str, Geom], a: str, b: str, *, names: Mapping[str, str] | None) -> dict[str, Geom]:
    label = _labeller(names)
    _require_keys(geometries, a, b, label=label)
    geoms = _prepared(geometries)
    if _shared_border_m(geoms[a], geoms[b]) <= 0:
        raise EditRefused(
            f"{label(a)} en {label(b)} grenzen niet aan elkaar en kunnen dus niet worden samengevoegd. "
            "Kies twee gebieden met een gedeelde grens."
        )
    merged = {key: geom for key, geom in geoms.items() if key != b}
    merged[a] = _union([geoms[a], geoms[b]])
    return _checked(_rebuild(merged), (a,))


def _require_keys(geometries: Mapping[str, Geom], *keys: str, label: Callable[[str | None], str]) -> None:
    for key in keys:
        if key not in geometries:
            raise EditRefused(
                f"Het gebied {label(key)} bestaat niet (meer) in deze indeling. Laad de pagina opnieuw "
                "en kies het gebied opnieuw."
            )
    if len(set(keys)) != len(keys):
        raise EditRefused("Kies twee verschillende gebieden.")


def _clean_line(line: Any) -> LineString:
    """The drawn line as a 2D LineString without repeated points, or EditRefused."""
    if not isinstance(line, LineString) or line.is_empty:
        raise EditRefused(
            f"Er is geen lijn getekend. Teken een lijn op de kaart, of schrijf elk punt op een eigen regel als "
            f"'breedtegraad, lengtegraad' (bijvoorbeeld {_EXAMPLE_POINT})."
        )
    coords = shapely.get_coordinates(line)
    if not np.isfinite(coords).all():
        raise EditRefused(
            "De lijn bevat een punt zonder geldige coördinaten. Teken de lijn opnieuw, of schrijf elk punt als "
            f"'breedtegraad, lengtegraad' (bijvoorbeeld {_EXAMPLE_POINT})."
        )
    for lon, lat in coords:
        if in_netherlands(float(lat), float(lon)):
            continue
        place = latlon_text(float(lat), float(lon))
        if looks_swapped(float(lat), float(lon)):
            raise EditRefused(
                f"Een punt van de lijn ligt buiten Nederland (bij {place}); breedtegraad en lengtegraad lijken "
                f"verwisseld. Schrijf elk punt als 'breedtegraad, lengtegraad', bijvoorbeeld {_EXAMPLE_POINT}."
            )
        raise EditRefused(
            f"Een punt van de lijn ligt buiten Nederland (bij {place}). Teken de lijn in de buurt, van rand tot rand "
            "door de gebieden."
        )
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) < 2:
        raise EditRefused(
            "De lijn heeft minstens twee verschillende punten nodig. Teken een lijn van rand tot rand door de gebieden."
        )
    return _simple(LineString(coords))


def _simple(line: LineString) -> LineString:
    if not line.is_simple:
        raise EditRefused("De lijn kruist zichzelf. Teken een lijn zonder lussen, van rand tot rand.")
    return line


def _across_edge(
    region: Geom, boundary_rd: shapely.Geometry, end_rd: Point, distance: float, neighbour_rd: Point
) -> tuple[float, float]:
    """(lon, lat) of a point just across the region's edge, seen from a line end inside it."""
    nearest = shapely.line_interpolate_point(boundary_rd, shapely.line_locate_point(boundary_rd, end_rd))
    px, py = float(nearest.x), float(nearest.y)
    if distance > 1e-3:
        dx, dy = px - end_rd.x, py - end_rd.y
    else:  # on the edge: go on in the line's own direction
        dx, dy = end_rd.x - neighbour_rd.x, end_rd.y - neighbour_rd.y
    norm = math.hypot(dx, dy)
    if norm == 0 or not math.isfinite(norm):
        return from_rd(px, py)
    ux, uy = dx / norm, dy / norm
    for step in (SNAP_BEYOND_M, 2 * SNAP_BEYOND_M, 4 * SNAP_BEYOND_M, 10 * SNAP_BEYOND_M):
        lon, lat = from_rd(px + ux * step, py + uy * step)
        if not shapely.intersects_xy(region, lon, lat):
            return (lon, lat)
    return from_rd(px, py)


def _pieces(region: Geom, line: LineString) -> np.ndarray:
    """The faces of ``region`` cut by ``line`` (an array of Polygons)."""
    arrangement = _arrangement([region], lines=[line])
    inside = np.array([owners == (0,) for owners in arrangement.owners], dtype=bool)
    return arrangement.faces[inside]


def _refuse_falling_apart(key: str, old: Geom, new: Geom, label: Callable[[str | None], str]) -> None:
    before, after = len(_polygons(old)), len(_polygons(new))
    if after <= before:
        return
    count = "twee" if after == 2 else str(after)
    raise EditRefused(
        f"De nieuwe grens laat {label(key)} in {count} losse stukken uiteenvallen; trek de lijn zo dat elk "
        "gebied één geheel blijft."
    )


def _checked(result: dict[str, Geom], edited: Sequence[str]) -> dict[str, Geom]:
    """The result, if it is what every edit promises: valid, polygonal, an exact coverage."""
    values = list(result.values())
    if not all(isinstance(g, Polygon | MultiPolygon) and shapely.is_valid(g) for g in values):
        raise EditRefused(_FAILED)
    if any(result[key].is_empty for key in edited):
        raise EditRefused(_FAILED)
    if not shapely.coverage_is_valid(np.array([g for g in values if not g.is_empty], dtype=object)):
        raise EditRefused(_FAILED)
    return result


def _prepared(geometries: Mapping[str, Geom]) -> dict[str, Geom]:
    """The areas to edit, as one exact coverage (see :func:`_rebuild`), near-misses snapped first."""
    keys = list(geometries)
    snapped = _snap_noise([_polygonal(geometries[key]) for key in keys])
    return _rebuild(dict(zip(keys, snapped, strict=True)))


def _rebuild(geometries: dict[str, Geom]) -> dict[str, Geom]:
    """The same areas as one exact coverage: shared vertices everywhere, any overlap given to one
    area (the longest border), noise gaps filled; larger gaps stay."""
    keys = list(geometries)
    geoms = [geometries[key] for key in keys]
    arrangement = _arrangement(geoms)
    settled = _settle(arrangement, list(range(len(keys))), overlap_tol=math.inf, gap_tol=0.0, outside_tol=0.0)
    return dict(zip(keys, _geometries(arrangement, settled.owners, len(keys)), strict=True))


def _snap_noise(geoms: list[Geom], *, fixed: int | None = None) -> list[Geom]:
    """The geometries with near-misses made exact: vertices of different areas within
    :data:`NOISE_WIDTH_M` become one (the earliest geometry's), and a vertex that close to another
    area's edge is added to that edge (a T-junction made a shared vertex). Geometries with no
    near-miss come back as they are; so does an exact coverage. The geometry at index ``fixed``
    (the outline) is never changed: others snap to it, it does not bend to them (what stays between
    them is a noise face, settled like any other)."""
    present = [i for i, g in enumerate(geoms) if not g.is_empty]
    if len(present) < 2:
        return geoms
    array = np.array([geoms[i] for i in present], dtype=object)
    rings, ring_owner = shapely.get_rings(array, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    owner = ring_owner[ring_of]
    unique, first, inverse = np.unique(coords, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    owners_of: list[set[int]] = [set() for _ in range(len(unique))]
    for u, k in zip(inverse.tolist(), owner.tolist(), strict=True):
        owners_of[u].add(k)
    points = shapely.points(unique)
    needs: dict[int, set[int]] = defaultdict(set)  # geometry -> unique vertices to snap to

    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=_NOISE_DEG)
    close = first[left] < first[right]
    leader = np.arange(len(unique))
    for i, j in sorted(zip(left[close].tolist(), right[close].tolist(), strict=True), key=lambda pair: first[pair[0]]):
        if leader[j] == j:  # j follows the earliest vertex near it (that is not itself a follower)
            leader[j] = leader[i]
    for j in np.flatnonzero(leader != np.arange(len(unique))):
        for k in owners_of[j]:
            needs[k].add(int(leader[j]))

    same_ring = ring_of[:-1] == ring_of[1:]
    segments = shapely.linestrings(np.stack((coords[:-1][same_ring], coords[1:][same_ring]), axis=1))
    segment_owner = owner[:-1][same_ring]
    leaders = np.flatnonzero(leader == np.arange(len(unique)))
    vertex, segment = shapely.STRtree(segments).query(points[leaders], predicate="dwithin", distance=_NOISE_DEG)
    if len(vertex):
        gap = shapely.distance(points[leaders][vertex], segments[segment])
        for v, seg, d in zip(leaders[vertex].tolist(), segment.tolist(), gap.tolist(), strict=True):
            k = int(segment_owner[seg])
            if d > 0 and k not in owners_of[v]:
                needs[k].add(v)
    if fixed is not None and fixed in present:
        needs.pop(present.index(fixed), None)
    if not needs:
        return geoms
    result = list(geoms)
    for k, wanted in sorted(needs.items()):
        reference = shapely.multipoints(unique[sorted(wanted)])
        result[present[k]] = _polygonal(shapely.snap(array[k], reference, _NOISE_DEG))
    return result


# ---------------------------------------------------------------------------------------------
# The arrangement: faces, who owns them, who borders whom


@dataclass(slots=True)
class _Arrangement:
    faces: np.ndarray  # Polygons (lon/lat), on the grid
    m2: np.ndarray  # surface of each face (RD New)
    owners: list[tuple[int, ...]]  # the input areas each face lies in
    inside: np.ndarray | None  # in the outline (None: there is none)
    adjacent: list[dict[int, float]]  # face -> {neighbour face: shared border in metres}
    open_m: np.ndarray  # border of each face with no face on the other side (metres)

    def noise(self, face: int) -> bool:
        m2 = float(self.m2[face])
        if m2 < NOISE_M2:
            return True
        perimeter = sum(self.adjacent[face].values()) + float(self.open_m[face])
        return perimeter > 0 and 2 * m2 / perimeter < NOISE_WIDTH_M


def _arrangement(geoms: Sequence[Geom], *, outline: Geom | None = None, lines: Sequence[Any] = ()) -> _Arrangement:
    linework = [shapely.boundary(g) for g in geoms if not g.is_empty]
    if outline is not None:
        linework.append(shapely.boundary(outline))
    linework.extend(lines)
    if linework:
        noded = shapely.union_all(linework, grid_size=GRID_DEG)
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
        faces = faces[shapely.area(faces) > 0] if len(faces) else faces
    else:
        faces = np.array([], dtype=object)
    m2 = _m2_many(faces) if len(faces) else np.zeros(0)
    owners = _owners(faces, geoms)
    inside = None
    if outline is not None:
        inside = np.array([bool(owned) for owned in _owners(faces, [outline])], dtype=bool)
    adjacent, open_m = _adjacency(faces)
    return _Arrangement(faces, m2, owners, inside, adjacent, open_m)


def _owners(faces: np.ndarray, geoms: Sequence[Geom]) -> list[tuple[int, ...]]:
    """For each face, the geometries it lies in (in input order).

    A face lies wholly inside or outside each geometry (all boundaries are noded), so one point
    inside it decides, when that point is clear of the face's edges by more than the grid could
    have moved them; a thinner face is decided by the share of it each geometry holds (> half)."""
    found: list[list[int]] = [[] for _ in range(len(faces))]
    present = [i for i, g in enumerate(geoms) if not g.is_empty]
    if not len(faces) or not present:
        return [() for _ in range(len(faces))]
    array = np.array([geoms[i] for i in present], dtype=object)
    tree = shapely.STRtree(array)
    points = shapely.point_on_surface(faces)
    clear = shapely.distance(points, shapely.boundary(faces)) > 1000 * GRID_DEG
    face_index, geom_index = tree.query(points[clear], predicate="intersects")
    sure = np.flatnonzero(clear)
    for f, g in zip(sure[face_index], geom_index, strict=True):
        found[int(f)].append(present[int(g)])
    thin = np.flatnonzero(~clear)
    if len(thin):
        face_index, geom_index = tree.query(faces[thin], predicate="intersects")
        shared = shapely.area(shapely.intersection(faces[thin][face_index], array[geom_index]))
        share = shared / shapely.area(faces[thin][face_index])
        for f, g in zip(thin[face_index[share > 0.5]], geom_index[share > 0.5], strict=True):
            found[int(f)].append(present[int(g)])
    return [tuple(sorted(owned)) for owned in found]


def _adjacency(faces: np.ndarray) -> tuple[list[dict[int, float]], np.ndarray]:
    """Shared border lengths between faces (their edges are identical, by the noding) and each
    face's border with nothing."""
    adjacent: list[dict[int, float]] = [defaultdict(float) for _ in range(len(faces))]
    open_m = np.zeros(len(faces))
    if not len(faces):
        return adjacent, open_m
    rings, ring_face = shapely.get_rings(faces, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    start, end = coords[:-1][same], coords[1:][same]
    face_of = ring_face[ring_of[:-1][same]]
    rd = rd_transform(coords)
    length = np.hypot(*(rd[1:][same] - rd[:-1][same]).T)
    swap = (start[:, 0] > end[:, 0]) | ((start[:, 0] == end[:, 0]) & (start[:, 1] > end[:, 1]))
    low = np.where(swap[:, None], end, start)
    high = np.where(swap[:, None], start, end)
    segments = np.column_stack((low, high))
    _, group, counts = np.unique(segments, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    first: dict[int, int] = {}
    for s in np.argsort(group, kind="stable"):
        g = int(group[s])
        f = int(face_of[s])
        if counts[g] == 1:
            open_m[f] += length[s]
        elif g in first:
            other = first[g]
            if other != f:
                adjacent[f][other] += float(length[s])
                adjacent[other][f] += float(length[s])
        else:
            first[g] = f
    return [dict(d) for d in adjacent], open_m


# ---------------------------------------------------------------------------------------------
# Settling: who gets which face


@dataclass(slots=True)
class _Settled:
    owners: list[tuple[int, ...]]  # final owners per face (usually one; none for a gap left open)
    fixes: list[tuple[str, float, float, float, tuple[int, ...], int | None]] = field(default_factory=list)
    problems: list[tuple[str, float, float, float, tuple[int, ...], Any]] = field(default_factory=list)


def _settle(
    arrangement: _Arrangement,
    rank: Sequence[int],
    *,
    overlap_tol: float,
    gap_tol: float,
    outside_tol: float,
) -> _Settled:
    """Give each face its owner: resolvable overlaps and gaps to the neighbour with the longest
    border, small outside pieces to nobody; the rest stays as it is and becomes a problem."""
    faces, m2, owners, inside = arrangement.faces, arrangement.m2, arrangement.owners, arrangement.inside
    n = len(faces)
    kind = []
    for f in range(n):
        if inside is not None and not inside[f]:
            kind.append("outside" if owners[f] else "void")
        elif len(owners[f]) == 1:
            kind.append("ok")
        else:
            kind.append("overlap" if owners[f] else "gap")
    final: list[tuple[int, ...]] = [owners[f] if kind[f] in ("ok", "outside") else () for f in range(n)]
    # overlaps keep all their owners unless resolved; gaps stay open unless resolved
    for f in range(n):
        if kind[f] == "overlap":
            final[f] = owners[f]
    settled = _Settled(final)
    components = _components(arrangement, kind)

    resolvable: dict[int, str] = {}  # face -> kind
    for members in components:
        k = kind[members[0]]
        total = float(m2[members].sum())
        noise = all(arrangement.noise(f) for f in members)
        if k == "outside":
            continue
        limit = overlap_tol if k == "overlap" else gap_tol
        if noise or total <= limit:
            resolvable.update(dict.fromkeys(members, k))
    given = _give(arrangement, resolvable, kind, rank)

    for members in components:
        k = kind[members[0]]
        if k == "outside":
            _settle_outside(arrangement, members, settled, outside_tol)
            continue
        if not all(f in given for f in members):
            unresolved = [f for f in members if f not in given]
            for f in members:
                if f in given:
                    settled.owners[f] = (given[f],)
            _report(arrangement, unresolved, k, kind, settled)
            continue
        for f in members:
            settled.owners[f] = (given[f],)
        if all(arrangement.noise(f) for f in members):
            continue
        by_owner: dict[int, list[int]] = defaultdict(list)
        for f in members:
            by_owner[given[f]].append(f)
        for to, group in by_owner.items():
            area = float(m2[group].sum())
            if area < NOISE_M2:
                continue
            if k == "overlap":
                involved = sorted({o for f in group for o in owners[f]}, key=lambda i: rank[i])
            else:
                involved = sorted(_bordering(arrangement, group, settled.owners), key=lambda i: rank[i])
            lat, lon = _place(faces[group], m2[group])
            settled.fixes.append((k, area, lat, lon, tuple(involved), to))
    _keep_every_area(arrangement, settled)
    return settled


def _components(arrangement: _Arrangement, kind: list[str]) -> list[np.ndarray]:
    """Connected pieces of faces of one trouble kind ("overlap", "gap", "outside")."""
    parent = list(range(len(kind)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for f, around in enumerate(arrangement.adjacent):
        if kind[f] in ("ok", "void"):
            continue
        for g in around:
            if kind[g] == kind[f]:
                parent[root(f)] = root(g)
    groups: dict[int, list[int]] = defaultdict(list)
    for f, k in enumerate(kind):
        if k not in ("ok", "void"):
            groups[root(f)].append(f)
    return [np.array(sorted(members)) for _, members in sorted(groups.items())]


def _give(
    arrangement: _Arrangement, resolvable: dict[int, str], kind: list[str], rank: Sequence[int]
) -> dict[int, int]:
    """Owner for each resolvable face: the area whose settled faces border it longest (passes,
    so a face next to a just-given face can follow); an overlap only to one of its own areas."""
    settled_owner = {f: arrangement.owners[f][0] for f in range(len(kind)) if kind[f] == "ok"}
    given: dict[int, int] = {}
    pending = set(resolvable)
    while pending:
        decided: dict[int, int] = {}
        for f in sorted(pending):
            scores: dict[int, float] = defaultdict(float)
            allowed = arrangement.owners[f] if resolvable[f] == "overlap" else None
            for g, length in arrangement.adjacent[f].items():
                owner = settled_owner.get(g)
                if owner is None or (allowed is not None and owner not in allowed):
                    continue
                scores[owner] += length
            if scores:
                decided[f] = max(scores, key=lambda o: (round(scores[o], 6), -rank[o]))
        if not decided:
            break
        given.update(decided)
        settled_owner.update(decided)
        pending -= decided.keys()
    for f in pending:  # an overlap bordered by nothing of its own: the first of its areas
        if resolvable[f] == "overlap":
            given[f] = min(arrangement.owners[f], key=lambda o: rank[o])
    return given


def _bordering(arrangement: _Arrangement, group: Sequence[int], owners: list[tuple[int, ...]]) -> set[int]:
    inside = set(group)
    found: set[int] = set()
    for f in group:
        for g in arrangement.adjacent[f]:
            if g not in inside:
                found.update(owners[g])
    return found


def _settle_outside(arrangement: _Arrangement, members: np.ndarray, settled: _Settled, outside_tol: float) -> None:
    """Pieces of areas outside the outline: cut off when small, kept (and reported) when not."""
    per_area: dict[int, list[int]] = defaultdict(list)
    for f in members:
        for owner in arrangement.owners[f]:
            per_area[owner].append(int(f))
    for area, group in sorted(per_area.items()):
        surface = float(arrangement.m2[group].sum())
        noise = all(arrangement.noise(f) for f in group)
        if noise or surface <= outside_tol:
            for f in group:
                settled.owners[f] = tuple(o for o in settled.owners[f] if o != area)
            if not noise and surface >= NOISE_M2:
                lat, lon = _place(arrangement.faces[group], arrangement.m2[group])
                settled.fixes.append(("outside", surface, lat, lon, (area,), None))
        else:
            lat, lon = _place(arrangement.faces[group], arrangement.m2[group])
            settled.problems.append(
                ("outside_outline", surface, lat, lon, (area,), _union(list(arrangement.faces[group])))
            )


def _report(arrangement: _Arrangement, members: Sequence[int], k: str, kind: list[str], settled: _Settled) -> None:
    """A piece too large to resolve (or a gap nothing borders): one problem, with its shape."""
    group = list(members)
    surface = float(arrangement.m2[group].sum())
    lat, lon = _place(arrangement.faces[group], arrangement.m2[group])
    shape = _union(list(arrangement.faces[group]))
    if k == "overlap":
        involved = tuple(sorted({o for f in group for o in arrangement.owners[f]}))
        settled.problems.append(("overlap", surface, lat, lon, involved, shape))
        return
    at_edge = any(
        arrangement.open_m[f] > 0 or any(kind[g] in ("outside", "void") for g in arrangement.adjacent[f]) for f in group
    )
    code = "uncovered" if arrangement.inside is not None and at_edge else "gap"
    settled.problems.append((code, surface, lat, lon, (), shape))


def _keep_every_area(arrangement: _Arrangement, settled: _Settled) -> None:
    """No area loses all its surface to a neighbour: it keeps the largest face it had."""
    has = {o for owned in settled.owners for o in owned}
    had: dict[int, int] = {}
    for f, owned in enumerate(arrangement.owners):
        for o in owned:
            if o not in had or arrangement.m2[f] > arrangement.m2[had[o]]:
                had[o] = f
    for area, f in had.items():
        if area not in has and (arrangement.inside is None or arrangement.inside[f]):
            settled.owners[f] = (area,)


def _geometries(arrangement: _Arrangement, owners: list[tuple[int, ...]], count: int) -> list[Geom]:
    faces_of: list[list[int]] = [[] for _ in range(count)]
    for f, owned in enumerate(owners):
        for o in owned:
            faces_of[o].append(f)
    return [_union(list(arrangement.faces[members])) for members in faces_of]


# ---------------------------------------------------------------------------------------------
# Small helpers


def _union(faces: Sequence[Any]) -> Geom:
    """Faces of one arrangement as one area (oriented, exterior counter-clockwise)."""
    faces = [f for f in faces if f is not None and not f.is_empty]
    if not faces:
        return Polygon()
    if len(faces) == 1:
        merged = faces[0]
    else:
        merged = shapely.coverage_union_all(np.array(faces, dtype=object))
        if not shapely.is_valid(merged):
            merged = shapely.union_all(faces, grid_size=GRID_DEG)
    return _as_geom(_polygons(shapely.orient_polygons(merged)))


def _polygons(geom: Any) -> list[Polygon]:
    if geom is None:
        return []
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiPolygon | shapely.GeometryCollection):
        return [part for sub in geom.geoms for part in _polygons(sub)]
    return []


def _as_geom(polygons: list[Polygon]) -> Geom:
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _polygonal(geom: Any) -> Geom:
    """A valid, oriented Polygon/MultiPolygon of whatever polygonal surface ``geom`` has."""
    if geom is None or not isinstance(geom, shapely.Geometry) or geom.is_empty:
        return Polygon()
    geom = shapely.force_2d(geom)
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    return _as_geom(_polygons(shapely.orient_polygons(geom)))


def _shared_border_m(a: Geom, b: Geom) -> float:
    """Length (m) of the border a and b share (an overlap counts as a border). Measured on their
    common noding; when that finds none, the length of a's edge within :data:`NOISE_WIDTH_M` of b's
    (a hairline notch between two areas, open to the outside, is no face the noding can close)."""
    if a.is_empty or b.is_empty:
        return 0.0
    arrangement = _arrangement([a, b])
    total = 0.0
    for f, owned in enumerate(arrangement.owners):
        if owned == (0, 1):
            return math.inf
        if owned != (0,):
            continue
        for g, length in arrangement.adjacent[f].items():
            if arrangement.owners[g] == (1,):
                total += length
    if total > 0:
        return total
    near = shapely.intersection(shapely.boundary(a), shapely.buffer(shapely.boundary(b), _NOISE_DEG))
    return float(shapely.length(_to_rd(near))) if shapely.length(near) > 10 * _NOISE_DEG else 0.0


def _to_rd(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, rd_transform)


def _m2(geom: shapely.Geometry) -> float:
    return float(_m2_many(np.array([geom], dtype=object))[0])


def _m2_many(geoms: np.ndarray) -> np.ndarray:
    """Surfaces in m² of RD New: the lon/lat surface times the RD scale (m² per degree²) at the
    centroid. Not the surface of the RD-transformed vertices: a line straight in lon/lat is slightly
    curved in RD, so a hairline sliver along a 600 m edge (1e-13 degree², 0.001 m²) measured that
    way came out at 0.44 m². A scale that varies linearly over the piece is exact at its centroid."""
    if not len(geoms):
        return np.zeros(0)
    geoms = np.asarray(geoms, dtype=object)
    area = np.asarray(shapely.area(geoms), dtype=float)
    centre = shapely.get_coordinates(shapely.centroid(geoms), include_z=False)
    if len(centre) != len(geoms):  # an empty geometry has no centroid: its surface is 0
        return np.array([_m2_many(np.array([g], dtype=object))[0] if not g.is_empty else 0.0 for g in geoms])
    step = 1e-4
    lon, lat = centre[:, 0], centre[:, 1]
    x0, y0 = to_rd(lon, lat)
    x1, y1 = to_rd(lon + step, lat)
    x2, y2 = to_rd(lon, lat + step)
    scale = np.abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)) / step**2
    return np.where(area > 0, area * np.nan_to_num(scale), 0.0)


def _place(faces: np.ndarray, m2: np.ndarray) -> tuple[float, float]:
    """(lat, lon) of a point inside the largest face."""
    point = shapely.point_on_surface(faces[int(np.argmax(m2))])
    return float(point.y), float(point.x)


def _ranks(keys: list[str], order: Sequence[str] | None) -> list[int]:
    position = {key: i for i, key in enumerate(order or ())}
    return [position.get(key, len(position) + i) for i, key in enumerate(keys)]


def _labeller(names: Mapping[str, str] | None) -> Callable[[str | None], str]:
    def label(key: str | None) -> str:
        shown = (names or {}).get(key or "") or key or "?"
        return f"'{shown}'"

    return label


def _and_list(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def _m2_phrase(surface: float) -> str:
    return "minder dan 1 m²" if surface < 1 else f"{m2_text(surface)} m²"


def _geojson(geom: shapely.Geometry) -> dict:
    return json.loads(shapely.to_geojson(geom))


def _problem(
    item: tuple[str, float, float, float, tuple[int, ...], Any],
    keys: list[str],
    label: Callable[[str | None], str],
    tolerance_m2: float,
) -> AreaProblem:
    code, surface, lat, lon, involved, shape = item
    place = latlon_text(lat, lon)
    size = _m2_phrase(surface)
    limit = f"{m2_text(tolerance_m2)} m²"
    if code == "overlap":
        names = _and_list([label(keys[i]) for i in involved])
        message = (
            f"De gebieden {names} overlappen elkaar over {size} (bij {place}); dat is meer dan de {limit} die "
            "vanzelf wordt rechtgetrokken. Een adres mag maar in één gebied liggen: leg de gedeelde rand in beide "
            "gebieden op dezelfde plek, of verleg de grens op de kaart."
        )
        index = involved[0] if involved else None
    elif code == "gap":
        message = (
            f"Tussen de gebieden ligt een gat van {size} (bij {place}) dat bij geen enkel gebied hoort; dat is meer "
            f"dan de {limit} die vanzelf wordt rechtgetrokken. Trek de rand van een buurgebied door over het gat."
        )
        index = None
    elif code == "uncovered":
        message = (
            f"Een deel van de buurt ({size}, bij {place}) valt in geen enkel gebied. Trek de rand van het gebied "
            "ernaast door tot de buurtgrens."
        )
        index = None
    else:
        message = (
            f"Gebied {label(keys[involved[0]])} steekt {size} buiten de buurtgrens uit (bij {place}). Adressen "
            "daar horen niet bij de buurt; leg de rand op de buurtgrens."
        )
        index = involved[0]
    return AreaProblem(code, message, index, lat, lon, _geojson(shape))
