"""Public JSON API, version 1. No personal data in any response."""

from flask import Blueprint, jsonify

from buurt.areas import services as areas
from buurt.main.services import public_groups

bp = Blueprint("api", __name__)


@bp.get("/areas")
def area_collection():
    """The current areas as GeoJSON with group name, capacity, member count and fill fraction."""
    groups = {g.id: g for g in public_groups()}
    features = []
    for a in areas.current_areas().areas:
        g = groups.get(a.group_id)
        if g is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": a.key,
                "properties": {
                    "area": a.name, "area_key": a.key, "group": g.name, "group_id": g.id,
                    "capacity": g.capacity, "members": g.members, "fill": round(g.fill, 4),
                    "has_room": g.has_room, "households": a.households,
                },
                "geometry": a.geometry,
            }
        )
    return jsonify(
        {
            "type": "FeatureCollection",
            "attribution": "CBS / Kadaster, CC BY 4.0",
            "features": features,
        }
    )
