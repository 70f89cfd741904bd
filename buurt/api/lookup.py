"""The lookup answers shared by /api/v1 and `flask buurt which`: plain dicts, no personal data."""

from __future__ import annotations

from buurt.areas import services as areas
from buurt.geo.addresses import InvalidAddress
from buurt.geo.coords import in_netherlands, looks_swapped
from buurt.residents.lookup import choice_payload, lookup_address, make_query, neighbourhood_ref, public_source

#: "choose" (the number has several addresses; `candidates` lists them) is a 404 like "unknown":
#: the address as asked is not one address, and a client that knows only found/unknown treats it
#: as "not found" instead of reading a group that is not there. Not 300: that status is cacheable
#: by default and some clients take a 3xx for a redirect. Not 200: no group was found.
HTTP_STATUS = {"found": 200, "outside": 404, "unknown": 404, "choose": 404, "invalid": 400, "unavailable": 503}


def _group(area_info) -> dict | None:
    if area_info is None:
        return None
    return {"id": area_info.group_id, "name": area_info.group_name}


def _neighbourhood(ref) -> dict | None:
    """A neighbourhood as the API names it (public: slug, name, routing-only, its own sign-up, contact)."""
    if ref is None:
        return None
    return {
        "slug": ref.slug,
        "name": ref.name,
        "routing_only": ref.routing_only,
        "signup_url": ref.signup_url,
        "contact_email": ref.contact_email,
    }


def _neighbourhood_of(area_info) -> dict | None:
    return _neighbourhood(neighbourhood_ref(area_info.neighbourhood_id)) if area_info is not None else None


def _area(area_info) -> dict | None:
    if area_info is None:
        return None
    return {"key": area_info.key, "name": area_info.name}


def point_error(lat: float, lon: float) -> str | None:
    """A Dutch reason why this is not a usable point in the Netherlands, or None."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "lat moet tussen -90 en 90 liggen en lon tussen -180 en 180."
    if not in_netherlands(lat, lon):
        if looks_swapped(lat, lon):
            return "Dit punt ligt niet in Nederland; lat en lon lijken verwisseld."
        return "Dit punt ligt niet in Nederland."
    return None


def lookup_point(lat: float, lon: float) -> tuple[dict, int]:
    """The area and group covering a point."""
    error = point_error(lat, lon)
    if error:
        return {"status": "invalid", "message": error}, 400
    placed = areas.place(lat, lon)
    if placed.area is None:
        nearest = placed.other
        return {
            "status": "outside",
            "message": "Dit punt ligt buiten de gebieden van de buurtgroepen.",
            "lat": lat,
            "lon": lon,
            "nearest_group": _group(nearest),
            "nearest_neighbourhood": _neighbourhood_of(nearest),
            "nearest_distance_m": round(placed.distance_m) if placed.distance_m is not None else None,
        }, 404
    return {
        "status": "found",
        "lat": lat,
        "lon": lon,
        "group": _group(placed.area),
        "area": _area(placed.area),
        "neighbourhood": _neighbourhood_of(placed.area),
        "border": placed.is_border,
        "border_group": _group(placed.other) if placed.is_border else None,
        "border_neighbourhood": _neighbourhood_of(placed.other) if placed.is_border else None,
        "border_distance_m": round(placed.distance_m, 1)
        if placed.is_border and placed.distance_m is not None
        else None,
    }, 200


def _ref(ref) -> dict | None:
    return {"id": ref.id, "name": ref.name} if ref is not None else None


def lookup_result_payload(result) -> tuple[dict, int]:
    """JSON for a buurt.residents.lookup.LookupResult (no personal data: it is the asker's own address)."""
    payload = {
        "status": result.status,
        "message": result.message_nl,
        "group": _ref(result.group),
        "area": {"key": result.area.key, "name": result.area.name} if result.area is not None else None,
        "lat": result.lat,
        "lon": result.lon,
        "border": result.is_border,
        "has_room": result.has_room,
        # the group's neighbourhood; with "nearest" true the address lies between neighbourhoods and
        # "group" is the nearest one (within NEAREST_GROUP_MAX_M), "distance_m" the way to its area
        "neighbourhood": _neighbourhood(result.neighbourhood),
        "nearest": result.is_nearest,
        "signup_elsewhere": result.signs_up_elsewhere,  # a routing-only neighbourhood: its own signup_url
        "nearest_group": _ref(result.nearest_group),
        "nearest_neighbourhood": _neighbourhood(result.nearest_neighbourhood),
        "distance_m": round(result.distance_m) if result.distance_m is not None else None,
        "source": public_source(result.source),  # "register" or "online": never "asked before"
        "address": result.address,  # the asker's own address as found, built from its parts
    }
    if result.choice is not None:
        # street, place, postcode and candidates [{"house": "7-1", "huisnummer": 7, "huisletter": null,
        # "toevoeging": "1", "address": "Proefstraat 7-1, 2221 CM Katwijk"}, ...]: the public register's
        # addresses at the number (never the online answers somebody's lookup left in it)
        payload.update(choice_payload(result.choice))
    return payload, HTTP_STATUS.get(result.status, 400)


def lookup_text(text: str) -> tuple[dict, int]:
    """Geocode free text ("Voorbeeldlaan 12a", "2221 AB 12") and assign."""
    return lookup_result_payload(lookup_address(text))


def lookup_structured(postcode: str, number: str, addition: str | None) -> tuple[dict, int]:
    """Geocode postcode + house number (+ addition) and assign."""
    try:
        query = make_query(postcode=postcode, house_number=number, addition=addition)
    except InvalidAddress as error:
        return {"status": "invalid", "message": error.message}, 400
    return lookup_result_payload(lookup_address(query))


def address_check(postcode: str, number: str, addition: str | None) -> dict:
    """For the sign-up form's script (static/js/address-check.js): the address as found (street and
    place as a check) or the addresses to choose from; no group and no point. Every answer is
    HTTP 200: the script shows what it can and the form itself answers on submit."""
    try:
        query = make_query(postcode=postcode, house_number=number, addition=addition)
    except InvalidAddress:
        return {"status": "invalid"}
    result = lookup_address(query)
    payload = {"status": result.status}
    if result.status in ("found", "outside"):
        payload.update(status="found", address=result.address)
    elif result.choice is not None:
        payload.update(choice_payload(result.choice))
    return payload
