"""Incident maps: pure builders from plain data to an HTML document (no Flask, no database).

The wijkagent's map keeps one compact data array in the page (``window.BUURT_INCIDENTS``) that
the marker clusters, the heatmap and the month slider all read; no ``Marker`` per incident.
The data is injected after folium has rendered the document, so folium/Jinja never has to
handle tens of thousands of rows (that alone would cost more than the whole build).

Points carry numbers and a category index, and markers build their popups with ``textContent``
from a JSON payload that cannot end its script element. Every text folium or Leaflet shows as
HTML (tooltips, layer names: area names, labels) goes through map_text.

The public map gets only blurred grid cells (see ``buurt.incidents.blur``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import folium
import numpy as np
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster, HeatMap
from folium.template import Template

from buurt.geo.folium_assets import TileSource, localize_plugin, make_map, render_map_document
from buurt.geo.map_chrome import CLUSTER_PX
from buurt.geo.maps import (
    RIJNSOEVER_CENTER,
    Bounds,
    LegendItem,
    LegendSection,
    add_legend,
    add_legend_sections,
    map_text,
    tooltip_html,
)

MELDING_FILL, MELDING_EDGE = "#facc15", "#111827"
DATA_PLACEHOLDER = '"__BUURT_INCIDENT_DATA__"'
POINT_DECIMALS = 5
MIN_ZOOM = 11  # a neighbourhood map: fewer zoom levels also means less clustering work
UNUSED_ASSETS = frozenset(
    {"jquery", "awesome_markers", "awesome_markers_css", "awesome_markers_font_css", "awesome_rotate_css"}
)  # about 1 m: enough for a wijkagent, and keeps the document small


@dataclass(frozen=True, slots=True)
class IncidentPoint:
    """One incident for the exact map: ids and codes only (no text typed by anyone)."""

    id: int
    lat: float
    lon: float
    category: int  # index into IncidentMapLabels.categories
    month: int  # index into IncidentMapLabels.months
    minute: int  # occurred_at as minutes since the Unix epoch (UTC)


@dataclass(frozen=True, slots=True)
class MeldingPoint:
    lat: float
    lon: float
    title: str  # plain text, encoded here
    when: str


@dataclass(frozen=True, slots=True)
class OutlineArea:
    name: str
    geometry: dict  # GeoJSON, lon/lat


@dataclass(frozen=True, slots=True)
class IncidentMapLabels:
    """Our own display strings (Dutch); JSON-encoded into the page, shown with textContent."""

    categories: Sequence[str]
    colours: Sequence[str]
    months: Sequence[str]
    detail_url: str  # with "{id}" where the incident id goes
    open_label: str = "Incident openen"
    all_months: str = "Alle maanden"
    slider_label: str = "Tijd"
    clusters: str = "Incidenten (clusters)"
    heatmap: str = "Heatmap"
    meldingen: str = "Meldingen van de politie"
    areas: str = "Gebieden"
    legend_categories: str = "Soort incident"
    legend_meldingen: str = "Melding van de politie"
    extra: dict = field(default_factory=dict)


class IncidentCluster(FastMarkerCluster):
    """FastMarkerCluster over window.BUURT_INCIDENTS, with one bulk addLayers call."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                var D = window.BUURT_INCIDENTS;
                function marker(r) {
                    var m = L.circleMarker([r[0], r[1]], {
                        radius: 7, color: "#ffffff", weight: 1.5, fillColor: D.colours[r[2]], fillOpacity: 0.95
                    });
                    m.buurtRow = r;
                    m.buurtMonth = r[4];
                    return m;
                }
                function popup(r) {
                    var box = document.createElement("div");
                    var title = document.createElement("strong");
                    title.textContent = D.categories[r[2]];
                    box.appendChild(title);
                    box.appendChild(document.createElement("br"));
                    box.appendChild(document.createTextNode(
                        new Date(r[5] * 60000).toLocaleString(
                            document.documentElement.lang === "en" ? "en-GB" : "nl-NL",
                            {timeZone: "Europe/Amsterdam"})));
                    box.appendChild(document.createElement("br"));
                    var link = document.createElement("a");
                    link.href = D.detail.replace("{id}", String(r[3]));
                    link.target = "_top";
                    link.textContent = D.open + " #" + r[3];
                    box.appendChild(link);
                    return box;
                }
                var options = {{ this.options|tojavascript }};
                options.iconCreateFunction = function (c) {  // 44 px icons (the default is 40)
                    var n = c.getChildCount(), size = n < 10 ? "small" : n < 100 ? "medium" : "large";
                    var box = document.createElement("div"), count = document.createElement("span");
                    count.textContent = String(n);
                    box.appendChild(count);
                    return L.divIcon({html: box, className: "marker-cluster marker-cluster-" + size,
                                      iconSize: L.point({{ this.icon_px }}, {{ this.icon_px }})});
                };
                var cluster = L.markerClusterGroup(options);
                var markers = new Array(D.points.length);
                for (var i = 0; i < D.points.length; i++) { markers[i] = marker(D.points[i]); }
                cluster.buurtAll = markers;
                // One popup on demand instead of one bound to each of thousands of markers.
                cluster.on("click", function (e) {
                    L.popup().setLatLng(e.layer.getLatLng()).setContent(popup(e.layer.buurtRow))
                        .openOn({{ this._parent.get_name() }});
                });
                cluster.addLayers(markers);
                cluster.addTo({{ this._parent.get_name() }});
                return cluster;
            })();
        {% endmacro %}"""
    )

    def __init__(self, name: str, **options):
        super().__init__([], name=name, **options)
        self.icon_px = CLUSTER_PX


class IncidentHeat(HeatMap):
    """HeatMap over window.BUURT_INCIDENTS (no second copy of the points)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer(
                window.BUURT_INCIDENTS.points.map(function (r) { return [r[0], r[1]]; }),
                {{ this.options|tojavascript }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, name: str, **options):
        super().__init__([], name=name, **options)


class MonthSlider(MacroElement):
    """A time view: a slider over the months that filters the clusters and the heatmap."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var D = window.BUURT_INCIDENTS, map = {{ this._parent.get_name() }};
            var cluster = {{ this.cluster.get_name() }}, heat = {{ this.heat.get_name() }};
            var control = L.control({position: "bottomleft"});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", "leaflet-bar buurt-month-slider");
                box.style.cssText = "background:#fff;padding:6px 8px;min-width:220px;"
                    + "font:13px/1.4 system-ui,sans-serif";
                var label = document.createElement("label");
                label.textContent = D.sliderLabel + ": ";
                var out = document.createElement("output");
                out.className = "buurt-month-value";
                out.textContent = D.allMonths;
                label.appendChild(out);
                var input = document.createElement("input");
                input.type = "range"; input.min = "0"; input.max = String(D.months.length); input.value = "0";
                input.style.width = "100%";
                input.setAttribute("aria-label", D.sliderLabel);
                box.appendChild(label); box.appendChild(input);
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                input.addEventListener("input", function () {
                    var sel = Number(input.value) - 1;
                    var shown = sel < 0 ? cluster.buurtAll
                        : cluster.buurtAll.filter(function (m) { return m.buurtMonth === sel; });
                    cluster.clearLayers();
                    cluster.addLayers(shown);
                    heat.setLatLngs(D.points.filter(function (r) { return sel < 0 || r[4] === sel; })
                        .map(function (r) { return [r[0], r[1]]; }));
                    out.textContent = sel < 0 ? D.allMonths : D.months[sel] + " (" + shown.length + ")";
                });
                return box;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, cluster: IncidentCluster, heat: IncidentHeat):
        super().__init__()
        self._name = "MonthSlider"
        self.cluster = cluster
        self.heat = heat


class MaxZoom(MacroElement):
    """Cap the map's zoom level (the public map never zooms in to house level)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.setMaxZoom({{ this.max_zoom|int }});
        {% endmacro %}
        """
    )

    def __init__(self, max_zoom: int):
        super().__init__()
        self._name = "MaxZoom"
        self.max_zoom = max_zoom


def _add_outlines(m: folium.Map, areas: Sequence[OutlineArea], bounds: Bounds, name: str) -> None:
    group = folium.FeatureGroup(name=map_text(name), control=True)
    for area in areas:
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": area.geometry},
            style_function=lambda _f: {"color": "#374151", "weight": 1.5, "fillOpacity": 0.04, "dashArray": "4 4"},
            tooltip=folium.Tooltip(tooltip_html(area.name, ()), sticky=True),
            control=False,
        ).add_to(group)
        bounds.extend_geometry(area.geometry)
    group.add_to(m)


def incident_legend(labels: IncidentMapLabels) -> list[LegendSection]:
    """The wijkagent map's legend: a colour per category, and what a police melding looks like."""
    kinds = tuple(LegendItem(c, n) for c, n in zip(labels.colours, labels.categories, strict=True))
    return [
        LegendSection(labels.legend_categories, kinds, round=True),
        LegendSection("", (LegendItem(MELDING_FILL, labels.legend_meldingen),), round=True),
    ]


def _payload(points: Sequence[IncidentPoint], labels: IncidentMapLabels) -> str:
    lats = np.round(np.fromiter((p.lat for p in points), dtype=float, count=len(points)), POINT_DECIMALS).tolist()
    lons = np.round(np.fromiter((p.lon for p in points), dtype=float, count=len(points)), POINT_DECIMALS).tolist()
    data = {
        "points": [
            [lat, lon, p.category, p.id, p.month, p.minute] for lat, lon, p in zip(lats, lons, points, strict=True)
        ],
        "categories": list(labels.categories),
        "colours": list(labels.colours),
        "months": list(labels.months),
        "detail": labels.detail_url,
        "open": labels.open_label,
        "allMonths": labels.all_months,
        "sliderLabel": labels.slider_label,
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    # Safe inside <script>: no "</script>", no HTML comment openers.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def incident_map(
    points: Sequence[IncidentPoint],
    labels: IncidentMapLabels,
    *,
    meldingen: Sequence[MeldingPoint] = (),
    areas: Sequence[OutlineArea] = (),
    tiles: TileSource | None = None,
) -> folium.Map:
    """The wijkagent's exact map; render it with incident_map_document (which injects the data)."""
    m = make_map(
        location=list(RIJNSOEVER_CENTER), zoom_start=15, height="100%", max_zoom=19, min_zoom=MIN_ZOOM, tiles=tiles
    )
    # This map draws no awesome-markers icons: skip jQuery, awesome-markers and Font Awesome (less to load).
    m.default_js = [(n, u) for n, u in m.default_js if n not in UNUSED_ASSETS]
    m.default_css = [(n, u) for n, u in m.default_css if n not in UNUSED_ASSETS]
    m.get_root().header.add_child(
        Element(f"<script>window.BUURT_INCIDENTS = {DATA_PLACEHOLDER};</script>"), name="buurt_incident_data"
    )
    bounds = Bounds()
    _add_outlines(m, areas, bounds, labels.areas)
    cluster = localize_plugin(
        IncidentCluster(
            map_text(labels.clusters),
            showCoverageOnHover=False,
            maxClusterRadius=50,
            disableClusteringAtZoom=18,
        )
    )
    cluster.add_to(m)
    heat = localize_plugin(IncidentHeat(map_text(labels.heatmap), show=False, radius=18, blur=14, min_opacity=0.35))
    heat.add_to(m)
    group = folium.FeatureGroup(name=map_text(labels.meldingen), show=True)
    for melding in meldingen:
        folium.CircleMarker(
            [melding.lat, melding.lon],
            radius=10,
            color=MELDING_EDGE,
            weight=3,
            dash_array="3 3",
            fill_color=MELDING_FILL,
            fill_opacity=0.9,
            tooltip=tooltip_html(melding.title, (melding.when,)),
        ).add_to(group)
    group.add_to(m)
    m.add_child(MonthSlider(cluster, heat))
    folium.LayerControl(collapsed=True).add_to(m)
    add_legend_sections(m, incident_legend(labels))
    if points:
        lats = [p.lat for p in points]
        lons = [p.lon for p in points]
        bounds.extend(min(lats), min(lons))
        bounds.extend(max(lats), max(lons))
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12))
    m.buurt_payload = _payload(points, labels)  # picked up by incident_map_document
    return m


def incident_map_document(m: folium.Map) -> str:
    """The map from incident_map as one HTML document, with its data injected."""
    html = render_map_document(m)
    return html.replace(DATA_PLACEHOLDER, m.buurt_payload, 1)


@dataclass(frozen=True, slots=True)
class PublicCellShape:
    """A blurred cell for the public map: grid-aligned corners and counts only."""

    ring: Sequence[tuple[float, float]]  # lon, lat
    count: int
    lines: Sequence[str]  # plain text, e.g. "2 × Fietsdiefstal"


CELL_STEPS = ((1, "#fde68a"), (3, "#f59e0b"), (6, "#d97706"), (10**9, "#b45309"))


def cell_colour(count: int) -> str:
    for limit, colour in CELL_STEPS:
        if count <= limit:
            return colour
    return CELL_STEPS[-1][1]


def public_incident_map(
    cells: Sequence[PublicCellShape],
    areas: Sequence[OutlineArea],
    *,
    max_zoom: int,
    title_of: dict[str, str],
    legend_title: str,
    legend: Sequence[tuple[str, str]],
    tiles: TileSource | None = None,
) -> folium.Map:
    """The public map: area outlines and blurred cells, never deeper than max_zoom."""
    m = make_map(
        tiles=tiles,
        location=list(RIJNSOEVER_CENTER),
        zoom_start=min(14, max_zoom),
        height="100%",
        max_zoom=max_zoom,
        min_zoom=11,
    )
    m.add_child(MaxZoom(max_zoom))
    bounds = Bounds()
    _add_outlines(m, areas, bounds, title_of.get("areas", "Gebieden"))
    for cell in cells:
        colour = cell_colour(cell.count)
        folium.GeoJson(
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [list(map(list, cell.ring))]},
            },
            style_function=lambda _f, c=colour: {"color": "#78350f", "weight": 1, "fillColor": c, "fillOpacity": 0.6},
            tooltip=folium.Tooltip(tooltip_html(title_of["cell"].format(n=cell.count), cell.lines)),
            control=False,
        ).add_to(m)
    if bounds.seen:
        m.fit_bounds(bounds.as_folium(), padding=(12, 12), max_zoom=max_zoom)
    add_legend(m, legend_title, [LegendItem(c, label) for c, label in legend])
    return m


def public_incident_map_document(m: folium.Map) -> str:
    return render_map_document(m)
