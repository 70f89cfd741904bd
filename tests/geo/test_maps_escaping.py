"""Every string that lands in a map is shown as typed and never acts as markup or code (issue 19, point 5).

The builders are called directly with hostile text, and each place the text ends up in the rendered
document is read back the way the browser reads it:

- a Tooltip's text sits in a JavaScript template literal (folium does not escape it) and Leaflet
  shows it with innerHTML: the literal must hold no `` ` ``, ``${`` or backslash (so its value is its
  source), and that value, parsed as HTML, must give exactly the text typed and no element of it;
- a layer name is a JSON key of the layer control (shown with innerHTML): decoded as JSON, then
  parsed as HTML, it must give the text typed;
- a GeoJSON tooltip value lives in the layer's JSON data (shown with innerHTML): the same;
- the legend is HTML in the document: its rows must give the text typed, its colour stays inside
  the style attribute.

The hostile texts end a script element, break out of an attribute, start markup, end the template
literal, start an escape, and hold the line separators U+2028/U+2029 (which end a line in older
JavaScript string literals).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from buurt.geo.coverage import Cell, comparison_map, coverage_map
from buurt.geo.folium_assets import render_map_document
from buurt.geo.maps import (
    LegendItem,
    LegendSection,
    MapArea,
    areas_map,
    legend_body,
    map_text,
    point_map_template,
    tooltip_html,
)

HOSTILE_TEXTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</script><script>alert(3)</script>",
    "'enkel' \"dubbel\" `achter` ${alert(4)}",
    "schuin\\streep \\x3cimg \\u003cscript\\u003e \\` \\",
    "regel\u2028scheiding\u2029alinea",
    "&amp; &#60;b&#62; &lt;i&gt; Rijnsoever-Noord",
]
#: All of them at once, for builders that take one text per slot.
ALL = " | ".join(HOSTILE_TEXTS)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.41, 52.21], [4.42, 52.21], [4.42, 52.215], [4.41, 52.215], [4.41, 52.21]]],
}
TOOLTIP = re.compile(r"([a-z_]+_[0-9a-f]{32})\.bindTooltip\(\s*`(.*?)`", re.S)
OVERLAYS = re.compile(r"overlays :\s*\{(.*?)\n\s*\},", re.S)
JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*[a-z_]+_[0-9a-f]{32}')
GEOJSON_DATA = re.compile(r"[a-z_]+_[0-9a-f]{32}_add\((\{.*?\})\);\n", re.S)


class Shown(HTMLParser):
    """What innerHTML makes of a string: the elements it creates and the text a person sees."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[dict[str, str | None]] = []
        self.parts: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append(dict(attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def template_literal_value(source: str) -> str:
    """The value of a template literal whose source is ``source``: itself, when nothing in it acts."""
    assert "`" not in source
    assert "${" not in source
    assert "\\" not in source
    return source


def tooltips(document: str) -> dict[str, Shown]:
    """Every bound tooltip of the document, by the folium element it is bound to."""
    found = {}
    for owner, source in TOOLTIP.findall(document):
        shown = Shown(template_literal_value(source))
        assert shown.tags[0] == "div"  # folium's wrapper
        found[owner] = shown
    return found


def overlay_names(document: str) -> list[Shown]:
    [overlays] = OVERLAYS.findall(document)
    return [Shown(json.loads(f'"{key}"')) for key in JSON_KEY.findall(overlays)]


def geojson_tips(document: str) -> list[Shown]:
    tips = []
    for data in GEOJSON_DATA.findall(document):
        assert "<" not in data  # the JSON cannot end the script element
        for feature in json.loads(data)["features"]:
            if "tip" in feature["properties"]:
                tips.append(Shown(feature["properties"]["tip"]))
    return tips


def scripts_are_ours(document: str) -> None:
    """No hostile text opened or closed a script element: every <script> is one folium wrote."""
    assert document.count("<script") == document.count("</script>")
    assert "alert(1)</script>" not in document
    assert "alert(3)</script>" not in document
    assert "<img src=x" not in document


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_map_text_is_shown_as_typed_and_acts_nowhere(text):
    encoded = map_text(text)
    assert not set(encoded) & set("<>\"'`$\\")
    shown = Shown(encoded)
    assert (shown.tags, shown.text) == ([], text)


def test_map_text_takes_any_value_as_text():
    assert map_text(12) == "12"
    assert map_text("Rijnsoever-Noord 2221") == "Rijnsoever-Noord 2221"


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_a_tooltip_is_a_bold_title_and_one_line_per_line(text):
    shown = Shown(tooltip_html(text, (text, "gewone regel")))
    assert shown.tags == ["strong", "br", "br"]
    assert shown.text == text + text + "gewone regel"
    assert tooltip_html("Titel", ("een", "twee")) == "<strong>Titel</strong><br>een<br>twee"
    assert tooltip_html("Titel", ()) == "<strong>Titel</strong>"


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_the_marker_tooltip_of_ones_own_point_shows_the_label_as_typed(text):
    area = MapArea("k", "Gebied", SQUARE, lines=("regel",))
    document = render_map_document(areas_map([area], point=(52.212, 4.415), point_label=text))
    shown = tooltips(document)
    [marker] = [owner for owner in shown if owner.startswith("marker_")]
    assert shown[marker].tags == ["div"]
    assert shown[marker].text.strip() == text
    scripts_are_ours(document)


@pytest.mark.parametrize("label", [None, ""])
def test_a_point_without_a_label_has_no_tooltip(label):
    document = render_map_document(areas_map([], point=(52.212, 4.415), point_label=label))
    assert "L.marker(" in document
    assert tooltips(document) == {}


def test_the_point_of_the_cached_lookup_map_shows_the_label_as_typed():
    document = point_map_template([MapArea("k", ALL, SQUARE, lines=(ALL,))], point_label=ALL).render(52.212, 4.415)
    shown = tooltips(document)
    [marker] = [owner for owner in shown if owner.startswith("marker_")]
    assert shown[marker].text.strip() == ALL
    [area] = [owner for owner in shown if owner.startswith("geo_json_")]
    assert (shown[area].tags, shown[area].text.strip()) == (["div", "strong", "br"], ALL + ALL)
    scripts_are_ours(document)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_an_area_tooltip_shows_its_name_and_lines_as_typed(text):
    areas = [MapArea("k", text, SQUARE, lines=(text, "2 van 30 leden")), MapArea("l", "Tweede", SQUARE)]
    document = render_map_document(areas_map(areas))
    shown = sorted((s.text.strip(), s.tags) for s in tooltips(document).values())
    assert shown == sorted(
        [(text + text + "2 van 30 leden", ["div", "strong", "br", "br"]), ("Tweede", ["div", "strong"])]
    )
    scripts_are_ours(document)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_coverage_layer_names_and_cell_tips_are_shown_as_typed(text):
    cell = Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=7, label=text)
    m = coverage_map(
        [MapArea("k", text, SQUARE, lines=(text,))],
        [cell],
        [cell],
        density_layer_name="Leden " + text,
        density_tip="{count} leden rond {label}",
        pending_layer_name="Aanmeldingen " + text,
        pending_tip="{count} aanmeldingen rond {label}",
    )
    document = render_map_document(m)
    names = overlay_names(document)
    assert [(s.tags, s.text) for s in names] == [([], "Leden " + text), ([], "Aanmeldingen " + text)]
    tips = geojson_tips(document)
    assert [(s.tags, s.text) for s in tips] == [
        ([], f"7 leden rond {text}".strip()),
        ([], f"7 aanmeldingen rond {text}".strip()),
    ]
    [area] = tooltips(document).values()
    assert area.text.strip() == text + text
    scripts_are_ours(document)


def test_a_cell_without_a_label_has_a_tip_without_trailing_space():
    cell = Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=5)
    document = render_map_document(coverage_map([MapArea("k", "A", SQUARE)], [cell], [cell]))
    assert [s.text for s in geojson_tips(document)] == ["5 leden", "5 aanmeldingen"]
    assert [s.text for s in overlay_names(document)] == ["Leden per vak", "Aanmeldingen"]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_comparison_map_names_old_and_new_areas_as_typed(text):
    old = MapArea("o", "Oud " + text, SQUARE)
    new = MapArea("n", "Nieuw " + text, SQUARE, lines=(text,))
    document = render_map_document(comparison_map([old], [new]))
    shown = sorted(s.text.strip() for s in tooltips(document).values())
    assert shown == sorted(["Oud " + text, "Nieuw " + text + text])
    scripts_are_ours(document)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_a_legend_shows_titles_and_labels_as_typed_and_keeps_its_colour_in_the_style(text):
    colour = 'red;}</style><script>x()</script>"' + text
    body = legend_body(
        [
            LegendSection(text, (LegendItem(colour, text), LegendItem("#ffffff", "wit"))),
            LegendSection("", (LegendItem("#000000", "zwart"),), round=True),
        ]
    )
    shown = Shown(body)
    assert shown.tags == ["div", "strong"] + ["div", "span", "span"] * 2 + ["div"] + ["div", "span", "span"]
    assert shown.text == text + text + "wit" + "zwart"
    styles = [a["style"] for a in shown.attrs if "style" in a]
    assert styles == [
        f"background:{colour};border-radius:2px",
        "background:#ffffff;border-radius:2px",
        "background:#000000;border-radius:50%",
    ]
    m = areas_map([MapArea("k", "A", SQUARE)], legend_title=text, legend=[LegendItem(colour, text)])
    document = render_map_document(m)
    legend = document[document.index('<div class="map-legend-body">') :]
    legend = legend[: legend.index("</details>")]
    assert Shown(legend).text.strip().replace("\n", "").replace(" ", "") == (text + text).replace(" ", "")
    scripts_are_ours(document)
