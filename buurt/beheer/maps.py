"""Map documents for the area pages: a generation, an import preview (old vs new), a split proposal."""

from __future__ import annotations

import folium
import shapely
from flask_babel import gettext as _
from shapely.geometry import mapping, shape

from buurt.areas import files, proposals
from buurt.areas.files import current_generation
from buurt.areas.imports import INSIDE_MIN_SHARE, ImportPlan
from buurt.areas.split import GroupSplit
from buurt.geo.coverage import OLD_COLOUR, LegendSection, comparison_map
from buurt.geo.folium_assets import make_map, render_map_document
from buurt.geo.maps import (
    RIJNSOEVER_CENTER,
    Bounds,
    LegendItem,
    MapArea,
    add_legend_sections,
    map_text,
    tooltip_html,
)
from buurt.geo.polygons import AreaValidationError, area_m2
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


#: the problem map: the file's areas light, every problem strong red (distinct from the Okabe-Ito palette)
FILE_EDGE, FILE_FILL = "#4b5563", "#93c5fd"
PROBLEM_EDGE, PROBLEM_FILL = "#b91c1c", "#ef4444"


def _file_areas(proposal: BoundaryGeneration, outline) -> list[tuple[str, str, dict]]:
    """(key, name, GeoJSON) of the proposal's areas in the neighbourhood, read as uploaded (not cleaned);
    none when the file cannot be read with the stored choices."""
    chosen = proposals.choices_of(proposal)
    try:
        read = files.read_area_file(
            proposal.document,
            name_property=chosen.name_property,
            key_property=chosen.key_property,
            max_bytes=proposals.STORED_MAX_BYTES,
            unique_names=False,
        )
    except AreaValidationError:
        return []
    found = []
    for feature in read.features:
        if outline is not None:
            surface = area_m2(feature.geometry)
            if not surface or area_m2(shapely.intersection(feature.geometry, outline)) / surface < INSIDE_MIN_SHARE:
                continue  # a municipality's file: only the areas the import would keep
        found.append((feature.key, feature.name, _plain(feature.geometry)))
    return found


def problem_document(proposal: BoundaryGeneration, problems: list) -> str:
    """An upload that cannot be used as it is: its areas drawn lightly, every problem's place in strong
    red with its message as tooltip (a circle marks it too: a sliver is thin), the current boundaries
    dashed. When the file cannot be read at all: the current boundaries and the problems with a place.

    Areas and problems only: nothing about residents.
    """
    hood = proposal.neighbourhood
    outline = shape(hood.outline) if hood.outline else None
    m = make_map(location=list(RIJNSOEVER_CENTER), zoom_start=15, height="100%", max_zoom=19, tiles=tile_source())
    bounds = Bounds()
    current = current_generation(hood)
    for area in _old_areas(current):
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area.geometry},
            name=map_text(area.name),
            style_function=lambda _f: {"color": OLD_COLOUR, "weight": 2.5, "dashArray": "6 6", "fill": False},
            tooltip=folium.Tooltip(map_text(area.name), sticky=True),
        ).add_to(m)
        bounds.extend_geometry(area.geometry)
    uploaded = _file_areas(proposal, outline)
    for key, name, geometry in uploaded:
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": geometry},
            name=map_text(name),
            style_function=lambda _f: {"color": FILE_EDGE, "weight": 1.5, "fillColor": FILE_FILL, "fillOpacity": 0.2},
            tooltip=folium.Tooltip(tooltip_html(name, (_("In het bestand (%(key)s)", key=key),)), sticky=True),
        ).add_to(m)
        bounds.extend_geometry(geometry)
    placed = 0
    for number, problem in enumerate(problems, start=1):
        title = _("Probleem %(n)d", n=number)
        geometry = problem.geometry if isinstance(problem.geometry, dict) else None
        if geometry is not None and geometry.get("type") in ("Polygon", "MultiPolygon"):
            folium.GeoJson(
                {"type": "Feature", "properties": {}, "geometry": geometry},
                name=map_text(title),
                style_function=lambda _f: {
                    "color": PROBLEM_EDGE,
                    "weight": 4,
                    "fillColor": PROBLEM_FILL,
                    "fillOpacity": 0.6,
                },
                highlight_function=lambda _f: {"weight": 6},
                tooltip=folium.Tooltip(tooltip_html(title, (problem.message,)), sticky=True),
            ).add_to(m)
            bounds.extend_geometry(geometry)
        if problem.lat is not None and problem.lon is not None:
            folium.CircleMarker(
                [problem.lat, problem.lon],
                radius=14,
                color=PROBLEM_EDGE,
                weight=3,
                fill=True,
                fill_color=PROBLEM_FILL,
                fill_opacity=0.25,
                tooltip=tooltip_html(title, (problem.message,)),
            ).add_to(m)
            bounds.extend(problem.lat, problem.lon)
            placed += 1
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    legend = []
    if uploaded:
        legend.append(LegendSection(_("Het bestand"), (LegendItem(FILE_FILL, _("gebied uit het bestand")),)))
    if placed or any(isinstance(p.geometry, dict) for p in problems):
        legend.append(LegendSection(_("Problemen"), (LegendItem(PROBLEM_FILL, _("hier klopt het niet (rood)")),)))
    if current is not None:
        legend.append(LegendSection(_("Huidige grenzen"), (LegendItem(OLD_COLOUR, _("gestippelde lijn")),)))
    add_legend_sections(m, legend)
    return render_map_document(m)
