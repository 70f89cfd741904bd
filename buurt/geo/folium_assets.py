"""Folium maps whose JS/CSS come from our own static files, not from CDNs.

Pure: no Flask. folium reads ``self.default_js`` / ``self.default_css`` when an
element renders (``folium.elements.JSCSSMixin.render``), so assigning new lists
on an *instance* shadows the class lists for that instance only. Nothing here
touches a folium class, and ``add_js_link`` (which mutates the shared class
list in place) is never used.

    m = make_map(location=[52.205, 4.41], zoom_start=15, height="480px")
    cluster = localize_plugin(MarkerCluster()).add_to(m)  # every plugin instance
    html = render_map_document(m)  # full HTML document for an <iframe> route

Every folium asset name must be either in ``LOCAL_FILES`` or in ``DROPPED``;
anything else raises ``KeyError`` so a folium upgrade or a new plugin fails
loudly instead of quietly loading from a CDN.

Tiles: the background comes from a ``TileSource`` the caller passes in (the web layer fills it
from the TILES_* settings); without one a map has no background layer, so no builder can send a
visitor to a tile server nobody configured.

Text: folium writes a Tooltip's text into a JavaScript template literal (`` `...` ``) and Leaflet
shows tooltips, layer names and attributions with innerHTML. ``map_text`` encodes a plain string
for both at once; ``render_map_document`` refuses a map whose tooltip or layer name skipped it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import TypeVar
from urllib.parse import urlsplit

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from buurt.geo.map_chrome import MapChrome, current_chrome, finish, finish_html

DEFAULT_PREFIX = "/static/vendor"
CBS_ATTRIBUTION = "CBS / Kadaster, CC BY 4.0"
#: What may not appear in a tile URL: it also goes into the Content-Security-Policy header (where
#: ";" or "," would start a new directive or policy) and into HTML attributes.
_URL_FORBIDDEN = frozenset(" \t\r\n;,'\"<>\\`")


class TileSourceError(ValueError):
    """A tile setting that cannot work (no {z}/{x}/{y}, not http(s) or a path, a character that breaks the policy)."""


@dataclass(frozen=True, slots=True)
class TileSource:
    """Where a map's background tiles come from: every visitor's browser asks this server for them.

    ``url``: a Leaflet URL template with ``{z}``, ``{x}`` and ``{y}``; https/http, or a path on our
    own site (self-hosted tiles, e.g. ``/tiles/{z}/{x}/{y}.png``). ``attribution``: HTML the map
    shows as is (set by the operator, never by a visitor). ``max_zoom``: the deepest level the
    server has; deeper, the map enlarges that level. ``name``: the provider, in the layer control.
    """

    url: str
    attribution: str
    max_zoom: int = 19
    name: str = "Achtergrond"

    def __post_init__(self) -> None:
        url = self.url
        if not all(part in url for part in ("{z}", "{x}", "{y}")):
            raise TileSourceError("a tile URL needs {z}, {x} and {y}")
        if set(url) & _URL_FORBIDDEN:
            raise TileSourceError("a tile URL may not hold spaces, quotes, ';', ',', '<', '>' or backslashes")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") and not (not parts.scheme and url.startswith("/")):
            raise TileSourceError("a tile URL starts with https://, http:// or / (self-hosted)")
        if not self.attribution:
            raise TileSourceError("tiles need an attribution (the provider's credit line)")

    @property
    def origin(self) -> str | None:
        """The CSP source the tiles load from; ``None`` when they are on our own site ('self').

        A ``{s}`` subdomain placeholder becomes the wildcard ``*``.
        """
        parts = urlsplit(self.url)
        if not parts.netloc:
            return None
        host = parts.netloc.replace("{s}", "*")
        return f"{parts.scheme}://{host}" if parts.scheme else host


#: folium asset name -> file under static/vendor/ (see static/vendor/README.md).
LOCAL_FILES: dict[str, str] = {
    # folium.Map
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "jquery": "jquery/jquery.min.js",
    "awesome_markers": "leaflet.awesome-markers/leaflet.awesome-markers.min.js",
    "awesome_markers_css": "leaflet.awesome-markers/leaflet.awesome-markers.css",
    "awesome_markers_font_css": "fontawesome-free/css/all.min.css",
    "awesome_rotate_css": "folium/leaflet.awesome.rotate.min.css",
    # plugins.MarkerCluster, plugins.FastMarkerCluster
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    # plugins.HeatMap
    "leaflet-heat.js": "leaflet-heat/leaflet_heat.min.js",
    # plugins.Draw (the map editor uses the same files from its own script)
    "leaflet_draw_js": "leaflet-draw/leaflet.draw.js",
    "leaflet_draw_css": "leaflet-draw/leaflet.draw.css",
}

#: Asset names folium lists that no code path of ours uses.
DROPPED: frozenset[str] = frozenset(
    {
        "bootstrap",  # folium's JS never calls Bootstrap
        "bootstrap_css",
        "glyphicons_css",  # only for Icon(prefix="glyphicon"); we use prefix="fa"
    }
)

_E = TypeVar("_E", bound=Element)

#: What acts inside a template literal: a backtick ends it, ${ starts code, a backslash starts an escape.
_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})
_UNENCODED = frozenset("`$\\<>\"'")


def map_text(text: str) -> str:
    """Plain text as HTML that is also inert inside a JavaScript template literal.

    html.escape, then `` ` ``, ``$`` and ``\\`` as character references: a template literal
    leaves ``&#96;`` alone (so it cannot end the literal, start ``${...}`` or an escape such as
    ``\\x3c``), and the browser shows each reference as the character typed.
    """
    return escape(str(text), quote=True).translate(_TEMPLATE_LITERAL)


def local_assets(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Return folium asset name -> local URL under ``prefix``."""
    prefix = prefix.rstrip("/")
    return {name: f"{prefix}/{path}" for name, path in LOCAL_FILES.items()}


def localize(pairs: Iterable[tuple[str, str]], prefix: str = DEFAULT_PREFIX) -> list[tuple[str, str]]:
    """Return folium ``(name, url)`` asset pairs rewritten to local URLs.

    Dropped names are left out; an unknown name raises ``KeyError``.
    """
    urls = local_assets(prefix)
    out: list[tuple[str, str]] = []
    for name, url in pairs:
        if name in DROPPED:
            continue
        if name not in urls:
            raise KeyError(
                f"folium asset {name!r} ({url}) has no local copy in static/vendor; "
                "add it to scripts/vendor_assets.sh and LOCAL_FILES"
            )
        if (name, urls[name]) not in out:
            out.append((name, urls[name]))
    return out


def localize_plugin(element: _E, prefix: str = DEFAULT_PREFIX) -> _E:
    """Point one folium element's JS/CSS at local files; return the element.

    Works for any ``JSCSSMixin`` instance (Map, MarkerCluster, FastMarkerCluster,
    HeatMap, ...). Sets instance attributes only.
    """
    if not isinstance(element, JSCSSMixin):
        raise TypeError(f"{type(element).__name__} has no JS/CSS assets to localize")
    element.default_js = localize(element.default_js, prefix)
    element.default_css = localize(element.default_css, prefix)
    return element


class UnsafeMapText(ValueError):
    """A tooltip, popup or layer name reached the map without going through map_text."""


def _elements(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _elements(child)


def unsafe_map_text(m: folium.Map) -> list[str]:
    """Texts in ``m`` that would act as code: a Tooltip/Popup with `, $ or \\ (folium puts them in a
    template literal); a layer or GeoJsonTooltip value with markup (Leaflet uses innerHTML).
    """
    found = []
    for element in _elements(m):
        if isinstance(element, folium.Tooltip):
            texts = [element.text]
        elif isinstance(element, folium.Popup):
            texts = [getattr(child, "data", "") for child in element.html._children.values()]
        else:
            texts = []
        found += [text for text in texts if set(text) & set("`$\\")]
        layer_name = str(getattr(element, "layer_name", ""))
        if isinstance(element, folium.map.Layer) and element.control and set(layer_name) & _UNENCODED:
            found.append(layer_name)
        if isinstance(element, folium.GeoJsonTooltip | folium.GeoJsonPopup) and element.fields:
            data = element._parent.data
            for feature in data.get("features", [data]):
                for field in element.fields:
                    value = (feature.get("properties") or {}).get(field)
                    if isinstance(value, str) and set(value) & _UNENCODED:
                        found.append(value)
    return found


class ExtraAttribution(MacroElement):
    """Add a fixed text to the map's attribution control, whatever layer shows."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            if ({{ this._parent.get_name() }}.attributionControl) {
                {{ this._parent.get_name() }}.attributionControl.addAttribution(
                    {{ this.text|tojson }}
                );
            }
        {% endmacro %}
        """
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "ExtraAttribution"
        self.text = text


def tile_layer(tiles: TileSource, *, max_zoom: int = 19, min_zoom: int | None = None) -> folium.TileLayer:
    """The background layer for ``tiles``, drawn up to the map's ``max_zoom`` (enlarged past the source's)."""
    return folium.TileLayer(
        tiles.url,
        attr=tiles.attribution,
        name=map_text(tiles.name),
        min_zoom=min_zoom,
        max_zoom=max_zoom,
        max_native_zoom=min(tiles.max_zoom, max_zoom),
    )


def make_map(
    *,
    height: str | float = "100%",
    prefix: str = DEFAULT_PREFIX,
    attribution: str = CBS_ATTRIBUTION,
    tiles: TileSource | None = None,
    **folium_kwargs,
) -> folium.Map:
    """Return a ``folium.Map`` that loads its assets from ``prefix``.

    Defaults: a scale bar, full width, and ``attribution`` (CBS / Kadaster boundaries) on every
    map. The background comes from ``tiles`` (with its attribution); without it there is none.
    """
    if tiles is not None and not isinstance(tiles, TileSource):
        raise TypeError("tiles= takes a TileSource (from the TILES_* settings), not a folium tile name or URL")
    folium_kwargs.setdefault("control_scale", True)
    folium_kwargs.setdefault("width", "100%")
    max_zoom, min_zoom = folium_kwargs.pop("max_zoom", None) or 18, folium_kwargs.pop("min_zoom", None)
    m = localize_plugin(folium.Map(height=height, tiles=None, **folium_kwargs), prefix)
    # folium gives its zoom limits to the tile layer only; the map keeps them with or without one
    m.options["max_zoom"] = max_zoom
    if min_zoom is not None:
        m.options["min_zoom"] = min_zoom
    if tiles is not None:
        m.add_child(tile_layer(tiles, max_zoom=max_zoom, min_zoom=min_zoom), name="tiles")
    if attribution:
        m.add_child(ExtraAttribution(map_text(attribution)), name="extra_attribution")
    m.get_root().header.add_child(Element('<link rel="icon" href="data:,">'), name="favicon")
    return m


class ExternalAssetError(ValueError):
    """A rendered map would load a file from another site."""


def render_map_document(m: folium.Map, *, check: bool = True, chrome: MapChrome | None = None) -> str:
    """Return the map as one standalone HTML document (for an iframe ``src``).

    Every map document is finished here (buurt.geo.map_chrome): ``<html lang>``, a ``<title>``, a
    viewport that lets people zoom, Leaflet's controls in the document's language, names for the
    markers, folding legends. ``chrome``: the words; by default the registered provider's
    (the request's language) or Dutch.

    With ``check``, raise ``ExternalAssetError`` if anything would load off-site,
    e.g. a plugin added without ``localize_plugin``, and ``UnsafeMapText`` if a
    tooltip, popup or layer name did not go through ``map_text``.
    """
    if check and (unsafe := unsafe_map_text(m)):
        raise UnsafeMapText(f"{len(unsafe)} map text(s) not encoded with map_text")
    chrome = chrome or current_chrome()
    finish(m, chrome)
    html = finish_html(m.get_root().render(), chrome)
    if check and (external := external_assets(html)):
        raise ExternalAssetError(f"map loads off-site assets: {external}")
    return html


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "href", "poster", "data", "background"):
                self.urls.append(value)
            elif name == "srcset":
                self.urls.extend(part.split()[0] for part in value.split(",") if part.strip())
            elif name == "style":
                self.urls.extend(_CSS_URL.findall(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_CSS_URL.findall(data))


def is_external(url: str) -> bool:
    """Return whether ``url`` points at another site (``data:`` and paths do not)."""
    parts = urlsplit(url.strip())
    return bool(parts.netloc) or parts.scheme in ("http", "https", "ftp", "ws", "wss")


def external_assets(html: str) -> list[str]:
    """Return every src/href (and inline CSS ``url()``) in ``html`` that is off-site.

    Script bodies are not parsed, so tile URL templates and attribution links
    inside JavaScript strings are not reported.
    """
    collector = _AssetCollector()
    collector.feed(html)
    collector.close()
    return [url for url in collector.urls if is_external(url)]


def local_urls(html: str) -> list[str]:
    """Return every on-site src/href (and inline CSS ``url()``) in ``html``."""
    collector = _AssetCollector()
    collector.feed(html)
    collector.close()
    return [url for url in collector.urls if not is_external(url) and not url.startswith(("data:", "#", "javascript:"))]
