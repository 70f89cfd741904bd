"""Coverage maps for beheerders: member density on a metric grid, open sign-ups, old vs new areas.

Pure: plain data in, ``folium.Map`` out (no Flask, no database). Residents never appear as
points: they are counted per grid cell of ``cell_m`` metres (RD New) and cells with fewer than
``min_count`` are dropped. Every text that reaches the map is HTML-escaped here; the caller
passes the (translated) labels.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import folium
import numpy as np

from buurt.geo.coords import from_rd, to_rd
from buurt.geo.folium_assets import make_map
from buurt.geo.maps import RIJNSOEVER_CENTER, Bounds, LegendItem, MapArea, add_areas

__all__ = [
    "DENSITY_STEPS",
    "Cell",
    "LegendSection",
    "add_section_legend",
    "comparison_map",
    "coverage_map",
    "density_colour",
    "grid_cells",
]

#: (lowest count, colour) from light to dark purple; distinct from the green/orange fill ramp.
DENSITY_STEPS: tuple[tuple[int, str], ...] = ((5, "#dadaeb"), (10, "#bcbddc"), (20, "#9e9ac8"), (50, "#6a51a3"))
PENDING_COLOUR = "#1d4ed8"
OLD_COLOUR = "#111827"


@dataclass(frozen=True, slots=True)
class Cell:
    """A grid cell: its square (GeoJSON, lon/lat), centre, how many fell in it, and a label (e.g. a street)."""

    geometry: dict
    lat: float
    lon: float
    count: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class LegendSection:
    title: str
    items: tuple[LegendItem, ...]
    round: bool = False  # draw circles instead of squares


def density_colour(count: int) -> str:
    colour = DENSITY_STEPS[0][1]
    for lowest, step_colour in DENSITY_STEPS:
        if count >= lowest:
            colour = step_colour
    return colour


def grid_cells(
    lats: Sequence[float],
    lons: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    cell_m: float = 100.0,
    min_count: int = 5,
) -> list[Cell]:
    """Count points per ``cell_m`` x ``cell_m`` RD New square; drop cells with fewer than ``min_count``.

    A cell's label is the most common of its points' labels (ties: alphabetical), so a
    table can say "around <street>". Cells come sorted by count (descending), then north to south.
    """
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return []
    x, y = to_rd(lon[ok], lat[ok])
    ix = np.floor(np.asarray(x) / cell_m).astype(np.int64)
    iy = np.floor(np.asarray(y) / cell_m).astype(np.int64)
    keys = np.stack([ix, iy], axis=1)
    unique, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    kept = np.nonzero(counts >= min_count)[0]
    if not len(kept):
        return []
    point_labels = np.asarray(labels, dtype=object)[ok] if labels is not None else None
    cells: list[Cell] = []
    for index in kept:
        cx, cy = unique[index]
        x0, y0 = float(cx) * cell_m, float(cy) * cell_m
        corner_x = np.array([x0, x0 + cell_m, x0 + cell_m, x0, x0])
        corner_y = np.array([y0, y0, y0 + cell_m, y0 + cell_m, y0])
        ring_lon, ring_lat = from_rd(corner_x, corner_y)
        centre_lon, centre_lat = from_rd(x0 + cell_m / 2, y0 + cell_m / 2)
        label = ""
        if point_labels is not None:
            names = Counter(str(v) for v in point_labels[inverse == index] if v)
            if names:
                label = min(names.items(), key=lambda item: (-item[1], item[0]))[0]
        cells.append(
            Cell(
                geometry={
                    "type": "Polygon",
                    "coordinates": [[[round(float(a), 6), round(float(b), 6)] for a, b in zip(ring_lon, ring_lat, strict=True)]],
                },
                lat=float(centre_lat),
                lon=float(centre_lon),
                count=int(counts[index]),
                label=label,
            )
        )
    cells.sort(key=lambda c: (-c.count, -c.lat, c.lon))
    return cells


def add_section_legend(m: folium.Map, sections: Sequence[LegendSection]) -> None:
    """One legend box (lower left) with several titled sections; plain text, escaped."""
    parts = []
    for section in sections:
        radius = "50%" if section.round else "2px"
        rows = "".join(
            f'<div><span style="display:inline-block;width:14px;height:14px;background:{escape(i.colour)};'
            f'border:1px solid #555;border-radius:{radius};margin-right:6px;vertical-align:middle"></span>'
            f"{escape(i.label)}</div>"
            for i in section.items
        )
        parts.append(f'<div style="margin-top:4px"><strong>{escape(section.title)}</strong>{rows}</div>')
    html = (
        '<div class="map-legend" role="region" aria-label="legenda" style="position:absolute;bottom:24px;left:10px;'
        "z-index:800;background:#fff;padding:6px 8px;border:1px solid #999;border-radius:4px;"
        'font:13px/1.4 system-ui,sans-serif;max-width:60%">' + "".join(parts) + "</div>"
    )
    m.get_root().html.add_child(folium.Element(html))


def _cells_geojson(cells: Sequence[Cell], tip: str) -> dict:
    features = []
    for cell in cells:
        text = tip.format(count=cell.count, label=cell.label or "")
        features.append(
            {
                "type": "Feature",
                "properties": {"colour": density_colour(cell.count), "tip": escape(text.strip())},
                "geometry": cell.geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def coverage_map(
    areas: Sequence[MapArea],
    density: Sequence[Cell] = (),
    pending: Sequence[Cell] = (),
    *,
    legend: Sequence[LegendSection] = (),
    density_layer_name: str = "Leden per vak",
    density_tip: str = "{count} leden {label}",
    pending_layer_name: str = "Aanmeldingen",
    pending_tip: str = "{count} aanmeldingen {label}",
    height: str = "100%",
) -> folium.Map:
    """Areas coloured by fill, member density cells (one GeoJSON layer) and open sign-ups per cell.

    ``density_tip``/``pending_tip`` are format strings with ``{count}`` and ``{label}``.
    """
    m = make_map(location=list(RIJNSOEVER_CENTER), zoom_start=15, height=height, max_zoom=18)
    bounds = Bounds()
    area_layer = folium.FeatureGroup(name=escape(areas[0].name if len(areas) == 1 else "Gebieden"), control=False)
    add_areas(area_layer, areas, bounds)
    area_layer.add_to(m)
    if density:
        folium.GeoJson(
            _cells_geojson(density, density_tip),
            name=escape(density_layer_name),
            style_function=lambda f: {
                "color": "#3f007d",
                "weight": 0.5,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)
    if pending:
        layer = folium.FeatureGroup(name=escape(pending_layer_name))
        for cell in pending:
            text = pending_tip.format(count=cell.count, label=cell.label or "").strip()
            folium.CircleMarker(
                [cell.lat, cell.lon],
                radius=6 + 2 * math.sqrt(cell.count),
                color="#fff",
                weight=2,
                fill=True,
                fill_color=PENDING_COLOUR,
                fill_opacity=0.85,
                tooltip=escape(text),
            ).add_to(layer)
            bounds.extend(cell.lat, cell.lon)
        layer.add_to(m)
    if density or pending:
        folium.LayerControl(collapsed=True).add_to(m)
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    if legend:
        add_section_legend(m, legend)
    return m


def comparison_map(
    old: Sequence[MapArea],
    new: Sequence[MapArea],
    *,
    legend: Sequence[LegendSection] = (),
    height: str = "100%",
) -> folium.Map:
    """New areas filled in their colours, old boundaries on top as dashed outlines without fill."""
    m = make_map(location=list(RIJNSOEVER_CENTER), zoom_start=15, height=height, max_zoom=18)
    bounds = Bounds()
    add_areas(m, new, bounds)
    for area in old:
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area.geometry},
            name=escape(area.name),
            style_function=lambda _f: {
                "color": OLD_COLOUR,
                "weight": 2.5,
                "dashArray": "6 6",
                "fill": False,
                "fillOpacity": 0,
            },
            tooltip=folium.Tooltip(escape(area.name), sticky=True),
        ).add_to(m)
        bounds.extend_geometry(area.geometry)
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    if legend:
        add_section_legend(m, legend)
    return m
