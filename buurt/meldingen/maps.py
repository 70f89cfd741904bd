"""The melding result map: a pure folium builder from plain data (no Flask, no database).

The point, a circle of the radius, the target groups' areas highlighted and the neighbours dashed.
Every label is escaped by buurt.geo.maps (tooltips) or here (the legend and the circle).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import folium

from buurt.geo.folium_assets import make_map
from buurt.geo.maps import Bounds, LegendItem, MapArea, add_areas, add_legend

TARGET_COLOUR = "#d97706"
NEIGHBOUR_COLOUR = "#9ca3af"
CIRCLE_COLOUR = "#b42318"
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, slots=True)
class MapGroup:
    """A routed group: its name, its areas' GeoJSON geometries (lon/lat) and its distance."""

    name: str
    geometries: tuple[dict, ...]
    distance_m: float
    is_neighbour: bool
    distance_label: str


def routing_map(
    lat: float, lon: float, radius_m: float, groups: Sequence[MapGroup], labels: Mapping[str, str]
) -> folium.Map:
    """A map of one routing; `labels` holds the (translated) legend and tooltip words."""
    m = make_map(location=[lat, lon], zoom_start=15, max_zoom=19)
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
        tooltip=escape(labels["radius"]),
    ).add_to(m)
    folium.Marker(
        [lat, lon], tooltip=escape(labels["point"]), icon=folium.Icon(prefix="fa", icon="bell", color="red")
    ).add_to(m)
    dlat = radius_m / _M_PER_DEG_LAT
    dlon = radius_m / (_M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    bounds.extend(lat - dlat, lon - dlon)
    bounds.extend(lat + dlat, lon + dlon)
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
