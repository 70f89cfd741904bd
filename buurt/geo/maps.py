"""Folium builders: pure functions from plain data to a folium.Map (no Flask, no database).

Every string that reaches a map goes through ``map_text`` first (tooltips, layer names, legends,
GeoJSON tooltip values); ``render_map_document`` refuses a map where one did not.
Assets come from our own static files (buurt.geo.folium_assets); the background tiles from the
``TileSource`` the caller passes (the configured provider).

A map around one person's own point (the lookup answer's "Uw adres") never opens deeper than
``point_max_zoom`` (the public max zoom): the tiles it loads would otherwise draw their house
for the tile server. They can still zoom in by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import folium

from buurt.geo.coords import lonlat_to_latlon
from buurt.geo.folium_assets import TileSource, make_map, map_text, render_map_document
from buurt.geo.map_chrome import MapLegend

__all__ = ["map_text"]  # re-exported: builders elsewhere import it from here with the rest

RIJNSOEVER_CENTER = (52.2118, 4.4235)  # lat, lon
#: The deepest first view of a map around someone's own point (the web layer passes PUBLIC_MAX_ZOOM).
POINT_MAX_ZOOM = 15

# Fill-level colours (colour-blind safe ramp from light to dark, plus red when full)
FILL_STEPS = ((0.5, "#c7e9c0"), (0.75, "#74c476"), (0.9, "#31a354"), (1.0, "#d97706"))
FULL_COLOUR = "#b42318"
NO_DATA_COLOUR = "#9ca3af"


def fill_colour(fill: float | None) -> str:
    """Colour for a fill fraction (members / capacity)."""
    if fill is None:
        return NO_DATA_COLOUR
    for limit, colour in FILL_STEPS:  # the last step ends at 1.0: full (and over-full) falls through
        if fill < limit:
            return colour
    return FULL_COLOUR


@dataclass(frozen=True, slots=True)
class MapArea:
    """An area to draw: GeoJSON geometry (lon/lat), a name and tooltip lines (plain text)."""

    key: str
    name: str
    geometry: dict
    fill: float | None = None
    lines: tuple[str, ...] = ()
    colour: str | None = None
    highlight: bool = False
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class LegendItem:
    colour: str
    label: str


@dataclass(slots=True)
class Bounds:
    south: float = 90.0
    west: float = 180.0
    north: float = -90.0
    east: float = -180.0
    seen: bool = field(default=False)

    def extend_geometry(self, geometry: dict) -> None:
        for lon, lat in _coords(geometry):
            self.extend(lat, lon)

    def extend(self, lat: float, lon: float) -> None:
        self.south, self.north = min(self.south, lat), max(self.north, lat)
        self.west, self.east = min(self.west, lon), max(self.east, lon)
        self.seen = True

    def as_folium(self) -> list[list[float]]:
        return [[self.south, self.west], [self.north, self.east]]


def _coords(geometry: dict):
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def tooltip_html(title: str, lines: Sequence[str]) -> str:
    """A tooltip from plain text: encoded with map_text, title bold."""
    body = "".join(f"<br>{map_text(line)}" for line in lines)
    return f"<strong>{map_text(title)}</strong>{body}"


def add_areas(
    m: folium.Map | folium.FeatureGroup,
    areas: Sequence[MapArea],
    bounds: Bounds | None = None,
) -> None:
    """Draw areas as GeoJSON polygons with a map_text-encoded tooltip each."""
    for area in areas:
        colour = area.colour or fill_colour(area.fill)
        style = {
            "color": "#1f2937" if area.highlight else "#374151",
            "weight": 4 if area.highlight else 1.5,
            "fillColor": colour,
            "fillOpacity": 0.55 if area.highlight else 0.4,
            "dashArray": "6 6" if area.dashed else None,
        }
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area.geometry},
            name=map_text(area.name),
            style_function=lambda _f, s=style: s,
            highlight_function=lambda _f: {"weight": 3},
            tooltip=folium.Tooltip(tooltip_html(area.name, area.lines), sticky=True),
        ).add_to(m)
        if bounds is not None:
            bounds.extend_geometry(area.geometry)


@dataclass(frozen=True, slots=True)
class LegendSection:
    """A titled group of legend rows."""

    title: str
    items: tuple[LegendItem, ...]
    round: bool = False  # draw circles instead of squares


def legend_body(sections: Sequence[LegendSection]) -> str:
    """The rows of a legend as HTML (plain text in, every text through map_text)."""
    parts = []
    for section in sections:
        radius = "50%" if section.round else "2px"
        rows = "".join(
            f'<div class="map-legend-row"><span class="map-legend-swatch" '
            f'style="background:{map_text(i.colour)};border-radius:{radius}"></span>'
            f"<span>{map_text(i.label)}</span></div>"
            for i in section.items
        )
        title = f"<strong>{map_text(section.title)}</strong>" if section.title else ""
        parts.append(f"<div>{title}{rows}</div>")
    return "".join(parts)


def add_legend_sections(m: folium.Map, sections: Sequence[LegendSection]) -> None:
    """One folding legend with titled sections, in the lower right corner (see buurt.geo.map_chrome)."""
    m.add_child(MapLegend(legend_body(sections)), name="legend")


def add_legend(m: folium.Map, title: str, items: Sequence[LegendItem]) -> None:
    """A legend box with one titled list of colours."""
    add_legend_sections(m, [LegendSection(title, tuple(items))])


def fill_legend(labels: dict[str, str]) -> list[LegendItem]:
    """Legend for fill_colour; labels keyed 'lt50', 'lt75', 'lt90', 'lt100', 'full'."""
    return [
        LegendItem(FILL_STEPS[0][1], labels["lt50"]),
        LegendItem(FILL_STEPS[1][1], labels["lt75"]),
        LegendItem(FILL_STEPS[2][1], labels["lt90"]),
        LegendItem(FILL_STEPS[3][1], labels["lt100"]),
        LegendItem(FULL_COLOUR, labels["full"]),
    ]


def areas_map(
    areas: Sequence[MapArea],
    *,
    legend_title: str | None = None,
    legend: Sequence[LegendItem] = (),
    point: tuple[float, float] | None = None,
    point_label: str | None = None,
    height: str = "100%",
    max_zoom: int = 19,
    tiles: TileSource | None = None,
    point_max_zoom: int = POINT_MAX_ZOOM,
) -> folium.Map:
    """Areas coloured by fill level, optionally with one marked point (lat, lon).

    With a point, the first view fits it no deeper than ``point_max_zoom``.
    """
    m, bounds = _areas_base(areas, height=height, max_zoom=max_zoom, tiles=tiles)
    if point is not None:
        lat, lon = point
        _add_point(m, lat, lon, point_label)
        bounds.extend(lat, lon)
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12), max_zoom=point_max_zoom if point is not None else None)
    if legend:
        add_legend(m, legend_title or "", legend)
    return m


def _areas_base(
    areas: Sequence[MapArea], *, height: str, max_zoom: int, tiles: TileSource | None
) -> tuple[folium.Map, Bounds]:
    m = make_map(
        location=list(RIJNSOEVER_CENTER),
        zoom_start=15,
        height=height,
        max_zoom=max_zoom,
        tiles=tiles,
        zoom_snap=0.25,  # fractional zoom: the areas fill the frame on a phone too
    )
    bounds = Bounds()
    add_areas(m, areas, bounds)
    return m, bounds


def _add_point(m: folium.Map, lat: float, lon: float, label: str | None) -> None:
    folium.Marker(
        [lat, lon],
        tooltip=map_text(label) if label else None,
        icon=folium.Icon(prefix="fa", icon="house", color="blue"),
    ).add_to(m)


# Stand-ins for the numbers a PointMapTemplate fills in: no real coordinate or bound looks like them,
# and each is rendered by folium's `tojson` exactly as json.dumps renders a float.
_SLOTS = {
    "lat": -81.0123456789012,
    "lon": -171.0123456789012,
    "south": -82.0123456789012,
    "west": -172.0123456789012,
    "north": -83.0123456789012,
    "east": -173.0123456789012,
}


class TemplateError(ValueError):
    """A folium upgrade rendered the template's stand-in numbers differently (or more than once)."""


@dataclass(frozen=True, slots=True)
class PointMapTemplate:
    """An areas_map document rendered once, with the point and the view that fits it left open.

    ``render(lat, lon)`` gives the document areas_map(areas, point=(lat, lon), point_label=...)
    renders, without building or rendering folium again: only numbers go in, each through
    json.dumps of a finite float, so nothing the asker typed can reach the document.
    """

    parts: tuple[str, ...]  # the document split at the open numbers
    slots: tuple[str, ...]  # which number goes after each part but the last ("lat", "south", ...)
    area_bounds: tuple[float, float, float, float] | None  # south, west, north, east of the areas

    def render(self, lat: float, lon: float) -> str:
        lat, lon = float(lat), float(lon)
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError("a map point needs finite coordinates")
        bounds = Bounds() if self.area_bounds is None else Bounds(*self.area_bounds)
        bounds.extend(lat, lon)
        values = {
            "lat": lat,
            "lon": lon,
            "south": bounds.south,
            "west": bounds.west,
            "north": bounds.north,
            "east": bounds.east,
        }
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out.append(json.dumps(values[slot]))
            out.append(part)
        return "".join(out)


def point_map_template(
    areas: Sequence[MapArea],
    *,
    point_label: str | None = None,
    height: str = "100%",
    max_zoom: int = 19,
    tiles: TileSource | None = None,
    point_max_zoom: int = POINT_MAX_ZOOM,
) -> PointMapTemplate:
    """The document of areas_map(areas, point=..., point_label=..., tiles=..., point_max_zoom=...)
    with the point left open."""
    m, bounds = _areas_base(areas, height=height, max_zoom=max_zoom, tiles=tiles)
    area_bounds = (bounds.south, bounds.west, bounds.north, bounds.east) if bounds.seen else None
    _add_point(m, _SLOTS["lat"], _SLOTS["lon"], point_label)
    view = [[_SLOTS["south"], _SLOTS["west"]], [_SLOTS["north"], _SLOTS["east"]]]
    m.fit_bounds(view, padding=(12, 12), max_zoom=point_max_zoom)
    document = render_map_document(m)
    found = []
    for slot, value in _SLOTS.items():
        text = json.dumps(value)
        if document.count(text) != 1:
            raise TemplateError(f"the stand-in for {slot} appears {document.count(text)} times, not once")
        found.append((document.index(text), slot, text))
    parts, slots, start = [], [], 0
    for position, slot, text in sorted(found):
        parts.append(document[start:position])
        slots.append(slot)
        start = position + len(text)
    parts.append(document[start:])
    return PointMapTemplate(tuple(parts), tuple(slots), area_bounds)


def geometry_latlon_rings(geometry: dict) -> list[list[list[float]]]:
    """Exterior rings as [lat, lon] lists, for folium.Polygon where GeoJson does not fit."""
    kind, coords = geometry["type"], geometry["coordinates"]
    polygons = [coords] if kind == "Polygon" else coords
    return [[list(lonlat_to_latlon((lon, lat))) for lon, lat in polygon[0]] for polygon in polygons]
