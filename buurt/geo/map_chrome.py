"""What every map document gets around its map: language, title, zoomable viewport, Leaflet's
control words, names for markers, and a legend that folds away.

Pure: no Flask. ``render_map_document`` (buurt.geo.folium_assets) calls ``finish`` on every map it
renders, so no builder has to remember any of this. The words come from a ``MapChrome``: the
caller may pass one; otherwise ``current_chrome()`` asks the provider the web layer registered with
``use_chrome`` (buurt.map_chrome: Flask-Babel, the request's language), or gives the Dutch defaults.

Leaflet's own controls speak English ("Zoom in", "Layers", "Close popup"); the script here sets
their words before the map is made (``L.Control.Zoom.mergeOptions`` ...) and names each marker
(``aria-label``) from its tooltip text, cluster icons from their count.

A legend (``MapLegend``) is a Leaflet control in the lower right corner: Leaflet stacks it above
the attribution, so it never lies on the scale bar (lower left) or the zoom buttons (upper left).
It is a ``<details>``: open on a map at least ``LEGEND_OPEN_MIN_WIDTH`` px wide, folded on a phone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import escape

import folium
from branca.element import MacroElement
from folium.template import Template

#: a map narrower than this (a phone) starts with its legend folded
LEGEND_OPEN_MIN_WIDTH = 600
#: ... and so does a map lower than this
LEGEND_OPEN_MIN_HEIGHT = 360
#: marker cluster icons are this big (WCAG 2.5.8 asks 24 px; a finger needs 44)
CLUSTER_PX = 44
VIEWPORT = "width=device-width, initial-scale=1"


@dataclass(frozen=True, slots=True)
class MapChrome:
    """The language of a map document and the words of its controls (plain text)."""

    lang: str = "nl"
    title: str = "Kaart"
    zoom_in: str = "Inzoomen"
    zoom_out: str = "Uitzoomen"
    layers: str = "Kaartlagen"
    close: str = "Sluiten"
    legend: str = "Legenda"
    cluster: str = "{n} punten bij elkaar. Klik om in te zoomen."  # {n}: how many
    marker: str = "Punt op de kaart"  # a marker without a tooltip
    leaflet: str = "Een JavaScript-bibliotheek voor interactieve kaarten"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", self.lang):
            raise ValueError(f"not a language tag: {self.lang!r}")


DUTCH = MapChrome()

_provider: Callable[[], MapChrome] | None = None


def use_chrome(provider: Callable[[], MapChrome] | None) -> None:
    """Let ``provider`` give the chrome of every map rendered from now on (None: the Dutch defaults)."""
    global _provider
    _provider = provider


def current_chrome() -> MapChrome:
    """The registered provider's chrome, or the Dutch defaults."""
    return _provider() if _provider is not None else DUTCH


def script_json(value) -> str:
    """JSON that is safe inside an inline <script> (no "</script>", no comment openers)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _words(chrome: MapChrome) -> dict[str, str]:
    words = asdict(chrome)
    # the attribution's first link; Leaflet shows it with innerHTML, so the title is escaped here
    words["prefix"] = f'<a href="https://leafletjs.com" title="{escape(chrome.leaflet, quote=True)}">Leaflet</a>'
    return words


class Chrome(MacroElement):
    """Leaflet's words and defaults (before the map is made), marker names and styles (after)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
            .leaflet-container .map-legend { background: #fff; color: #111827; border-radius: 4px;
                box-shadow: 0 1px 4px rgba(0, 0, 0, .35); font: 12px/1.35 system-ui, sans-serif;
                max-width: min(260px, 70vw); }
            .leaflet-container .map-legend > summary { cursor: pointer; padding: 0 10px; min-height: 32px;
                display: flex; align-items: center; font-weight: 600; }
            .leaflet-touch .map-legend > summary { min-height: 44px; }
            .leaflet-container .map-legend-body { padding: 0 8px 6px; overflow: auto; }
            .leaflet-container .map-legend-body strong { display: block; margin-top: 4px; }
            .leaflet-container .map-legend-row { display: flex; align-items: center; gap: 6px; }
            .leaflet-container .map-legend-swatch { flex: none; width: 12px; height: 12px;
                border: 1px solid #4b5563; }
            .leaflet-container .marker-cluster div { width: {{ this.inner }}px; height: {{ this.inner }}px;
                margin: 5px 0 0 5px; border-radius: 50%; }
            .leaflet-container .marker-cluster span { line-height: {{ this.inner }}px; font-size: 13px;
                color: #111827; }
            /* the attribution grows to the left; it stops short of the scale bar in the other corner */
            .leaflet-container .leaflet-control-attribution { max-width: calc(100vw - 110px); }
            /* its links are underlined: told apart from the text by more than colour (WCAG 1.4.1; axe
               link-in-text-block, which depends on how the line wraps, so it came and went) */
            .leaflet-container .leaflet-control-attribution a { text-decoration: underline; }
            .leaflet-touch .leaflet-bar a, .leaflet-touch .leaflet-control-layers-toggle {
                width: 44px; height: 44px; line-height: 44px; }
        </style>
        {% endmacro %}

        {% macro html(this, kwargs) %}
        <script>
        (function (T) {
            window.BUURT_MAP_TEXT = T;
            L.Control.Zoom.mergeOptions({zoomInTitle: T.zoom_in, zoomOutTitle: T.zoom_out});
            L.Control.Attribution.mergeOptions({prefix: T.prefix});
            L.Control.Scale.mergeOptions({imperial: false});
            var initLayout = L.Control.Layers.prototype._initLayout;
            L.Control.Layers.include({_initLayout: function () {
                initLayout.call(this);
                if (this._layersLink) {
                    this._layersLink.title = T.layers;
                    this._layersLink.setAttribute("aria-label", T.layers);
                }
            }});
            L.Map.addInitHook(function () {
                this.on("popupopen", function (e) {
                    var button = e.popup._closeButton;
                    if (button) { button.setAttribute("aria-label", T.close); button.title = T.close; }
                });
            });
        })({{ this.words }});
        </script>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function (map) {
            var T = window.BUURT_MAP_TEXT;
            function plain(html) {
                // tooltips hold map_text-encoded HTML; a parsed copy is never shown and loads nothing
                var doc = new DOMParser().parseFromString(String(html), "text/html");
                return (doc.body.textContent || "").replace(/\\s+/g, " ").trim();
            }
            function name(layer) {
                var icon = layer && layer._icon;
                if (!icon) return;
                var text = "";
                if (typeof layer.getChildCount === "function") {
                    text = T.cluster.replace("{n}", String(layer.getChildCount()));
                } else if (layer.getTooltip && layer.getTooltip()) {
                    text = plain(layer.getTooltip().getContent());
                }
                icon.setAttribute("aria-label", text || T.marker);
            }
            map.eachLayer(name);
            map.on("layeradd", function (e) { name(e.layer); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, chrome: MapChrome):
        super().__init__()
        self._name = "BuurtChrome"
        self.words = script_json(_words(chrome))
        self.inner = CLUSTER_PX - 10


class MapLegend(MacroElement):
    """A folding legend, moved into a Leaflet control in the lower right corner.

    ``body``: the rows as HTML, every text already encoded with map_text by the builder.
    ``summary``: its heading (plain text); ``finish`` fills in the chrome's "Legenda" when empty.
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <details class="map-legend" id="{{ this.get_name() }}" hidden>
            <summary>{{ this.summary_html }}</summary>
            <div class="map-legend-body">{{ this.body }}</div>
        </details>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function (map) {
            var legend = document.getElementById({{ this.get_name()|tojson }});
            var control = L.control({position: "bottomright"});
            control.onAdd = function () {
                var size = map.getSize(), body = legend.querySelector(".map-legend-body");
                legend.hidden = false;
                legend.open = size.x >= {{ this.open_width }} && size.y >= {{ this.open_height }};
                body.style.maxHeight = Math.max(80, Math.round(size.y * 0.5)) + "px";
                L.DomEvent.disableClickPropagation(legend);
                L.DomEvent.disableScrollPropagation(legend);
                return legend;
            };
            control.addTo(map);
            function reachable() {  // a legend that scrolls can be scrolled with the keyboard too
                var body = legend.querySelector(".map-legend-body");
                if (body.scrollHeight > body.clientHeight + 1) {
                    body.tabIndex = 0;
                    body.setAttribute("role", "region");
                    body.setAttribute("aria-label", legend.querySelector("summary").textContent);
                }
            }
            legend.addEventListener("toggle", reachable);
            reachable();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, body: str, summary: str = ""):
        super().__init__()
        self._name = "MapLegend"
        self.body = body
        self.summary = summary
        self.open_width = LEGEND_OPEN_MIN_WIDTH
        self.open_height = LEGEND_OPEN_MIN_HEIGHT

    @property
    def summary_html(self) -> str:
        return escape(self.summary, quote=True)


def _elements(element):
    yield element
    for child in element._children.values():
        yield from _elements(child)


def finish(m: folium.Map, chrome: MapChrome) -> None:
    """Give ``m`` the chrome's words (before rendering): Leaflet's controls, marker names, legends."""
    for element in _elements(m):
        if isinstance(element, MapLegend) and not element.summary:
            element.summary = chrome.legend
    m.add_child(Chrome(chrome), name="buurt_chrome")


_VIEWPORT = re.compile(r'<meta\s+name="viewport"\s+content="[^"]*"\s*/?>', re.S)


def finish_html(html: str, chrome: MapChrome) -> str:
    """The rendered document with the chrome's language and title and a viewport that lets people zoom."""
    start = "<!DOCTYPE html>\n<html>"
    if not html.startswith(start):
        raise ValueError("not a folium document (did folium change its page template?)")
    head = f'<!DOCTYPE html>\n<html lang="{chrome.lang}">'
    html = head + html[len(start) :]
    html, found = _VIEWPORT.subn(f'<meta name="viewport" content="{VIEWPORT}">', html)
    if found == 0:
        html = html.replace("<head>", f'<head>\n<meta name="viewport" content="{VIEWPORT}">', 1)
    return html.replace("</head>", f"<title>{escape(chrome.title, quote=True)}</title>\n</head>", 1)
