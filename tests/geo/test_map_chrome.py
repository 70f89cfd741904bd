"""The chrome every map document gets in render_map_document (buurt.geo.map_chrome), without a browser."""

from __future__ import annotations

import re

import pytest

from buurt.csp import inline_hashes
from buurt.geo import map_chrome
from buurt.geo.folium_assets import render_map_document
from buurt.geo.incident_maps import IncidentMapLabels, IncidentPoint, incident_map, incident_map_document
from buurt.geo.map_chrome import MapChrome, MapLegend
from buurt.geo.maps import LegendItem, LegendSection, MapArea, areas_map, legend_body

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.42, 52.21], [4.43, 52.21], [4.43, 52.22], [4.42, 52.22], [4.42, 52.21]]],
}
HOSTILE = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>`${x}'


def document(chrome: MapChrome | None = None, **kwargs) -> str:
    m = areas_map(
        [MapArea("a", "A", SQUARE, 0.3, ("x",))],
        legend_title="Bezetting",
        legend=[LegendItem("#c7e9c0", "leeg")],
        point=(52.215, 4.425),
        point_label="Uw adres",
        **kwargs,
    )
    return render_map_document(m, chrome=chrome)


def test_every_document_has_a_language_a_title_and_a_zoomable_viewport():
    html = document()
    assert html.startswith('<!DOCTYPE html>\n<html lang="nl">')
    assert re.search(r"<title>Kaart</title>\s*</head>", html)
    viewports = re.findall(r'<meta name="viewport" content="([^"]*)"', html)
    assert viewports == ["width=device-width, initial-scale=1"]
    assert "user-scalable" not in html


def test_the_chrome_words_reach_the_document_as_inert_data():
    english = MapChrome(lang="en", title=HOSTILE, zoom_in=HOSTILE, legend="Key")
    html = document(english)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script>alert(1)") == 0  # neither in the title nor in the script's JSON
    assert '"zoom_in":"\\u003c/script\\u003e' in html
    assert "<summary>Key</summary>" in html


def test_a_bad_language_tag_is_refused():
    with pytest.raises(ValueError, match="language tag"):
        MapChrome(lang='nl" onload="x')


def test_the_registered_provider_gives_the_words_and_none_gives_dutch():
    map_chrome.use_chrome(lambda: MapChrome(lang="en", title="Map"))
    try:
        assert '<html lang="en">' in document()
        assert "<title>Map</title>" in document()
    finally:
        map_chrome.use_chrome(None)
    assert '<html lang="nl">' in document()


def test_a_legend_is_a_folding_control_with_encoded_rows():
    body = legend_body([LegendSection(HOSTILE, (LegendItem("#fff", HOSTILE),)), LegendSection("", ())])
    assert "<script>" not in body
    assert "<img" not in body
    assert body.count("<strong>") == 1  # a section without a title has no heading
    html = document()
    assert html.count('<details class="map-legend"') == 1
    assert '<details class="map-legend" id="map_legend_' in html
    assert " open" not in html.split('<details class="map-legend"')[1].split(">")[0]  # the script opens it
    assert 'L.control({position: "bottomright"})' in html


def test_a_map_has_one_legend_a_second_replaces_the_first():
    from buurt.geo.maps import add_legend, make_map

    m = make_map(location=[52.21, 4.42], zoom_start=14)
    add_legend(m, "Eerste", [LegendItem("#c7e9c0", "leeg")])
    add_legend(m, "Tweede", [LegendItem("#b42318", "vol")])
    legends = [e for e in m._children.values() if isinstance(e, MapLegend)]
    assert len(legends) == 1
    assert "Tweede" in legends[0].body
    assert "Eerste" not in legends[0].body


def test_the_chrome_script_comes_once_and_its_hash_is_stable():
    first, second = document(), document()
    assert first.count("window.BUURT_MAP_TEXT = T") == 1
    chrome = [h for h in inline_hashes(first) if h in inline_hashes(second)]
    assert chrome  # the chrome's own script is the same in every document (one CSP hash)


LABELS = IncidentMapLabels(
    categories=["Woninginbraak", "Fietsdiefstal"], colours=["#b42318", "#047857"], months=["jan"], detail_url="/i/{id}"
)


def test_the_wijkagent_map_has_a_legend_of_its_colours_and_a_folded_layer_control():
    m = incident_map([IncidentPoint(1, 52.21, 4.42, 1, 0, 0)], LABELS)
    html = incident_map_document(m)
    legends = [e for e in m._children.values() if isinstance(e, MapLegend)]
    assert len(legends) == 1
    for name, colour in zip(LABELS.categories, LABELS.colours, strict=True):
        assert name in legends[0].body
        assert colour in legends[0].body
    assert "Melding van de politie" in legends[0].body
    assert '"collapsed": true' in html
    assert "iconSize: L.point(44, 44)" in html
