"""Folium maps load every JS/CSS/font/image from static/vendor, never a CDN."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import folium
import pytest
from folium.plugins import FastMarkerCluster, HeatMap, MarkerCluster, TimestampedGeoJson

from buurt.geo.folium_assets import (
    CBS_ATTRIBUTION,
    DEFAULT_PREFIX,
    ExternalAssetError,
    external_assets,
    local_assets,
    local_urls,
    localize,
    localize_plugin,
    make_map,
    render_map_document,
)

STATIC = Path(__file__).resolve().parents[2] / "static"
VENDOR = STATIC / "vendor"

SQUARE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"naam": "Rijnsoever-Noord"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [4.40, 52.20],
                        [4.41, 52.20],
                        [4.41, 52.21],
                        [4.40, 52.21],
                        [4.40, 52.20],
                    ]
                ],
            },
        }
    ],
}
TIMED = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [4.405, 52.205]},
            "properties": {"times": [1735689600000], "icon": "circle"},
        }
    ],
}


def build_full_map() -> folium.Map:
    m = make_map(location=[52.205, 4.405], zoom_start=15, height="480px")
    folium.Polygon(
        [[52.20, 4.40], [52.20, 4.41], [52.21, 4.41], [52.21, 4.40]],
        popup=folium.Popup("Rijnsoever-Noord"),
    ).add_to(m)
    folium.Marker([52.205, 4.405], icon=folium.Icon(prefix="fa", icon="house", angle=30)).add_to(m)
    cluster = localize_plugin(MarkerCluster(name="Meldingen")).add_to(m)
    folium.Marker([52.206, 4.406], icon=folium.Icon(prefix="fa", icon="bell")).add_to(cluster)
    localize_plugin(FastMarkerCluster([[52.204, 4.404], [52.2041, 4.4041]])).add_to(m)
    localize_plugin(HeatMap([[52.203, 4.403, 1.0], [52.2031, 4.4031, 0.5]])).add_to(m)
    folium.GeoJson(SQUARE, name="Buurten", tooltip=folium.GeoJsonTooltip(["naam"])).add_to(m)
    folium.LayerControl().add_to(m)
    return m


@pytest.fixture(scope="module")
def full_html() -> str:
    return render_map_document(build_full_map())


def static_file(url: str) -> Path:
    assert url.startswith("/static/"), url
    return STATIC / url.removeprefix("/static/")


def test_full_map_loads_nothing_off_site(full_html):
    assert external_assets(full_html) == []


def test_every_local_url_is_a_vendored_file(full_html):
    urls = local_urls(full_html)
    assert f"{DEFAULT_PREFIX}/leaflet/leaflet.js" in urls
    assert f"{DEFAULT_PREFIX}/leaflet.markercluster/leaflet.markercluster.js" in urls
    assert f"{DEFAULT_PREFIX}/leaflet-heat/leaflet_heat.min.js" in urls
    for url in urls:
        assert static_file(url).is_file(), url


def test_dropped_assets_are_not_rendered(full_html):
    assert "bootstrap" not in full_html
    assert "glyphicons" not in full_html


def test_each_asset_is_linked_once(full_html):
    urls = local_urls(full_html)
    assert len(urls) == len(set(urls))


def test_cbs_attribution_is_rendered(full_html):
    assert CBS_ATTRIBUTION in full_html
    assert "attributionControl.addAttribution" in full_html


def test_document_is_dutch_standalone_html(full_html):
    assert full_html.startswith('<!DOCTYPE html>\n<html lang="nl">')
    assert '<link rel="icon" href="data:,">' in full_html
    assert "</html>" in full_html


def test_make_map_defaults():
    m = make_map(height="300px")
    assert m.control_scale is True
    assert (m.width, m.height) == ((100.0, "%"), (300.0, "px"))
    # no tile server unless the caller passes one (the TILES_* settings; tests/geo/test_tiles.py)
    assert [c for c in m._children.values() if isinstance(c, folium.TileLayer)] == []


def test_folium_classes_are_untouched():
    before = {
        cls: (copy.deepcopy(cls.default_js), copy.deepcopy(cls.default_css))
        for cls in (folium.Map, MarkerCluster, FastMarkerCluster, HeatMap)
    }
    render_map_document(build_full_map())
    for cls, (js, css) in before.items():
        assert (cls.default_js, cls.default_css) == (js, css)
    assert folium.Map.default_js[0][1].startswith("https://")


def test_plain_folium_map_still_uses_cdn():
    # Proves the localized map changed its instance, not folium.
    assert external_assets(folium.Map().get_root().render())


def test_plugin_without_localize_plugin_is_refused():
    m = make_map()
    MarkerCluster().add_to(m)
    with pytest.raises(ExternalAssetError, match="markercluster"):
        render_map_document(m)


def test_unknown_asset_name_raises_key_error():
    with pytest.raises(KeyError, match="leaflet_draw"):
        localize([("leaflet_draw", "https://cdn.example/leaflet.draw.js")])


def test_localize_plugin_rejects_elements_without_assets():
    with pytest.raises(TypeError):
        localize_plugin(folium.GeoJson(SQUARE))


def test_prefix_is_configurable():
    m = make_map(prefix="/assets/v/")
    assert ("leaflet", "/assets/v/leaflet/leaflet.js") in m.default_js


def test_plugin_whose_assets_are_not_vendored_is_refused():
    # TimestampedGeoJson (TimeDimension, moment, iso8601) is not vendored: no page of ours uses it.
    with pytest.raises(KeyError, match="no local copy"):
        localize_plugin(TimestampedGeoJson(TIMED, period="P1D"))


def test_every_known_asset_is_vendored_with_a_licence():
    for url in local_assets().values():
        path = static_file(url)
        assert path.is_file(), url
        lib = path.relative_to(VENDOR).parts[0]
        assert (VENDOR / lib / "LICENSE").is_file(), lib


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


@pytest.mark.parametrize("css", sorted(VENDOR.rglob("*.css")), ids=lambda p: str(p.relative_to(VENDOR)))
def test_vendored_css_references_resolve_locally(css):
    text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.DOTALL)
    for ref in CSS_URL.findall(text):
        if ref.startswith(("data:", "#")):
            continue
        assert not ref.startswith(("http:", "https:", "//")), ref
        if ref.endswith(".ttf"):  # Font Awesome's fallback after each woff2
            continue
        assert (css.parent / ref.split("?")[0]).resolve().is_file(), ref


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<script src="https://cdn.example/x.js"></script>',
            ["https://cdn.example/x.js"],
        ),
        ('<link rel="stylesheet" href="//cdn.example/x.css">', ["//cdn.example/x.css"]),
        ('<img src="/static/vendor/a.png"><link href="data:,">', []),
        (
            "<style>a{background:url('https://x.example/a.png')}</style>",
            ["https://x.example/a.png"],
        ),
        (
            '<script>L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png")</script>',
            [],
        ),
    ],
)
def test_external_assets(html, expected):
    assert external_assets(html) == expected
