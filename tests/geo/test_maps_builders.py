"""What the map builders draw: colours at every fill limit, area styles, the view, the own point, the legend.

Pure (no app): the builders of buurt.geo.maps and buurt.geo.coverage are called directly and the map
they return is read back (its elements, or the rendered document).
"""

from __future__ import annotations

import json
import math
import re

import folium
import pytest

from buurt.geo.coverage import PENDING_COLOUR, Cell, comparison_map, coverage_map
from buurt.geo.folium_assets import render_map_document
from buurt.geo.map_chrome import MapLegend
from buurt.geo.maps import (
    FILL_STEPS,
    FULL_COLOUR,
    NO_DATA_COLOUR,
    RIJNSOEVER_CENTER,
    Bounds,
    LegendItem,
    LegendSection,
    MapArea,
    areas_map,
    fill_colour,
    fill_legend,
    geometry_latlon_rings,
    legend_body,
    point_map_template,
)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.41, 52.21], [4.42, 52.21], [4.42, 52.215], [4.41, 52.215], [4.41, 52.21]]],
}
FAR = {  # a MultiPolygon of two squares east and north of SQUARE
    "type": "MultiPolygon",
    "coordinates": [
        [[[4.43, 52.22], [4.44, 52.22], [4.44, 52.23], [4.43, 52.23], [4.43, 52.22]]],
        [[[4.45, 52.24], [4.46, 52.24], [4.46, 52.25], [4.45, 52.25], [4.45, 52.24]]],
    ],
}
FOLIUM_ID = re.compile(r"([a-z_]+)_([0-9a-f]{32})(?![0-9a-f])")
FIT = re.compile(r"fitBounds\(\s*(\[\[.*?\]\])\s*,\s*(\{.*?\})\s*\)", re.S)
MAP_OPTIONS = re.compile(r"L\.map\(\s*\"[a-z_0-9]+\",\s*\{\s*center: (\[[^\]]*\]),.*?\.\.\.(\{.*?\})\s*\}\s*\);", re.S)
LABELS = {"lt50": "< 50%", "lt75": "50-75%", "lt90": "75-90%", "lt100": "90-100%", "full": "vol"}


def same_ids(document: str) -> str:
    """folium names every element with a random hex id: number them in order of appearance."""
    seen: dict[str, str] = {}
    return FOLIUM_ID.sub(lambda m: seen.setdefault(m.group(0), f"{m.group(1)}_{len(seen)}"), document)


def js_object(text: str) -> dict:
    return json.loads(re.sub(r",\s*}", "}", text))


def fits(document: str) -> list[tuple[list, dict]]:
    return [(json.loads(bounds), js_object(options)) for bounds, options in FIT.findall(document)]


def map_options(document: str) -> tuple[list[float], dict]:
    [(center, options)] = MAP_OPTIONS.findall(document)
    return json.loads(center), js_object(options)


def geojson_layers(m: folium.Map | folium.FeatureGroup) -> list[folium.GeoJson]:
    found = []
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            found.append(child)
        elif isinstance(child, folium.FeatureGroup):
            found += geojson_layers(child)
    return found


def legends(m: folium.Map) -> list[str]:
    return [child.body for child in m._children.values() if isinstance(child, MapLegend)]


# --- fill colours: both sides of every limit ------------------------------------------------------


@pytest.mark.parametrize(
    ("fill", "colour"),
    [
        (None, NO_DATA_COLOUR),
        (0.0, "#c7e9c0"),
        (0.4999, "#c7e9c0"),
        (0.5, "#74c476"),
        (0.7499, "#74c476"),
        (0.75, "#31a354"),
        (0.8999, "#31a354"),
        (0.9, "#d97706"),
        (0.9999, "#d97706"),
        (1.0, FULL_COLOUR),
        (1.5, FULL_COLOUR),
    ],
)
def test_fill_colour_at_both_sides_of_every_limit(fill, colour):
    assert fill_colour(fill) == colour


def test_the_colours_are_distinct_and_full_is_red():
    colours = [c for _limit, c in FILL_STEPS] + [FULL_COLOUR, NO_DATA_COLOUR]
    assert len(set(colours)) == len(colours)
    assert FULL_COLOUR == "#b42318"
    assert NO_DATA_COLOUR == "#9ca3af"


def test_the_fill_legend_explains_exactly_the_colours_fill_colour_draws():
    assert fill_legend(LABELS) == [
        LegendItem(fill_colour(0.0), "< 50%"),
        LegendItem(fill_colour(0.5), "50-75%"),
        LegendItem(fill_colour(0.75), "75-90%"),
        LegendItem(fill_colour(0.9), "90-100%"),
        LegendItem(fill_colour(1.0), "vol"),
    ]


# --- areas ----------------------------------------------------------------------------------------


def test_area_styles_plain_highlighted_dashed_and_coloured():
    areas = [
        MapArea("a", "Gewoon", SQUARE, fill=0.6),
        MapArea("b", "Uw groep", SQUARE, fill=0.95, highlight=True),
        MapArea("c", "Voorstel", SQUARE, dashed=True),
        MapArea("d", "Eigen kleur", SQUARE, fill=0.1, colour="#123456"),
    ]
    layers = geojson_layers(areas_map(areas))
    styles = [layer.style_function({}) for layer in layers]
    plain = {"color": "#374151", "weight": 1.5, "fillOpacity": 0.4, "dashArray": None}
    assert styles == [
        plain | {"fillColor": "#74c476"},
        {"color": "#1f2937", "weight": 4, "fillColor": "#d97706", "fillOpacity": 0.55, "dashArray": None},
        plain | {"fillColor": NO_DATA_COLOUR, "dashArray": "6 6"},
        plain | {"fillColor": "#123456"},
    ]
    assert [layer.highlight_function({}) for layer in layers] == [{"weight": 3}] * 4
    assert [layer.layer_name for layer in layers] == ["Gewoon", "Uw groep", "Voorstel", "Eigen kleur"]
    assert [layer.data["features"] for layer in layers] == [
        [{"type": "Feature", "properties": {}, "geometry": SQUARE, "id": "0"}]
    ] * 4
    for layer in layers:
        [tooltip] = [c for c in layer._children.values() if isinstance(c, folium.Tooltip)]
        assert tooltip.options == {"sticky": True}


def test_bounds_cover_every_corner_of_polygons_and_multipolygons():
    bounds = Bounds()
    assert not bounds.seen
    bounds.extend_geometry(SQUARE)
    assert bounds.seen
    assert bounds.as_folium() == [[52.21, 4.41], [52.215, 4.42]]
    bounds.extend_geometry(FAR)
    assert bounds.as_folium() == [[52.21, 4.41], [52.25, 4.46]]
    bounds.extend(52.0, 4.0)
    assert bounds.as_folium() == [[52.0, 4.0], [52.25, 4.46]]


def test_latlon_rings_of_polygons_and_multipolygons():
    assert geometry_latlon_rings(SQUARE) == [
        [[52.21, 4.41], [52.21, 4.42], [52.215, 4.42], [52.215, 4.41], [52.21, 4.41]]
    ]
    rings = geometry_latlon_rings(FAR)
    assert [ring[0] for ring in rings] == [[52.22, 4.43], [52.24, 4.45]]
    assert [len(ring) for ring in rings] == [5, 5]


# --- the view -------------------------------------------------------------------------------------


def test_a_map_of_areas_opens_on_rijnsoever_and_fits_the_areas():
    document = render_map_document(areas_map([MapArea("a", "A", SQUARE), MapArea("b", "B", FAR)], height="300px"))
    center, options = map_options(document)
    assert center == list(RIJNSOEVER_CENTER) == [52.2118, 4.4235]
    assert (options["zoom"], options["zoomSnap"], options["maxZoom"]) == (15, 0.25, 19)
    assert "height: 300.0px;" in document
    assert fits(document) == [([[52.21, 4.41], [52.25, 4.46]], {"padding": [12, 12]})]


def test_a_map_without_areas_or_point_keeps_the_default_view():
    document = render_map_document(areas_map([], max_zoom=17))
    assert map_options(document)[1]["maxZoom"] == 17
    assert fits(document) == []


def test_ones_own_point_is_a_blue_house_in_view_no_deeper_than_the_cap():
    m = areas_map([MapArea("a", "A", SQUARE)], point=(52.3, 4.5), point_label="Uw adres", point_max_zoom=14)
    document = render_map_document(m)
    assert re.search(r"L\.marker\(\s*\[52\.3, 4\.5\]", document)
    assert re.search(r'"markerColor": "blue".*"icon": "house",\s*"prefix": "fa"', document, re.S)
    assert fits(document) == [([[52.21, 4.41], [52.3, 4.5]], {"maxZoom": 14, "padding": [12, 12]})]
    default = render_map_document(areas_map([], point=(52.3, 4.5)))
    assert fits(default) == [([[52.3, 4.5], [52.3, 4.5]], {"maxZoom": 15, "padding": [12, 12]})]


def test_a_legend_has_its_title_and_rows_or_is_left_out():
    m = areas_map([MapArea("a", "A", SQUARE)], legend_title="Bezetting", legend=fill_legend(LABELS))
    [body] = legends(m)
    assert body.startswith("<div><strong>Bezetting</strong>")
    assert body.count('class="map-legend-row"') == 5
    [untitled] = legends(areas_map([], legend=[LegendItem("#fff", "wit")]))
    assert untitled.startswith('<div><div class="map-legend-row">')
    assert legends(areas_map([], legend_title="Bezetting")) == []


# --- the cached lookup map ------------------------------------------------------------------------


@pytest.mark.parametrize("point", [(52.212, 4.415), (52.30, 4.50), (52.10, 4.30)])
def test_the_template_renders_what_areas_map_renders(point):
    areas = [MapArea("a", "Gebied A", SQUARE, lines=("regel",), highlight=True), MapArea("b", "B", FAR)]
    template = point_map_template(areas, point_label="Uw adres", height="320px", max_zoom=18, point_max_zoom=13)
    fresh = areas_map(areas, point=point, point_label="Uw adres", height="320px", max_zoom=18, point_max_zoom=13)
    assert same_ids(template.render(*point)) == same_ids(render_map_document(fresh))


def test_the_template_without_areas_views_the_point_alone():
    template = point_map_template([], point_label="Uw adres")
    assert template.area_bounds is None
    fresh = render_map_document(areas_map([], point=(52.21, 4.41), point_label="Uw adres"))
    assert same_ids(template.render(52.21, 4.41)) == same_ids(fresh)


@pytest.mark.parametrize("bad", [(math.nan, 4.41), (52.21, math.nan), (math.inf, 4.41), (52.21, -math.inf)])
def test_the_template_takes_only_finite_coordinates(bad):
    template = point_map_template([MapArea("a", "A", SQUARE)])
    with pytest.raises(ValueError, match="finite"):
        template.render(*bad)


def test_the_template_takes_numbers_given_as_text_as_numbers():
    template = point_map_template([MapArea("a", "A", SQUARE)])
    assert template.render("52.3", "4.5") == template.render(52.3, 4.5)


# --- coverage and comparison maps -----------------------------------------------------------------


def test_coverage_map_layers_styles_and_view():
    cells = [Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=n) for n in (5, 12)]
    pending = [Cell(geometry=SQUARE, lat=52.3, lon=4.5, count=5)]
    m = coverage_map([MapArea("a", "Enig gebied", SQUARE)], cells, pending, height="400px")
    area_group = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup))
    assert (area_group.layer_name, area_group.control) == ("Enig gebied", False)
    area_layer, density, points = geojson_layers(m)
    assert area_layer.style_function({})["fillColor"] == NO_DATA_COLOUR
    assert [f["type"] for f in density.data["features"] + points.data["features"]] == ["Feature"] * 3
    tips = [f["properties"] for f in density.data["features"]]
    assert [t["colour"] for t in tips] == ["#dadaeb", "#bcbddc"]
    assert density.style_function(density.data["features"][1]) == {
        "color": "#3f007d",
        "weight": 0.5,
        "fillColor": "#bcbddc",
        "fillOpacity": 0.75,
    }
    [point] = points.data["features"]
    assert point["geometry"] == {"type": "Point", "coordinates": [4.5, 52.3]}
    assert point["properties"]["radius"] == 10.5  # 6 + 2 * sqrt(5), to one decimal
    assert points.style_function(point) == {
        "radius": 10.5,
        "color": "#ffffff",
        "weight": 2,
        "fillColor": PENDING_COLOUR,
        "fillOpacity": 0.85,
    }
    document = render_map_document(m)
    center, options = map_options(document)
    assert (center, options["zoom"], options["maxZoom"]) == ([52.2118, 4.4235], 15, 18)
    assert "height: 400.0px;" in document
    assert fits(document) == [([[52.21, 4.41], [52.3, 4.5]], {"padding": [12, 12]})]
    assert '"collapsed": true' in document


def test_coverage_and_comparison_maps_carry_the_legend_they_are_given():
    sections = [LegendSection("Leden per vak", (LegendItem("#dadaeb", "5-9"),)), LegendSection("", ())]
    assert legends(coverage_map([MapArea("a", "A", SQUARE)], legend=sections)) == [legend_body(sections)]
    assert legends(comparison_map([], [MapArea("a", "A", SQUARE)], legend=sections)) == [legend_body(sections)]


def test_coverage_map_of_several_areas_without_cells_has_no_layer_control():
    m = coverage_map([MapArea("a", "A", SQUARE), MapArea("b", "B", FAR)])
    area_group = next(c for c in m._children.values() if isinstance(c, folium.FeatureGroup))
    assert area_group.layer_name == "Gebieden"
    assert not any(isinstance(c, folium.LayerControl) for c in m._children.values())
    assert legends(m) == []


def test_comparison_map_draws_old_boundaries_dashed_without_fill_on_top():
    old = [MapArea("o", "Oud", FAR)]
    new = [MapArea("n", "Nieuw", SQUARE, fill=0.3)]
    m = comparison_map(old, new, height="250px")
    new_layer, old_layer = geojson_layers(m)
    assert new_layer.layer_name == "Nieuw"
    assert new_layer.style_function({})["fillColor"] == "#c7e9c0"
    assert old_layer.layer_name == "Oud"
    assert old_layer.style_function({}) == {
        "color": "#111827",
        "weight": 2.5,
        "dashArray": "6 6",
        "fill": False,
        "fillOpacity": 0,
    }
    assert old_layer.data == {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": FAR, "id": "0"}],
    }
    [tooltip] = [c for c in old_layer._children.values() if isinstance(c, folium.Tooltip)]
    assert (tooltip.text, tooltip.options) == ("Oud", {"sticky": True})  # follows the mouse like the new areas'
    document = render_map_document(m)
    center, options = map_options(document)
    assert (center, options["zoom"], options["maxZoom"]) == ([52.2118, 4.4235], 15, 18)
    assert "height: 250.0px;" in document
    assert fits(document) == [([[52.21, 4.41], [52.25, 4.46]], {"padding": [12, 12]})]
    assert legends(m) == []
    assert fits(render_map_document(comparison_map([], []))) == []


def test_every_map_fills_its_frame_by_default():
    cell = Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=5)
    for m in (areas_map([]), coverage_map([MapArea("a", "A", SQUARE)], [cell]), comparison_map([], [])):
        assert "height: 100.0%;" in render_map_document(m)


def test_cell_tooltips_show_the_tip_without_a_field_label_and_sign_ups_are_filled_dots():
    cell = Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=5)
    _area, density, points = geojson_layers(coverage_map([MapArea("a", "A", SQUARE)], [cell], [cell]))
    for layer in (density, points):
        [tooltip] = [c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip)]
        assert (tooltip.fields, tooltip.labels) == (["tip"], False)
    assert density.marker is None
    assert isinstance(points.marker, folium.CircleMarker)
    assert points.marker.options["fill"] is True


@pytest.mark.parametrize(("density", "pending"), [(True, False), (False, True), (True, True)])
def test_a_coverage_map_with_any_cell_layer_can_switch_it_off(density, pending):
    cell = [Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=5)]
    m = coverage_map([MapArea("a", "A", SQUARE)], cell if density else (), cell if pending else ())
    [control] = [c for c in m._children.values() if isinstance(c, folium.LayerControl)]
    assert control.options["collapsed"] is True
