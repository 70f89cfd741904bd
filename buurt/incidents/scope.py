"""Which neighbourhood an incident belongs to, and who sees which (issue 18).

An incident belongs to the neighbourhood of the area it was placed in (its group's neighbourhood:
a group keeps its identity, and its neighbourhood, across boundary generations). One outside every
area (a beheerder may log it, flagged) belongs to the neighbourhood of the nearest current area, so
every incident counts in exactly one neighbourhood's picture and with one neighbourhood the numbers
are what they were: "outside the areas" of that neighbourhood. None only when there are no areas.

Who sees which (exact locations): wijkagenten, admins and gemeente-wide coordinators every
neighbourhood; a coordinator of one neighbourhood that one; a beheerder the neighbourhoods of their
groups. Moderating: coordinators of the incident's neighbourhood, or a beheerder of its group.
Moderating is buurt.auth.permissions.can_moderate_incident, given the neighbourhood found here.
"""

from __future__ import annotations

from sqlalchemy import false, or_

from buurt import caching
from buurt.areas import services as areas
from buurt.auth import permissions
from buurt.extensions import db
from buurt.models import Group, Incident, Neighbourhood, Role

OUTSIDE_KEPT = 2


# --- an incident's neighbourhood ------------------------------------------------------------------------------


def _nearest_neighbourhood(current: areas.CurrentAreas, lat: float, lon: float) -> int | None:
    nearest = current.index.nearest(lat, lon)
    return current.by_id(nearest[0]).neighbourhood_id if nearest is not None else None


def outside_neighbourhoods() -> dict[int, int | None]:
    """Incident id -> neighbourhood id for every incident outside the areas (no group): the nearest area's.

    Few rows (only staff log outside the areas); cached per incidents revision and current areas.
    """
    key = (caching.read_revision(db.session, caching.INCIDENTS), areas.current_key())
    cache = caching.process_cache("incidents_outside", OUTSIDE_KEPT)
    found = cache.get(key)
    if found is None:
        current = areas.current_areas()
        rows = db.session.execute(
            db.select(Incident.id, Incident.lat, Incident.lon).where(Incident.group_id.is_(None))
        ).all()
        found = cache.put(key, {r.id: _nearest_neighbourhood(current, r.lat, r.lon) for r in rows})
    return found


def incident_neighbourhood_id(incident: Incident) -> int | None:
    """The neighbourhood an incident belongs to (see the module docstring)."""
    if incident.group_id is not None:
        group = incident.group or db.session.get(Group, incident.group_id)
        return group.neighbourhood_id if group is not None else None
    return _nearest_neighbourhood(areas.current_areas(), incident.lat, incident.lon)


def in_neighbourhoods(ids):
    """SQL condition: the incident belongs to one of the neighbourhoods `ids` (None: no condition)."""
    if ids is None:
        return None
    ids = set(ids)
    if not ids:
        return false()
    outside = sorted(iid for iid, nid in outside_neighbourhoods().items() if nid in ids)
    grouped = Incident.group_id.in_(db.select(Group.id).where(Group.neighbourhood_id.in_(ids)))
    return or_(grouped, Incident.id.in_(outside)) if outside else grouped


# --- who sees which -------------------------------------------------------------------------------------------


def incident_neighbourhood_ids(user) -> frozenset[int] | None:
    """Neighbourhoods whose incidents (exact) a user sees: None for all of them."""
    role = getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
    if role in (Role.WIJKAGENT, Role.ADMIN) or permissions.is_gemeente_coordinator(user):
        return None
    if role == Role.COORDINATOR:
        return permissions.coordinated_neighbourhood_ids(user) or frozenset()
    if role == Role.BEHEERDER:
        return frozenset(g.neighbourhood_id for g in user.groups)
    return frozenset()


def can_view_incident(user, incident: Incident) -> bool:
    """One incident (exact): staff who see its neighbourhood, and the one who logged it (a beheerder
    may log what happened just across the border)."""
    if not permissions.can_view_incidents_exact(user):
        return False
    ids = incident_neighbourhood_ids(user)
    if ids is None or (incident.reporter_user_id is not None and incident.reporter_user_id == user.id):
        return True
    return incident_neighbourhood_id(incident) in ids


def can_moderate(user, incident: Incident) -> bool:
    """Correct, merge, hide or delete one incident: coordinators of its neighbourhood, or a beheerder of its group."""
    return permissions.can_moderate_incident(user, incident, incident_neighbourhood_id(incident))


def visible_neighbourhoods(user) -> list[Neighbourhood]:
    """The neighbourhoods whose incidents a user sees, in the gemeente page's order."""
    from buurt.neighbourhoods import all_neighbourhoods

    ids = incident_neighbourhood_ids(user)
    return [n for n in all_neighbourhoods() if ids is None or n.id in ids]
