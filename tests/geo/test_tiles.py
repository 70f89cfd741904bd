"""Map tiles (issue 13, point 7): the tile provider is a setting every builder takes, and a map
around someone's own point opens no deeper than the public max zoom.

Pure: the builders get a TileSource; no app. The pages, the CSP and Chromium are in
tests/privacy/test_map_tiles.py and tests/security/test_csp.py.
"""

from __future__ import annotations

import json
import re

import pytest

from buurt.config import Defaults
from buurt.geo.coverage import Cell, comparison_map, coverage_map
from buurt.geo.folium_assets import TileSource, TileSourceError, make_map, render_map_document
from buurt.geo.incident_maps import (
    IncidentMapLabels,
    IncidentPoint,
    OutlineArea,
    PublicCellShape,
    incident_map,
    incident_map_document,
    public_incident_map,
)
from buurt.geo.maps import MapArea, areas_map, point_map_template
from buurt.meldingen.maps import MapGroup, routing_map

OTHER = TileSource("https://tiles.example.test/osm/{z}/{x}/{y}.png", "Achtergrond &copy; Voorbeeld", 17, "Voorbeeld")
RING = [[4.41, 52.21], [4.42, 52.21], [4.42, 52.22], [4.41, 52.22], [4.41, 52.21]]
SQUARE = {"type": "Polygon", "coordinates": [RING]}
TILE_CALL = re.compile(r'L\.tileLayer\(\s*"([^"]*)"\s*,\s*(\{.*?\})\s*\)', re.S)
FIT = re.compile(r"fitBounds\(\s*(\[\[.*?\]\])\s*,\s*(\{.*?\})\s*\)", re.S)


def tile_layers(document: str) -> list[tuple[str, dict]]:
    """(URL, options) of every L.tileLayer in a rendered map."""
    return [(url, json.loads(re.sub(r",\s*}", "}", options))) for url, options in TILE_CALL.findall(document)]


def fit_zooms(document: str) -> list[int | None]:
    return [json.loads(options).get("maxZoom") for _bounds, options in FIT.findall(document)]


# --- TileSource ---------------------------------------------------------------------------------


def test_the_default_setting_is_pdok_brt_achtergrondkaart():
    """Checked against PDOK's published template (xyzservices' nlmaps.standaard): EPSG:3857, 6-19."""
    d = Defaults
    source = TileSource(d.TILES_URL, d.TILES_ATTRIBUTION, d.TILES_MAX_ZOOM, d.TILES_PROVIDER)
    assert source.url == "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
    assert source.origin == "https://service.pdok.nl"
    assert source.max_zoom == 19
    assert "Kadaster" in source.attribution
    assert "openstreetmap" not in Defaults.TILES_URL.lower()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("/tiles/{z}/{x}/{y}.png", None),  # self-hosted: 'self'
        ("https://tiles.example.test/{z}/{x}/{y}.png", "https://tiles.example.test"),
        ("http://127.0.0.1:8081/t/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
        ("https://{s}.tiles.example.test/{z}/{x}/{y}.png", "https://*.tiles.example.test"),
    ],
)
def test_origin_is_what_the_policy_allows(url, origin):
    assert TileSource(url, "x").origin == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.example.test/tile.png",  # no {z}/{x}/{y}
        "javascript:alert(1)//{z}/{x}/{y}",
        "tiles/{z}/{x}/{y}.png",  # relative to the page: differs per page
        "https://a.test/{z}/{x}/{y}.png; script-src *",  # would add a directive to the policy
        "https://a.test/{z}/{x}/{y}.png,https://b.test",
        'https://a.test/{z}/{x}/{y}.png"><script>',
        "ftp://a.test/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_cannot_work_is_refused(url):
    with pytest.raises(TileSourceError):
        TileSource(url, "x")


def test_tiles_need_an_attribution():
    with pytest.raises(TileSourceError):
        TileSource("/tiles/{z}/{x}/{y}.png", "")


# --- make_map -----------------------------------------------------------------------------------


def test_a_map_without_a_tile_source_loads_no_tiles_and_keeps_its_zoom_limits():
    document = render_map_document(make_map(location=[52.21, 4.41], zoom_start=15, max_zoom=17, min_zoom=11))
    assert tile_layers(document) == []
    assert "openstreetmap" not in document.lower()
    assert '"maxZoom": 17' in document  # on the map itself
    assert '"minZoom": 11' in document


def test_a_map_uses_the_tile_source_it_is_given():
    document = render_map_document(make_map(location=[52.21, 4.41], zoom_start=15, max_zoom=19, tiles=OTHER))
    [(url, options)] = tile_layers(document)
    assert url == OTHER.url
    assert options["attribution"] == OTHER.attribution
    assert options["maxNativeZoom"] == 17  # the source's deepest level, enlarged beyond
    assert options["maxZoom"] == 19
    assert "openstreetmap" not in document.lower()


def test_a_folium_tile_name_is_refused():
    with pytest.raises(TypeError):
        make_map(tiles="OpenStreetMap")


# --- every builder ------------------------------------------------------------------------------


def _documents(tiles):
    area = MapArea("a", "Gebied A", SQUARE, fill=0.4)
    outline = OutlineArea("Gebied A", SQUARE)
    labels = IncidentMapLabels(
        categories=("Fietsdiefstal",),
        colours=("#b42318",),
        months=("jan 2026",),
        detail_url="/incidenten/{id}",
        open_label="Openen",
        all_months="Alle maanden",
        slider_label="Tijd",
        clusters="Clusters",
        heatmap="Heatmap",
        meldingen="Meldingen",
        areas="Gebieden",
    )
    points = [IncidentPoint(1, 52.2151, 4.4152, 0, 0, 29_000_000)]
    cells = [PublicCellShape(((4.41, 52.21), (4.412, 52.21), (4.412, 52.212), (4.41, 52.212), (4.41, 52.21)), 2, ())]
    group = MapGroup("Groep", (SQUARE,), 0.0, False, "0 m")
    route_labels = dict.fromkeys(("target", "neighbour", "radius", "point", "inside", "distance"), "x")
    yield "areas_map", render_map_document(areas_map([area], tiles=tiles))
    yield "point_map_template", point_map_template([area], point_label="Uw adres", tiles=tiles).render(52.215, 4.415)
    yield "coverage_map", render_map_document(coverage_map([area], [Cell(SQUARE, 52.215, 4.415, 6)], tiles=tiles))
    yield "comparison_map", render_map_document(comparison_map([area], [area], tiles=tiles))
    yield "incident_map", incident_map_document(incident_map(points, labels, areas=[outline], tiles=tiles))
    yield (
        "public_incident_map",
        render_map_document(
            public_incident_map(
                cells, [outline], max_zoom=15, title_of={"cell": "{n}"}, legend_title="", legend=[], tiles=tiles
            )
        ),
    )
    yield "routing_map", render_map_document(routing_map(52.215, 4.415, 300, [group], route_labels, tiles=tiles))


def test_every_builder_draws_the_given_tiles_and_no_others():
    seen = []
    for name, document in _documents(OTHER):
        assert [url for url, _options in tile_layers(document)] == [OTHER.url], name
        assert "openstreetmap" not in document.lower(), name
        seen.append(name)
    assert len(seen) == 7


def test_every_builder_without_tiles_loads_none():
    for name, document in _documents(None):
        assert tile_layers(document) == [], name


# --- a resident's own point ---------------------------------------------------------------------


@pytest.mark.parametrize("areas", [[], [MapArea("a", "Gebied A", SQUARE)]], ids=["no areas", "one area"])
def test_a_map_around_ones_own_point_opens_no_deeper_than_the_public_zoom(areas):
    """Without areas the view fits the point alone: Leaflet would open at the map's max zoom (19)."""
    point = (52.2151234, 4.4152345)
    fresh = render_map_document(areas_map(areas, point=point, point_label="Uw adres", tiles=OTHER))
    template = point_map_template(areas, point_label="Uw adres", tiles=OTHER, point_max_zoom=14).render(*point)
    assert fit_zooms(fresh) == [15]
    assert fit_zooms(template) == [14]


def test_a_map_of_areas_only_is_not_capped():
    """Only a view around someone's point is capped: the coverage map fits its areas freely."""
    document = render_map_document(areas_map([MapArea("a", "Gebied A", SQUARE)], tiles=OTHER))
    assert fit_zooms(document) == [None]
