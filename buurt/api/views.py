"""Public JSON API, version 1. No personal data in any response."""

import math

from flask import Blueprint, current_app, jsonify, request

from buurt.api import lookup
from buurt.areas import services as areas
from buurt.extensions import csrf, limiter
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


def _number(value) -> float | None:
    """A finite number from a JSON value (a number, or a string with a decimal point or comma)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


AREA_AT_BODY_HELP = 'Stuur een POST naar /api/v1/areas/at met een JSON-body, bijvoorbeeld {"lat": 52.21, "lon": 4.42}.'


@bp.get("/areas/at")
def area_at_by_get():
    """Refused: a point in the URL (often someone's home) lands in every proxy's access log (issue 13)."""
    message = "Een punt hoort niet in de URL (die komt in logbestanden). " + AREA_AT_BODY_HELP
    return jsonify(status="method_not_allowed", message=message), 405, {"Allow": "POST"}


@bp.post("/areas/at")
@csrf.exempt  # a JSON body: a cross-site form cannot send one, and a lookup changes nothing
def area_at():
    """The area and group covering {"lat": .., "lon": ..} (404 with a JSON body when not covered)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(status="invalid", message=AREA_AT_BODY_HELP), 400
    lat, lon = _number(body.get("lat")), _number(body.get("lon"))
    if lat is None or lon is None:
        return jsonify(status="invalid", message="Geef lat en lon als getallen. " + AREA_AT_BODY_HELP), 400
    payload, status = lookup.lookup_point(lat, lon)
    return jsonify(payload), status


LOOKUP_BODY_HELP = (
    'Stuur een POST naar /api/v1/lookup met een JSON-body: {"postcode": "2221AB", "huisnummer": "12", '
    '"toevoeging": "a"} of {"q": "Voorbeeldlaan 12a"}.'
)


@bp.get("/lookup")
def lookup_by_get():
    """Refused: an address in the URL lands in every proxy's access log (issue 13, finding 11)."""
    message = "Een adres hoort niet in de URL (die komt in logbestanden). " + LOOKUP_BODY_HELP
    return jsonify(status="method_not_allowed", message=message), 405, {"Allow": "POST"}


def _text(body: dict, name: str) -> str | None:
    """A string field of the JSON body, stripped ("" when absent; None when it is not a string or number)."""
    value = body.get(name, "")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()


@bp.post("/lookup")
@csrf.exempt  # a JSON body: a cross-site form cannot send one, and a lookup changes nothing of anyone's
@limiter.limit(lambda: current_app.config["RATELIMIT_LOOKUP"])
def lookup_address():
    """Geocode {"postcode", "huisnummer"[, "toevoeging"]} or {"q": free text} (a JSON body) and assign a group."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(status="invalid", message=LOOKUP_BODY_HELP), 400
    text, postcode, number, addition = (_text(body, n) for n in ("q", "postcode", "huisnummer", "toevoeging"))
    if None in (text, postcode, number, addition):
        return jsonify(status="invalid", message="Geef elk veld als tekst. " + LOOKUP_BODY_HELP), 400
    if len(text) > 200 or len(postcode) > 20 or len(number) > 20 or len(addition) > 10:
        return jsonify(status="invalid", message="De invoer is te lang."), 400
    if text:
        payload, status = lookup.lookup_text(text)
    elif postcode and number:
        payload, status = lookup.lookup_structured(postcode, number, addition)
    else:
        return jsonify(status="invalid", message="Geef postcode en huisnummer, of een adres. " + LOOKUP_BODY_HELP), 400
    return jsonify(payload), status


@bp.post("/address-check")
@csrf.exempt  # a JSON body: a cross-site form cannot send one, and a check changes nothing
@limiter.limit(lambda: current_app.config["RATELIMIT_LOOKUP"])
def address_check():
    """The sign-up form's check of {"postcode", "huisnummer"[, "toevoeging"]}: the address as found,
    or the toevoegingen at the number (status "choose", candidates); always 200 for a valid body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(status="invalid", message=LOOKUP_BODY_HELP), 400
    postcode, number, addition = (_text(body, n) for n in ("postcode", "huisnummer", "toevoeging"))
    if None in (postcode, number, addition) or len(postcode) > 20 or len(number) > 20 or len(addition) > 10:
        return jsonify(status="invalid", message="Geef postcode, huisnummer en toevoeging als korte tekst."), 400
    if not (postcode and number):
        return jsonify(status="invalid"), 200
    return jsonify(lookup.address_check(postcode, number, addition))  # no-store: buurt.security
