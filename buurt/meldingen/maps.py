"""The melding result map: the point, a circle of the radius, the target groups' areas highlighted
and the neighbours dashed.

``routing_map`` is a pure folium builder from plain data; ``melding_map_document`` gathers that data
for a stored melding and renders the document the detail page embeds. Every label is encoded with
map_text by buurt.geo.maps (tooltips, the legend) or here (the circle and the marker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
from flask_babel import gettext as _

from buurt.areas.services import current_areas
from buurt.geo.coords import box_around
from buurt.geo.folium_assets import TileSource, make_map, render_map_document
from buurt.geo.maps import Bounds, LegendItem, MapArea, add_areas, add_legend, map_text
from buurt.meldingen.routing import format_distance
from buurt.meldingen.services import group_labels
from buurt.models import Melding
from buurt.tiles import tile_source

TARGET_COLOUR = "#d97706"
NEIGHBOUR_COLOUR = "#9ca3af"
CIRCLE_COLOUR = "#b42318"


@dataclass(frozen=True, slots=True)
class MapGroup:
    """A routed group: its name, its areas' GeoJSON geometries (lon/lat) and its distance."""

    name: str
    geometries: tuple[dict, ...]
    distance_m: float
    is_neighbour: bool
    distance_label: str


def routing_map(
    lat: float,
    lon: float,
    radius_m: float,
    groups: Sequence[MapGroup],
    labels: Mapping[str, str],
    *,
    tiles: TileSource | None = None,
) -> folium.Map:
    """A map of one routing; `labels` holds the (translated) legend and tooltip words."""
    m = make_map(location=[lat, lon], zoom_start=15, max_zoom=19, tiles=tiles)
    bounds = Bounds()
    shapes = []
    for i, g in enumerate(groups):
        where = labels["inside"] if g.distance_m <= 0 else f"{labels['distance']}: {g.distance_label}"
        kind = labels["neighbour"] if g.is_neighbour else labels["target"]
        for j, geometry in enumerate(g.geometries):
            shapes.append(
                MapArea(
                    key=f"g{i}-{j}",
                    name=g.name,
                    geometry=geometry,
                    colour=NEIGHBOUR_COLOUR if g.is_neighbour else TARGET_COLOUR,
                    lines=(kind, where),
                    highlight=not g.is_neighbour,
                    dashed=g.is_neighbour,
                )
            )
    add_areas(m, shapes, None)
    for shape in shapes:
        if not shape.dashed:
            bounds.extend_geometry(shape.geometry)
    folium.Circle(
        [lat, lon],
        radius=float(radius_m),
        color=CIRCLE_COLOUR,
        weight=2,
        fill=True,
        fill_opacity=0.06,
        tooltip=map_text(labels["radius"]),
    ).add_to(m)
    folium.Marker(
        [lat, lon], tooltip=map_text(labels["point"]), icon=folium.Icon(prefix="fa", icon="bell", color="red")
    ).add_to(m)
    circle = box_around(lat, lon, radius_m)
    bounds.extend(circle.min_lat, circle.min_lon)
    bounds.extend(circle.max_lat, circle.max_lon)
    m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    add_legend(
        m,
        "",
        [
            LegendItem(TARGET_COLOUR, labels["target"]),
            LegendItem(NEIGHBOUR_COLOUR, labels["neighbour"]),
            LegendItem(CIRCLE_COLOUR, labels["radius"]),
        ],
    )
    return m


def melding_map_document(melding: Melding) -> str:
    """The result map for a melding (point, radius circle, target areas, neighbours dashed) as HTML."""
    areas = current_areas()
    label = group_labels()
    shapes = []
    for t in melding.targets:
        geometries = tuple(a.geometry for a in areas.areas if a.group_id == t.group_id)
        shapes.append(MapGroup(label(t.group), geometries, t.distance_m, t.is_neighbour, format_distance(t.distance_m)))
    legend = {
        "target": _("Doelgroep (binnen de straal)"),
        "neighbour": _("Buurgroep (overwegen)"),
        "radius": _("Straal %(radius)s", radius=format_distance(melding.radius_m)),
        "point": _("Locatie van de melding"),
        "inside": _("in het gebied"),
        "distance": _("afstand"),
    }
    m = routing_map(melding.lat, melding.lon, melding.radius_m, shapes, legend, tiles=tile_source())
    return render_map_document(m)
