"""Coverage maps for beheerders: member density on a metric grid, open sign-ups, old vs new areas.

Pure: plain data in, ``folium.Map`` out (no Flask, no database). Residents never appear as
points: they are counted per grid cell of ``cell_m`` metres (RD New) and cells with fewer than
``min_count`` are dropped. Every text that reaches the map is encoded here with map_text; the
caller passes the (translated) labels as plain text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import folium
import numpy as np

from buurt.geo.coords import from_rd, to_rd
from buurt.geo.folium_assets import TileSource, make_map
from buurt.geo.maps import (
    RIJNSOEVER_CENTER,
    Bounds,
    LegendSection,
    MapArea,
    add_areas,
    add_legend_sections,
    map_text,
)

__all__ = [
    "DENSITY_STEPS",
    "Cell",
    "LegendSection",
    "add_section_legend",
    "comparison_map",
    "coverage_map",
    "density_colour",
    "grid_cells",
    "k_anonymous_cells",
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


def density_colour(count: int) -> str:
    colour = DENSITY_STEPS[0][1]
    for lowest, step_colour in DENSITY_STEPS:
        if count >= lowest:
            colour = step_colour
    return colour


def _cell_indices(lat: np.ndarray, lon: np.ndarray, cell_m: float) -> np.ndarray:
    """(column, row) of the RD New ``cell_m`` square of each (finite) point, as an (n, 2) array."""
    x, y = to_rd(lon, lat)
    ix = np.floor(np.asarray(x) / cell_m).astype(np.int64)
    iy = np.floor(np.asarray(y) / cell_m).astype(np.int64)
    return np.stack([ix.reshape(-1), iy.reshape(-1)], axis=1)


def k_anonymous_cells(
    lats: Sequence[float], lons: Sequence[float], groups: Sequence[Hashable], *, cell_m: float, min_count: int
) -> frozenset[tuple[int, int]]:
    """The cells (column, row) in which every group has either no point or at least ``min_count``.

    Give it every member of every group: only these cells may be shown, in any view. A view (all
    groups, one group, ...) shows a cell's count for a set of groups, so it is a sum of per-group
    counts of that cell; when each of those is 0 or >= ``min_count``, so is every number that can
    be derived from any combination of views, differences included: all groups minus one group
    (23 - 22) is the other groups' count, itself 0 or >= ``min_count``. Hiding a small count only
    in the view where it stands alone is not enough, because the all-groups view still carries it.
    Cells that hold points without being allowed are simply not shown: a beheerder loses the cells
    where a neighbouring group has only a few members, which are few (on the borders).
    """
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return frozenset()
    keys = _cell_indices(lat[ok], lon[ok], cell_m)
    per_group = Counter(
        zip(keys[:, 0].tolist(), keys[:, 1].tolist(), np.asarray(groups, dtype=object)[ok].tolist(), strict=True)
    )
    small = {(col, row) for (col, row, _group), n in per_group.items() if n < min_count}
    return frozenset((col, row) for col, row, _group in per_group if (col, row) not in small)


def grid_cells(
    lats: Sequence[float],
    lons: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    cell_m: float = 100.0,
    min_count: int = 5,
    only: Collection[tuple[int, int]] | None = None,
) -> list[Cell]:
    """Count points per ``cell_m`` x ``cell_m`` RD New square; drop cells with fewer than ``min_count``.

    ``only``: the cells (column, row) that may be shown at all (see k_anonymous_cells); others are
    dropped whatever their count. A cell's label is the most common of its points' labels (ties:
    alphabetical), so a table can say "around <street>", and only when at least ``min_count`` of
    them share it (five members on five streets would otherwise name the street of one). Cells come
    sorted by count (descending), then north to south.
    """
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return []
    keys = _cell_indices(lat[ok], lon[ok], cell_m)
    unique, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    shown = counts >= min_count
    if only is not None:
        shown &= np.array([(int(col), int(row)) in only for col, row in unique.tolist()], dtype=bool)
    kept = np.nonzero(shown)[0]
    if not len(kept):
        return []
    # every corner and centre of every kept cell in one projection call
    x0 = unique[kept, 0].astype(np.float64) * cell_m
    y0 = unique[kept, 1].astype(np.float64) * cell_m
    offsets = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0], [0.5, 0.5]]) * cell_m
    all_x = (x0[:, None] + offsets[None, :, 0]).ravel()
    all_y = (y0[:, None] + offsets[None, :, 1]).ravel()
    lon_all, lat_all = (np.asarray(v).reshape(len(kept), 6) for v in from_rd(all_x, all_y))
    cell_labels = [""] * len(kept)
    if labels is not None:
        point_labels = np.asarray(labels, dtype=object)[ok]
        position = {int(cell): i for i, cell in enumerate(kept)}
        per_cell: list[Counter] = [Counter() for _ in kept]
        for cell, label in zip(inverse.tolist(), point_labels.tolist(), strict=True):
            i = position.get(cell)
            if i is not None and label:
                per_cell[i][str(label)] += 1
        common = [min(c.items(), key=lambda item: (-item[1], item[0])) if c else ("", 0) for c in per_cell]
        cell_labels = [label if n >= min_count else "" for label, n in common]  # never a street of fewer
    cells: list[Cell] = []
    for i, index in enumerate(kept):
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon_all[i, :5], lat_all[i, :5], strict=True)]
        cells.append(
            Cell(
                geometry={"type": "Polygon", "coordinates": [ring]},
                lat=float(lat_all[i, 5]),
                lon=float(lon_all[i, 5]),
                count=int(counts[index]),
                label=cell_labels[i],
            )
        )
    cells.sort(key=lambda c: (-c.count, -c.lat, c.lon))
    return cells


def add_section_legend(m: folium.Map, sections: Sequence[LegendSection]) -> None:
    """The coverage legend (lower right, above the attribution; the layer control takes the top right)."""
    add_legend_sections(m, sections)


def _cells_geojson(cells: Sequence[Cell], tip: str) -> dict:
    features = []
    for cell in cells:
        text = tip.format(count=cell.count, label=cell.label or "")
        features.append(
            {
                "type": "Feature",
                "properties": {"colour": density_colour(cell.count), "tip": map_text(text.strip())},
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
    tiles: TileSource | None = None,
) -> folium.Map:
    """Areas coloured by fill, member density cells (one GeoJSON layer) and open sign-ups per cell.

    ``density_tip``/``pending_tip`` are format strings with ``{count}`` and ``{label}``.
    """
    m = make_map(location=list(RIJNSOEVER_CENTER), zoom_start=15, height=height, max_zoom=18, tiles=tiles)
    bounds = Bounds()
    area_layer = folium.FeatureGroup(name=map_text(areas[0].name if len(areas) == 1 else "Gebieden"), control=False)
    add_areas(area_layer, areas, bounds)
    area_layer.add_to(m)
    if density:
        folium.GeoJson(
            _cells_geojson(density, density_tip),
            name=map_text(density_layer_name),
            style_function=lambda f: {
                "color": "#3f007d",
                "weight": 0.5,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)
    if pending:
        # one GeoJSON layer of points (not a marker element per cell): cheaper to build and to draw
        points = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "radius": round(6 + 2 * math.sqrt(cell.count), 1),
                        "tip": map_text(pending_tip.format(count=cell.count, label=cell.label or "").strip()),
                    },
                    "geometry": {"type": "Point", "coordinates": [cell.lon, cell.lat]},
                }
                for cell in pending
            ],
        }
        folium.GeoJson(
            points,
            name=map_text(pending_layer_name),
            marker=folium.CircleMarker(radius=8, fill=True),
            style_function=lambda f: {
                "radius": f["properties"]["radius"],
                "color": "#ffffff",
                "weight": 2,
                "fillColor": PENDING_COLOUR,
                "fillOpacity": 0.85,
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)
        for cell in pending:
            bounds.extend(cell.lat, cell.lon)
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
    tiles: TileSource | None = None,
) -> folium.Map:
    """New areas filled in their colours, old boundaries on top as dashed outlines without fill."""
    m = make_map(location=list(RIJNSOEVER_CENTER), zoom_start=15, height=height, max_zoom=18, tiles=tiles)
    bounds = Bounds()
    add_areas(m, new, bounds)
    for area in old:
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area.geometry},
            name=map_text(area.name),
            style_function=lambda _f: {
                "color": OLD_COLOUR,
                "weight": 2.5,
                "dashArray": "6 6",
                "fill": False,
                "fillOpacity": 0,
            },
            tooltip=folium.Tooltip(map_text(area.name), sticky=True),
        ).add_to(m)
        bounds.extend_geometry(area.geometry)
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    if legend:
        add_section_legend(m, legend)
    return m
