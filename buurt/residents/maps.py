"""The residents' map documents (rendered into the page; see buurt.geo for the pure builders).

The lookup answer's map is the same for every asker but for their point: all areas, the answer's
group highlighted. So the document is rendered once per (areas, highlighted group, language) and
kept per process (buurt.caching); a request only puts its point and the view that fits it in.

The map is about the asker's own address: its first view is never deeper than PUBLIC_MAX_ZOOM
(the tiles around their house would otherwise go to the tile server); they may zoom in by hand.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from buurt import caching
from buurt.areas.services import CurrentAreas, current_areas
from buurt.geo.maps import MapArea, PointMapTemplate, point_map_template
from buurt.residents.lookup import LookupResult, neighbourhood_refs
from buurt.tiles import tile_source

#: a template per group (and one for "no group") per language; a handful in practice
TEMPLATES_KEPT = 64


def lookup_map_areas(areas: CurrentAreas, highlighted: int | None) -> list[MapArea]:
    """Every current area of every neighbourhood, the highlighted group's in green; each names its
    neighbourhood when there are several (group names repeat across the gemeente)."""
    hoods = neighbourhood_refs()
    several = len({a.neighbourhood_id for a in areas.areas}) > 1
    return [
        MapArea(
            key=a.key,
            name=a.group_name,
            geometry=a.geometry,
            lines=(a.name, hoods[a.neighbourhood_id].name) if several and a.neighbourhood_id in hoods else (a.name,),
            colour="#31a354" if a.group_id == highlighted else "#d1d5db",
            highlight=a.group_id == highlighted,
        )
        for a in areas.areas
    ]


def lookup_map_template(highlighted: int | None) -> PointMapTemplate:
    """The lookup map for `highlighted` (a group id) with the point left open; built once per areas revision."""
    areas = current_areas()
    tiles, max_zoom = tile_source(), int(current_app.config["PUBLIC_MAX_ZOOM"])
    key = (areas.key, highlighted, str(get_locale()), tiles, max_zoom)
    cache = caching.process_cache("lookup_map", TEMPLATES_KEPT)
    template = cache.get(key)
    if template is None:
        template = cache.put(
            key,
            point_map_template(
                lookup_map_areas(areas, highlighted), point_label=_("Uw adres"), tiles=tiles, point_max_zoom=max_zoom
            ),
        )
    return template


def highlighted_group(lookup: LookupResult) -> int | None:
    """The group shown in green: the answer's, or the nearest one for an address outside every area."""
    if lookup.group:
        return lookup.group.id
    return lookup.nearest_group.id if lookup.nearest_group else None


def lookup_map_document(lookup: LookupResult) -> str | None:
    """The map for one lookup answer: every area, the answer's area highlighted, the asker's point.

    Rendered into the answer page itself (iframe srcdoc): the point never gets a URL of its own.
    """
    if lookup.lat is None or lookup.lon is None:
        return None
    return lookup_map_template(highlighted_group(lookup)).render(lookup.lat, lookup.lon)
