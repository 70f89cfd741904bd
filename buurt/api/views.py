"""Public JSON API, version 1. No personal data in any response."""

import math

from flask import Blueprint, current_app, jsonify, request

from buurt.api import lookup
from buurt.areas import services as areas
from buurt.extensions import limiter
from buurt.main.services import public_groups

bp = Blueprint("api", __name__)


@bp.get("/areas")
def area_collection():
    """The current areas as GeoJSON with group name, capacity, members and occupancy (buurt.areas.occupancy)."""
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
                    "area": a.name,
                    "area_key": a.key,
                    "group": g.name,
                    "group_id": g.id,
                    "capacity": g.capacity,
                    "members": g.members,
                    "occupied": g.occupancy.occupied,
                    "fill": round(g.fill, 4),
                    "level": g.level,
                    "has_room": g.has_room,
                    "households": a.households,
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


def _float_arg(name: str) -> float | None:
    value = request.args.get(name, "").strip().replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@bp.get("/areas/at")
def area_at():
    """The area and group covering ?lat=..&lon=.. (404 with a JSON body when not covered)."""
    lat, lon = _float_arg("lat"), _float_arg("lon")
    if lat is None or lon is None:
        return jsonify(status="invalid", message="Geef lat en lon als getallen, bijvoorbeeld ?lat=52.21&lon=4.42."), 400
    payload, status = lookup.lookup_point(lat, lon)
    return jsonify(payload), status


@bp.get("/lookup")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOOKUP"])
def lookup_address():
    """Geocode ?postcode=..&huisnummer=..[&toevoeging=..] or ?q=free text, and assign a group."""
    text = request.args.get("q", "").strip()
    postcode = request.args.get("postcode", "").strip()
    number = request.args.get("huisnummer", "").strip()
    if len(text) > 200 or len(postcode) > 20 or len(number) > 20:
        return jsonify(status="invalid", message="De invoer is te lang."), 400
    if text:
        payload, status = lookup.lookup_text(text)
    elif postcode and number:
        payload, status = lookup.lookup_structured(postcode, number, request.args.get("toevoeging", "").strip()[:10])
    else:
        return jsonify(
            status="invalid",
            message="Geef postcode en huisnummer (?postcode=2221AB&huisnummer=12) of een adres (?q=Voorbeeldlaan 12).",
        ), 400
    return jsonify(payload), status
