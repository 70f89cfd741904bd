"""The map tile provider, from the TILES_* settings (issue 13, point 7).

Every visitor's browser asks the tile server for the background of each map it shows, so that
server sees the visitor's IP address and where they look. Which server that is is a setting:
PDOK's BRT Achtergrondkaart (Kadaster) by default, or self-hosted tiles (a path such as
``/tiles/{z}/{x}/{y}.png``). The folium maps (the builders get it as an argument: buurt.geo stays
free of Flask), the point picker (data attributes set by the templates) and the
Content-Security-Policy (buurt.csp) all read it here, so they cannot disagree.

An empty TILES_URL means maps without a background: no request leaves the site.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import current_app

from buurt.geo.folium_assets import TileSource, TileSourceError

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _source(url: str, attribution: str, max_zoom: int, provider: str) -> TileSource:
    return TileSource(url=url, attribution=attribution, max_zoom=max_zoom, name=provider or "Achtergrond")


def tile_source(config=None) -> TileSource | None:
    """The configured tile provider, or None when TILES_URL is empty (no background).

    A setting that cannot work is logged and treated as empty: the maps lose their background,
    the rest of the site (and its error pages, which also get a policy) keeps working.
    """
    cfg = current_app.config if config is None else config
    url = (cfg.get("TILES_URL") or "").strip()
    if not url:
        return None
    try:
        return _source(
            url,
            cfg.get("TILES_ATTRIBUTION") or "",
            int(cfg.get("TILES_MAX_ZOOM") or 19),
            cfg.get("TILES_PROVIDER") or "",
        )
    except (TileSourceError, ValueError) as error:
        log.error("TILES_URL/TILES_* setting ignored, maps have no background: %s", error)
        return None


def tile_origin(config=None) -> str | None:
    """The CSP source of the tiles: None when there are none or they are on this site ('self')."""
    source = tile_source(config)
    return source.origin if source else None
