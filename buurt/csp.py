"""Content-Security-Policy: one policy for every page, a stricter one for each map document.

Defence in depth behind map_text (buurt.geo.folium_assets) and Jinja's autoescaping: if a name
ever gets into a page as code after all, the browser still refuses to run it or to send anything
anywhere.

* Pages: scripts and styles only from our own files (no inline script anywhere in templates/),
  images also from the configured tile server (point pickers; buurt.tiles: its origin, read from
  TILES_URL at each request, or nothing extra for self-hosted tiles), nothing framed from elsewhere, forms post
  only to us. Three templates set a width or a colour in a style="" attribute, hence
  ``style-src-attr 'unsafe-inline'`` (attributes cannot run script).
* Map documents (the iframe routes) are folium documents with inline scripts: they get a policy
  of their own (``map_document_response``) with a sandbox without allow-same-origin, so the map
  runs in an opaque origin: no cookies, no fetch of a member CSV with the user's session, even if
  a script ran. Inline scripts run only by their sha256 hash, computed from the document served.
* The lookup answer embeds its map with ``srcdoc``; such a frame takes the page's policy, so the
  view calls ``allow_embedded_map(document)`` to add that document's hashes for that response only.

A sandboxed map's font requests come from the origin "null" in CORS mode: the static font files
get ``Access-Control-Allow-Origin: *`` (they are public files anyway).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Response, g, request

from buurt.tiles import tile_origin

HEADER = "Content-Security-Policy"
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf", ".eot")

_INLINE = {
    tag: re.compile(rf"<{tag}(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</{tag}\s*>", re.S | re.I)
    for tag in ("script", "style")
}


def inline_hashes(document: str, tag: str = "script") -> list[str]:
    """CSP source expressions ('sha256-...') for each inline <script> (or <style>) in ``document``.

    Scripts with a src attribute are not inline and are left out; the order is the document's.
    """
    hashes = []
    for match in _INLINE[tag].finditer(document):
        if tag == "script" and re.search(r"\ssrc\s*=", match["attrs"], re.I):
            continue
        digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def _join(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def site_policy(script_hashes: list[str] = (), style_hashes: list[str] = (), *, tiles: str | None = None) -> str:
    """The policy of every page (``script_hashes``/``style_hashes``: an embedded srcdoc map's).

    ``tiles``: the tile server's origin (buurt.tiles.tile_origin); None for none or self-hosted.
    """
    return _join(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", *script_hashes],
            "style-src": ["'self'", *_fallback_style(), *style_hashes],
            "style-src-attr": ["'unsafe-inline'"],
            "img-src": ["'self'", "data:", "blob:", *([tiles] if tiles else [])],
            "font-src": ["'self'"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'self'"],
        }
    )


def map_policy(document: str, *, top_navigation: bool = False, tiles: str | None = None) -> str:
    """The policy of one map document: sandboxed, its own inline scripts by hash, tiles, no requests.

    ``top_navigation``: a link in the map may open a page of the site in the whole window (the
    incident map's "open" link), only when the user clicks it.
    """
    sandbox = ["allow-scripts", *(["allow-top-navigation-by-user-activation"] if top_navigation else [])]
    return _join(
        {
            "sandbox": sandbox,
            "default-src": ["'none'"],
            "script-src": ["'self'", *inline_hashes(document)],
            # folium's <style> blocks, Leaflet's and the legends' style attributes; styles cannot run script
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:", *([tiles] if tiles else [])],
            "font-src": ["'self'"],
            "connect-src": ["'none'"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "frame-ancestors": ["'self'"],
        }
    )


def map_document_response(document: str, *, top_navigation: bool = False) -> Response:
    """A map document (for an iframe) served with its own sandboxing policy."""
    response = Response(document, mimetype="text/html")
    response.headers[HEADER] = map_policy(document, top_navigation=top_navigation, tiles=tile_origin())
    return response


def allow_embedded_map(document: str | None) -> None:
    """Let this response's page run the inline scripts and styles of a map it embeds with srcdoc."""
    if document:
        g.csp_embedded = (inline_hashes(document, "script"), inline_hashes(document, "style"))


_fallback_hashes: list[str] | None = None


def _fallback_style() -> list[str]:
    """The hash of the last-resort error page's own <style> (buurt.errors.FALLBACK_PAGE)."""
    global _fallback_hashes
    if _fallback_hashes is None:
        from buurt.errors import FALLBACK_PAGE

        _fallback_hashes = inline_hashes(FALLBACK_PAGE, "style")
    return _fallback_hashes


def init_app(app) -> None:
    """Every response gets the site policy unless it set its own (a map document)."""

    @app.after_request
    def content_security_policy(response: Response) -> Response:
        if HEADER not in response.headers:
            scripts, styles = g.get("csp_embedded", ((), ()))
            response.headers[HEADER] = site_policy(scripts, styles, tiles=tile_origin())
        if request.endpoint == "static" and request.path.endswith(FONT_SUFFIXES):
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response
