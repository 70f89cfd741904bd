"""The residents' map documents (rendered into the page; see buurt.geo for the pure builders)."""

from __future__ import annotations

from flask_babel import gettext as _

from buurt.areas.services import current_areas
from buurt.geo.folium_assets import render_map_document
from buurt.geo.maps import MapArea, areas_map
from buurt.residents.lookup import LookupResult


def lookup_map_document(lookup: LookupResult) -> str | None:
    """The map for one lookup answer: every area, the answer's area highlighted, the asker's point.

    Rendered into the answer page itself (iframe srcdoc): the point never gets a URL of its own.
    """
    if lookup.lat is None or lookup.lon is None:
        return None
    highlighted = lookup.group.id if lookup.group else (lookup.nearest_group.id if lookup.nearest_group else None)
    shapes = [
        MapArea(
            key=a.key,
            name=a.group_name,
            geometry=a.geometry,
            lines=(a.name,),
            colour="#31a354" if a.group_id == highlighted else "#d1d5db",
            highlight=a.group_id == highlighted,
        )
        for a in current_areas().areas
    ]
    m = areas_map(shapes, point=(lookup.lat, lookup.lon), point_label=_("Uw adres"))
    return render_map_document(m)
