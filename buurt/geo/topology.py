"""Areas as one coverage: edits that keep the tiling exact, and cleaning of small overlaps and gaps.

A neighbourhood's areas must tile it: every point in exactly one area, no slivers, no gaps. Edited
polygon by polygon (geojson.io, QGIS) that breaks on every shared edge: one moved vertex opens a gap
on one side and an overlap on the other, and a corner shared by three areas is a T-junction in at
least one of them. So nothing here edits a polygon on its own. Every operation works on the
*faces* of the arrangement: all area boundaries (and the drawn line, and the outline) are noded
together on a fixed grid (GRID_DEG, about 1 cm) and polygonized; each face belongs to exactly one
area; an area is the union of its faces. Shared edges are then the same edges in both areas, by
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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shapely.geometry import LineString, MultiPolygon, Polygon

from buurt.exceptions import UserError
from buurt.geo.area_problems import AreaProblem

__all__ = [
    "GRID_DEG",
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

#: the grid every edit and every cleaning snaps to (degrees; about 1 cm in Katwijk)
GRID_DEG = 1e-7


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
        raise NotImplementedError


@dataclass(slots=True)
class Cleaned:
    """The result of :func:`clean_coverage`: the areas (same keys, same order), what was fixed, what was not."""

    geometries: dict[str, Geom]
    fixes: list[Fix] = field(default_factory=list)
    problems: list[AreaProblem] = field(default_factory=list)  # with lat/lon and geometry (GeoJSON) each


def neighbours(geometries: Mapping[str, Geom], a: str, b: str) -> bool:
    """Whether areas ``a`` and ``b`` share a border of some length (not only a corner)."""
    raise NotImplementedError


def snap_line(line: LineString, region: Geom, snap_m: float) -> LineString:
    """``line`` with each end that lies inside ``region`` within ``snap_m`` metres of its outer edge
    carried onto (just across) that edge, so the line cuts ``region`` from edge to edge.

    Ends outside the region are kept; EditRefused when an end stays inside, further than ``snap_m``.
    """
    raise NotImplementedError


def move_border(geometries: Mapping[str, Geom], a: str, b: str, line: LineString, *, snap_m: float) -> dict[str, Geom]:
    """The areas with the border between neighbours ``a`` and ``b`` replaced by ``line``.

    The union of a and b is cut by the (snapped) line; each piece goes to the one of the two it
    overlapped most. Every other area keeps its surface (it may gain vertices where the line meets
    its edge, so no T-junction is left). EditRefused when a and b are no neighbours, the line does
    not cut their union from edge to edge, crosses itself, or leaves a or b without surface.
    """
    raise NotImplementedError


def split_area(
    geometries: Mapping[str, Geom], a: str, line: LineString, *, new_key: str, snap_m: float
) -> dict[str, Geom]:
    """The areas with ``a`` cut in two by ``line``: ``a`` keeps the larger part, ``new_key`` gets the other.

    The new key is added after ``a`` (dict order). EditRefused when the line does not cut the area
    in exactly two parts from edge to edge, crosses itself, or ``new_key`` is taken.
    """
    raise NotImplementedError


def merge_areas(geometries: Mapping[str, Geom], a: str, b: str) -> dict[str, Geom]:
    """The areas with ``b`` merged into ``a`` (``b`` gone). EditRefused when they are no neighbours."""
    raise NotImplementedError


def clean_coverage(
    geometries: Mapping[str, Geom],
    outline: Geom | None = None,
    *,
    tolerance_m2: float,
    order: Sequence[str] | None = None,
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
    """
    raise NotImplementedError


def tiling_report(geometries: Mapping[str, Geom], outline: Geom | None = None) -> dict[str, float]:
    """Numbers that show whether the areas tile (for tests and benchmarks), all in m² (RD New):

    ``overlap_m2`` (sum of pairwise overlaps), ``gap_m2`` (holes in the union, and the outline's
    part no area covers), ``outside_m2`` (area parts outside the outline), ``invalid`` (count of
    invalid or non-polygonal geometries).
    """
    raise NotImplementedError
