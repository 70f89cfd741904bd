"""Map documents for the area pages: a generation, an import preview (old vs new), a split proposal."""

from __future__ import annotations

from flask_babel import gettext as _
from shapely.geometry import mapping

from buurt.areas.files import current_generation
from buurt.areas.imports import ImportPlan
from buurt.areas.split import GroupSplit
from buurt.geo.coverage import OLD_COLOUR, LegendSection, comparison_map
from buurt.geo.folium_assets import render_map_document
from buurt.geo.maps import LegendItem, MapArea
from buurt.models import BoundaryGeneration, Group
from buurt.tiles import tile_source

#: Distinct, colour-blind-friendly colours for areas in previews (Okabe-Ito).
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")


def _plain(geometry) -> dict:
    import json

    return json.loads(json.dumps(mapping(geometry)))


def _old_areas(generation: BoundaryGeneration | None) -> list[MapArea]:
    if generation is None:
        return []
    return [
        MapArea(key=f"old-{a.key}", name=_("Nu: %(name)s", name=a.name), geometry=a.geometry) for a in generation.areas
    ]


def _legend(entries: list[tuple[str, str]], with_old: bool) -> list[LegendSection]:
    sections = [LegendSection(_("Nieuwe gebieden"), tuple(LegendItem(c, n) for c, n in entries))]
    if with_old:
        sections.append(LegendSection(_("Huidige grenzen"), (LegendItem(OLD_COLOUR, _("gestippelde lijn")),)))
    return sections


def generation_document(generation: BoundaryGeneration) -> str:
    """One generation filled per area; when it is not the current one, the current boundaries dashed on top."""
    areas, entries = [], []
    for i, a in enumerate(generation.areas):
        colour = PALETTE[i % len(PALETTE)]
        areas.append(MapArea(key=a.key, name=a.name, geometry=a.geometry, colour=colour, lines=(a.group.name,)))
        entries.append((colour, f"{a.name} ({a.group.name})"))
    current = None if generation.is_current else current_generation(generation.neighbourhood)
    m = comparison_map(_old_areas(current), areas, legend=_legend(entries, current is not None), tiles=tile_source())
    return render_map_document(m)


def proposal_document(plan: ImportPlan) -> str:
    """The proposed areas filled, the current boundaries dashed."""
    from buurt.extensions import db
    from buurt.models import Neighbourhood

    hood = db.session.get(Neighbourhood, plan.neighbourhood_id)
    after = plan.members_after()
    areas, entries = [], []
    for i, a in enumerate(plan.areas):
        colour = PALETTE[i % len(PALETTE)]
        lines = (
            a.group.name + (" " + _("(nieuwe groep)") if a.group.is_new else ""),
            _("%(n)d bewoners na de wijziging (hele groep)", n=after.get(a.group.ref, 0)),
        )
        areas.append(MapArea(key=a.key, name=a.name, geometry=_plain(a.geometry), colour=colour, lines=lines))
        entries.append((colour, f"{a.name} → {a.group.name}"))
    m = comparison_map(_old_areas(current_generation(hood)), areas, legend=_legend(entries, True), tiles=tile_source())
    return render_map_document(m)


def split_document(group: Group, proposal: GroupSplit) -> str:
    """The two parts of a split proposal with their counts, the group's current area dashed."""
    r = proposal.result
    parts = [
        (PALETTE[0], group.name, r.part_a, r.count_a),
        (PALETTE[1], proposal.new_group_name, r.part_b, r.count_b),
    ]
    areas = [
        MapArea(
            key=f"part-{i}",
            name=name,
            geometry=_plain(geometry),
            colour=colour,
            lines=(_("%(n)d leden en aanmeldingen", n=count),),
        )
        for i, (colour, name, geometry, count) in enumerate(parts)
    ]
    hood_generation = current_generation(group.neighbourhood)
    old = [a for a in _old_areas(hood_generation) if a.key.removeprefix("old-") in {x.key for x in group.areas}]
    entries = [(colour, f"{name}: {count}") for colour, name, _g, count in parts]
    m = comparison_map(old, areas, legend=_legend(entries, bool(old)), tiles=tile_source())
    return render_map_document(m)


def problem_document(proposal: BoundaryGeneration, problems: list) -> str:
    """An upload that cannot be used as it is: its areas, with each problem's place highlighted.

    (Groundwork: shows the current generation only; issue 17 point 2 builds it.)
    """
    hood_generation = current_generation(proposal.neighbourhood)
    m = comparison_map(_old_areas(hood_generation), [], legend=[], tiles=tile_source())
    return render_map_document(m)
