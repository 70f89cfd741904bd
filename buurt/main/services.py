"""What the public pages show: groups, their areas and fill level. No personal data."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from buurt.areas import services as areas
from buurt.areas.occupancy import Occupancy, occupancy
from buurt.geo.maps import MapArea, areas_map, fill_legend


@dataclass(frozen=True, slots=True)
class PublicGroup:
    """A group as anyone may see it: its name, areas and occupancy (counts only)."""

    id: int
    name: str
    area_names: tuple[str, ...]
    occupancy: Occupancy

    @property
    def members(self) -> int:
        return self.occupancy.members

    @property
    def capacity(self) -> int:
        return self.occupancy.capacity

    @property
    def fill(self) -> float:
        return self.occupancy.fill

    @property
    def fill_percent(self) -> int:
        return self.occupancy.percent

    @property
    def has_room(self) -> bool:
        return self.occupancy.has_room

    @property
    def level(self) -> str:
        return self.occupancy.level

    @property
    def households(self) -> int | None:
        return self.occupancy.households


def public_groups() -> list[PublicGroup]:
    """The default neighbourhood's groups with their occupancy, in their display order."""
    hood = areas.default_neighbourhood()
    if hood is None:
        return []
    groups = areas.groups_of(hood)
    current = areas.current_areas()
    counts = occupancy(groups, current)
    return [
        PublicGroup(g.id, g.name, tuple(a.name for a in current.areas if a.group_id == g.id), counts[g.id])
        for g in groups
    ]


def fill_labels() -> dict[str, str]:
    return {
        "lt50": _("minder dan 50% vol"),
        "lt75": _("50–75% vol"),
        "lt90": _("75–90% vol"),
        "lt100": _("90–100% vol"),
        "full": _("vol"),
    }


def area_lines(group: PublicGroup) -> tuple[str, ...]:
    """The map's text for a group: seats taken (members + verified sign-ups, buurt.areas.occupancy) of the capacity."""
    return (
        _("%(members)d van %(capacity)d plaatsen bezet", members=group.occupancy.occupied, capacity=group.capacity),
    )


def coverage_map_document(groups: list[PublicGroup] | None = None) -> str:
    """The public coverage map as a complete HTML document (for an iframe)."""
    from buurt.geo.folium_assets import render_map_document
    from buurt.tiles import tile_source

    groups = public_groups() if groups is None else groups
    by_group = {g.id: g for g in groups}
    current = areas.current_areas()
    shapes = [
        MapArea(
            key=a.key,
            name=by_group[a.group_id].name,
            geometry=a.geometry,
            fill=by_group[a.group_id].fill,
            lines=(a.name, *area_lines(by_group[a.group_id])),
        )
        for a in current.areas
        if a.group_id in by_group
    ]
    m = areas_map(shapes, legend_title=_("Bezetting"), legend=fill_legend(fill_labels()), tiles=tile_source())
    return render_map_document(m)
