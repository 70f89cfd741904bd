"""Which groups a melding goes to: targets within the radius, neighbours to consider.

``route_point`` is pure (plain areas in, no database, no Flask); ``route`` applies it to the current
areas and the configured radius, and ``no_target_message`` says what to do when nothing is hit.

Targets are the groups with an area within the radius of the point (distance 0 when the point is
inside); neighbours are the groups within a wider range that are not targets. Several areas of one
group make one entry (the smallest distance). Nearest first; equal distances (a point on a shared
border) are ordered by the group order given, then by group id, so the answer never depends on
load order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _

from buurt.areas.services import current_areas, in_gemeente
from buurt.extensions import db
from buurt.models import Group, Neighbourhood

if TYPE_CHECKING:
    from buurt.areas.services import CurrentAreas
    from buurt.models import Melding

__all__ = [
    "RoutedGroup",
    "Routing",
    "format_distance",
    "melding_no_target_message",
    "neighbour_range",
    "no_target_message",
    "outside_gemeente_message",
    "route",
    "route_point",
]

#: Distances are compared at centimetre precision, so float noise on a border never reorders groups.
_PRECISION = 2
#: A point this close to an area counts as in it: a point on a border (WGS84) lands micrometres off
#: the edge after projection to RD New, and it belongs to both areas.
_ON_BORDER_M = 0.01


@dataclass(frozen=True, slots=True)
class RoutedGroup:
    """A group the melding reaches (or nearly reaches) and how far its nearest area is."""

    group_id: int
    group_name: str
    distance_m: float
    area_ids: tuple[int, ...]
    area_names: tuple[str, ...]
    neighbourhood_id: int | None = None
    neighbourhood_name: str | None = None

    @property
    def is_inside(self) -> bool:
        return self.distance_m <= 0.0


@dataclass(frozen=True, slots=True)
class Routing:
    """The answer: target groups, neighbours to consider, and the nearest group when nothing is hit."""

    lat: float
    lon: float
    radius_m: float
    neighbour_range_m: float
    targets: tuple[RoutedGroup, ...]
    neighbours: tuple[RoutedGroup, ...]
    nearest: RoutedGroup | None  # only when there are no targets: the nearest group at any distance
    in_gemeente: bool = True  # False: the point lies outside the gemeente (its CBS outline)

    @property
    def groups(self) -> tuple[RoutedGroup, ...]:
        return self.targets + self.neighbours


def neighbour_range(radius_m: float, margin_m: float = 500.0) -> float:
    """How far to look for neighbours: the radius plus the larger of the radius and the margin."""
    return radius_m + max(radius_m, margin_m)


def route_point(
    areas: CurrentAreas,
    lat: float,
    lon: float,
    radius_m: float,
    *,
    neighbour_range_m: float | None = None,
    group_order: Mapping[int, Any] | None = None,
    neighbourhood_names: Mapping[int, str] | None = None,
    in_gemeente: bool = True,
) -> Routing:
    """Route a point: targets within ``radius_m``, neighbours up to ``neighbour_range_m``.

    ``group_order`` maps group id -> a sortable key (e.g. (neighbourhood order, sort order)); when given,
    groups not in it (inactive groups) are left out. ``neighbourhood_names`` (id -> name) labels each
    group with its neighbourhood: group names repeat across neighbourhoods.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)) or not math.isfinite(radius_m) or radius_m < 0:
        raise ValueError("lat, lon and a non-negative radius are required")
    wide = neighbour_range(radius_m) if neighbour_range_m is None else max(neighbour_range_m, radius_m)
    names = neighbourhood_names or {}
    every_hit = areas.index.within_radius(lat, lon, math.inf)  # one distance computation for all uses
    by_group = _aggregate(areas, [hit for hit in every_hit if hit[1] <= wide], group_order, names)
    ordered = sorted(by_group.values(), key=lambda g: _sort_key(g, group_order))
    targets = tuple(g for g in ordered if g.distance_m <= radius_m)
    neighbours = tuple(g for g in ordered if g.distance_m > radius_m)
    nearest = None
    if not targets:
        everything = _aggregate(areas, every_hit, group_order, names)
        if everything:
            nearest = min(everything.values(), key=lambda g: _sort_key(g, group_order))
    return Routing(lat, lon, float(radius_m), float(wide), targets, neighbours, nearest, in_gemeente)


def _sort_key(group: RoutedGroup, group_order: Mapping[int, Any] | None):
    order = group_order.get(group.group_id) if group_order is not None else None
    return (round(group.distance_m, _PRECISION), order is None, order if order is not None else 0, group.group_id)


def _aggregate(
    areas: CurrentAreas,
    hits: list[tuple[int, float]],
    group_order: Mapping[int, Any] | None,
    names: Mapping[int, str],
) -> dict[int, RoutedGroup]:
    found: dict[int, RoutedGroup] = {}
    by_id = {a.id: a for a in areas.areas} if len(hits) > 4 else None  # CurrentAreas.by_id is a scan
    for area_id, distance in hits:
        info = by_id[area_id] if by_id is not None else areas.by_id(area_id)
        if group_order is not None and info.group_id not in group_order:
            continue
        distance = float(distance) if distance >= _ON_BORDER_M else 0.0  # on a border: in both areas
        seen = found.get(info.group_id)
        if seen is None:
            hood = info.neighbourhood_id
            found[info.group_id] = RoutedGroup(
                info.group_id, info.group_name, distance, (info.id,), (info.name,), hood, names.get(hood)
            )
        else:
            found[info.group_id] = RoutedGroup(
                info.group_id,
                info.group_name,
                min(seen.distance_m, distance),
                (*seen.area_ids, info.id),
                (*seen.area_names, info.name),
                seen.neighbourhood_id,
                seen.neighbourhood_name,
            )
    return found


# --- over the current areas -----------------------------------------------------------------------


def _active_groups() -> tuple[dict[int, tuple[int, int, int]], dict[int, str]]:
    """(active group id -> tie-break key (neighbourhood order, neighbourhood id, group order),
    neighbourhood id -> name): one query."""
    rows = db.session.execute(
        db.select(Group.id, Group.sort_order, Neighbourhood.id, Neighbourhood.sort_order, Neighbourhood.name)
        .join(Neighbourhood, Group.neighbourhood_id == Neighbourhood.id)
        .where(Group.is_active.is_(True))
    ).all()
    order = {gid: (hood_order or 0, hood, group_order or 0) for gid, group_order, hood, hood_order, _name in rows}
    return order, {hood: name for _gid, _order, hood, _hood_order, name in rows}


def route(lat: float, lon: float, radius_m: float | None = None) -> Routing:
    """The target groups and neighbours for a point, over the current areas of every neighbourhood.

    Each group carries its neighbourhood's id and name; ``in_gemeente`` says whether the point lies in
    the gemeente at all (a melding just over the border can still reach groups within the radius).
    """
    cfg = current_app.config
    radius = float(cfg["MELDING_DEFAULT_RADIUS_M"] if radius_m is None else radius_m)
    margin = float(cfg.get("MELDING_NEIGHBOUR_MARGIN_M", 500))
    order, names = _active_groups()
    return route_point(
        current_areas(),
        lat,
        lon,
        radius,
        neighbour_range_m=neighbour_range(radius, margin),
        group_order=order,
        neighbourhood_names=names,
        in_gemeente=in_gemeente(lat, lon),
    )


def format_distance(distance_m: float) -> str:
    """'0 m', '240 m', '1,3 km'."""
    if distance_m < 1000:
        return f"{round(distance_m):d} m"
    return f"{distance_m / 1000:.1f} km".replace(".", ",")


def outside_gemeente_message() -> str:
    """Dutch sentence for a melding outside the gemeente: it goes only to groups within the radius."""
    return _(
        "Deze plek ligt buiten de gemeente %(gemeente)s. Alleen groepen binnen de straal krijgen de melding.",
        gemeente=_gemeente(),
    )


def no_target_message(routing: Routing) -> str | None:
    """Dutch sentence when no group lies within the radius, naming the nearest group and its
    neighbourhood (and saying so when the point is outside the gemeente); else None."""
    if routing.targets:
        return None
    radius = format_distance(routing.radius_m)
    if routing.nearest is None:
        message = _("Geen groep binnen %(radius)s; er zijn nog geen gebieden ingesteld.", radius=radius)
    elif routing.nearest.neighbourhood_name:
        message = _(
            "Geen groep binnen %(radius)s; dichtstbijzijnde: %(group)s (%(neighbourhood)s, %(distance)s).",
            radius=radius,
            group=routing.nearest.group_name,
            neighbourhood=routing.nearest.neighbourhood_name,
            distance=format_distance(routing.nearest.distance_m),
        )
    else:
        message = _(
            "Geen groep binnen %(radius)s; dichtstbijzijnde: %(group)s (%(distance)s).",
            radius=radius,
            group=routing.nearest.group_name,
            distance=format_distance(routing.nearest.distance_m),
        )
    if not routing.in_gemeente:
        message = f"{message} " + _("De plek ligt buiten de gemeente %(gemeente)s.", gemeente=_gemeente())
    return message


def _gemeente() -> str:
    return current_app.config["GEMEENTE_NAME"]


def melding_no_target_message(melding: Melding) -> str | None:
    """The no-target sentence for a stored melding (nearest group from the current areas)."""
    if any(not t.is_neighbour for t in melding.targets):
        return None
    return no_target_message(route(melding.lat, melding.lon, melding.radius_m))
