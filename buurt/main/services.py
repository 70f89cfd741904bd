"""What the public pages show: groups, their areas and fill level. No personal data."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from buurt.areas import services as areas
from buurt.geo.maps import MapArea, areas_map, fill_legend
from buurt.models import Group


@dataclass(frozen=True, slots=True)
class PublicGroup:
    """A group as anyone may see it."""

    id: int
    name: str
    area_names: tuple[str, ...]
    members: int
    capacity: int
    fill: float
    has_room: bool
    households: int | None

    @property
    def fill_percent(self) -> int:
        return round(self.fill * 100)


def public_groups() -> list[PublicGroup]:
    """The default neighbourhood's groups with counts, in their display order."""
    hood = areas.default_neighbourhood()
    if hood is None:
        return []
    groups = areas.groups_of(hood)
    stats = areas.group_stats(groups)
    current = areas.current_areas()
    result = []
    for g in groups:
        mine = [a for a in current.areas if a.group_id == g.id]
        households = [a.households for a in mine if a.households is not None]
        s = stats[g.id]
        result.append(
            PublicGroup(
                g.id,
                g.name,
                tuple(a.name for a in mine),
                s.members,
                s.capacity,
                s.fill,
                not s.is_full,
                sum(households) if households else None,
            )
        )
    return result


def fill_labels() -> dict[str, str]:
    return {
        "lt50": _("minder dan 50% vol"),
        "lt75": _("50–75% vol"),
        "lt90": _("75–90% vol"),
        "lt100": _("90–100% vol"),
        "full": _("vol"),
    }


def area_lines(group: Group | PublicGroup, members: int, capacity: int) -> tuple[str, ...]:
    return (_("%(members)d van %(capacity)d plaatsen bezet", members=members, capacity=capacity),)


def coverage_map_document(groups: list[PublicGroup] | None = None) -> str:
    """The public coverage map as a complete HTML document (for an iframe)."""
    from buurt.geo.folium_assets import render_map_document

    groups = public_groups() if groups is None else groups
    by_group = {g.id: g for g in groups}
    current = areas.current_areas()
    shapes = [
        MapArea(
            key=a.key,
            name=by_group[a.group_id].name,
            geometry=a.geometry,
            fill=by_group[a.group_id].fill,
            lines=(
                a.name,
                *area_lines(by_group[a.group_id], by_group[a.group_id].members, by_group[a.group_id].capacity),
            ),
        )
        for a in current.areas
        if a.group_id in by_group
    ]
    m = areas_map(shapes, legend_title=_("Bezetting"), legend=fill_legend(fill_labels()))
    return render_map_document(m)
