"""Which neighbourhood a console page is about, and which neighbourhoods a user may see (issue 18).

A coordinator of one neighbourhood manages its groups and areas only; gemeente-wide coordinators
and admins manage all; wijkagenten read across the gemeente; beheerders their groups
(:mod:`buurt.auth.permissions`). Pages that start from "the current areas" or "the coverage" take
the neighbourhood from the ``buurt`` query argument (a slug; a form carries it as a hidden field),
defaulting to the user's own neighbourhood, else the default one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, request

from buurt.areas import services as areas
from buurt.auth.permissions import check, managed_groups, viewable_neighbourhood_ids
from buurt.extensions import db
from buurt.models import Group, Neighbourhood, Role
from buurt.neighbourhoods import all_neighbourhoods, neighbourhood_by_slug

#: the query argument (and hidden form field) that names the neighbourhood of a console page
ARG = "buurt"


def own_neighbourhood(user) -> Neighbourhood | None:
    """The neighbourhood a page opens on for this user: a coordinator's own; for a beheerder whose
    groups all lie elsewhere, the first of theirs; else the default one."""
    default = areas.default_neighbourhood()
    role = getattr(user, "role", None)
    if role == Role.COORDINATOR and user.neighbourhood_id is not None:
        return db.session.get(Neighbourhood, user.neighbourhood_id) or default
    if role == Role.BEHEERDER:
        theirs = sorted({g.neighbourhood for g in user.groups}, key=lambda h: (h.sort_order, h.name))
        if theirs and (default is None or default not in theirs):
            return theirs[0]
    return default


def requested_neighbourhood(user, allowed: Callable[[object, Neighbourhood], bool]) -> Neighbourhood:
    """The page's neighbourhood: ``?buurt=<slug>`` (or the form's ``buurt`` field), else the user's
    own; 404 for an unknown slug or an empty database, 403 unless ``allowed(user, hood)``."""
    slug = (request.values.get("buurt") or "").strip()[:80]
    hood = neighbourhood_by_slug(slug) if slug else own_neighbourhood(user)
    if hood is None:
        abort(404)
    check(allowed(user, hood))
    return hood


def viewable_neighbourhoods(user) -> list[Neighbourhood]:
    """The neighbourhoods whose coverage and area history this user may read, in display order."""
    ids = viewable_neighbourhood_ids(user)
    return [h for h in all_neighbourhoods() if ids is None or h.id in ids]


@dataclass(frozen=True, slots=True)
class HoodGroups:
    """The groups of one neighbourhood (a heading on the console's pages)."""

    neighbourhood: Neighbourhood
    groups: list[Group]


def groups_per_neighbourhood(user, *, managed_only: bool) -> list[HoodGroups]:
    """Active groups per neighbourhood: the ones this user manages (``managed_only``), or every
    group of the neighbourhoods this user may see; neighbourhoods without such groups are left out."""
    ids = viewable_neighbourhood_ids(user)
    result = []
    for hood in all_neighbourhoods():
        groups = areas.groups_of(hood)
        if managed_only:
            groups = managed_groups(user, groups)
        elif ids is not None and hood.id not in ids:
            continue
        if groups:
            result.append(HoodGroups(hood, groups))
    return result
