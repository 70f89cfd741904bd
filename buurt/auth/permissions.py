"""Every permission rule of the site, in one place. Views and templates call these predicates.

Roles (see buurt.models.Role):
- beheerder: manages the groups they are beheerder of (queue, members, exports, meldingen).
- coordinator: everything a beheerder does, for all groups of their neighbourhood (User.neighbourhood);
  its areas; audit log; the beheerders group. A coordinator without a neighbourhood is gemeente-wide:
  every neighbourhood, and adding neighbourhoods (issue 18).
- wijkagent: read-only: incidents (exact), meldingen and maps; never the member list.
- admin: everything.
Residents have no account: they use signed, expiring links (buurt.residents).

Every view is wrapped in ``require(<predicate>)`` unless anyone may open it; tests/test_role_matrix.py
lists those public endpoints and fails for an endpoint that is neither. Only rules the site calls
live here (a rule nothing calls is one nobody enforces; tests/auth/test_permissions_boundaries.py
fails for one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user

from buurt.models import Group, Role, User

STAFF = (Role.BEHEERDER, Role.COORDINATOR, Role.WIJKAGENT, Role.ADMIN)


def _role(user) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_coordinator(user) -> bool:
    """Coordinators (of any neighbourhood, or gemeente-wide) and admins: the route-level gate.

    What they may touch is scoped by :func:`coordinates` (one neighbourhood's groups and areas).
    """
    return _role(user) in (Role.COORDINATOR, Role.ADMIN)


def is_gemeente_coordinator(user) -> bool:
    """Admins, and coordinators without a neighbourhood: every neighbourhood of the gemeente."""
    role = _role(user)
    return role == Role.ADMIN or (role == Role.COORDINATOR and user.neighbourhood_id is None)


def coordinates(user, neighbourhood_id: int | None) -> bool:
    """Coordinator rights over one neighbourhood: gemeente-wide ones, or the coordinator of that one."""
    if is_gemeente_coordinator(user):
        return True
    return (
        _role(user) == Role.COORDINATOR and neighbourhood_id is not None and user.neighbourhood_id == neighbourhood_id
    )


def coordinated_neighbourhood_ids(user) -> frozenset[int] | None:
    """The neighbourhoods a user coordinates: None for all of them (gemeente-wide), else a set (maybe empty)."""
    if is_gemeente_coordinator(user):
        return None
    if _role(user) == Role.COORDINATOR and user.neighbourhood_id is not None:
        return frozenset({user.neighbourhood_id})
    return frozenset()


def can_manage_neighbourhoods(user) -> bool:
    """Add neighbourhoods, change their settings: gemeente-wide coordinators and admins."""
    return is_gemeente_coordinator(user)


def is_staff(user) -> bool:
    return _role(user) in STAFF


def is_beheerder_of(user, group: Group) -> bool:
    return _role(user) == Role.BEHEERDER and any(g.id == group.id for g in user.groups)


def can_manage_group(user, group: Group) -> bool:
    """Queue, members, waitlist, exports and settings of one group."""
    return coordinates(user, group.neighbourhood_id) or is_beheerder_of(user, group)


def can_use_console(user) -> bool:
    """The /beheer/ console: beheerders and coordinators."""
    return _role(user) in (Role.BEHEERDER, Role.COORDINATOR, Role.ADMIN)


def _hood_id(neighbourhood) -> int | None:
    """A Neighbourhood's id, or an id as it is."""
    return getattr(neighbourhood, "id", neighbourhood)


def _beheerder_neighbourhood_ids(user) -> frozenset[int]:
    if _role(user) != Role.BEHEERDER:
        return frozenset()
    return frozenset(g.neighbourhood_id for g in user.groups)


def can_manage_areas(user, neighbourhood=None) -> bool:
    """Upload, edit or split areas and confirm a new boundary generation.

    Without ``neighbourhood`` (a Neighbourhood or its id): the route-level gate (any coordinator);
    with one: the coordinators of that neighbourhood and the gemeente-wide ones.
    """
    if neighbourhood is None:
        return is_coordinator(user)
    return coordinates(user, _hood_id(neighbourhood))


def can_read_audit(user) -> bool:
    """The audit log page: coordinators. Which rows they see is scoped (buurt.beheer.audit_log)."""
    return is_coordinator(user)


def sees_every_neighbourhood(user) -> bool:
    """Read-only views across the gemeente (coverage, area history): wijkagenten, gemeente-wide coordinators, admins."""
    return is_gemeente_coordinator(user) or _role(user) == Role.WIJKAGENT


def viewable_neighbourhood_ids(user) -> frozenset[int] | None:
    """The neighbourhoods whose coverage and area history a user may read: None for all of them;
    a coordinator's own; a beheerder's groups' neighbourhoods."""
    if sees_every_neighbourhood(user):
        return None
    if _role(user) == Role.COORDINATOR:
        return coordinated_neighbourhood_ids(user) or frozenset()
    return _beheerder_neighbourhood_ids(user)


def _views_neighbourhood(user, neighbourhood) -> bool:
    ids = viewable_neighbourhood_ids(user)
    return ids is None or _hood_id(neighbourhood) in ids


def can_view_coverage(user, neighbourhood=None) -> bool:
    """Coverage maps with aggregated member density (no personal data); wijkagenten too (read-only).

    With ``neighbourhood``: wijkagenten and gemeente-wide coordinators any, a coordinator their own,
    a beheerder the neighbourhoods of their groups.
    """
    if not is_staff(user):
        return False
    return neighbourhood is None or _views_neighbourhood(user, neighbourhood)


def can_view_overview(user) -> bool:
    """The overview of all groups (counts only): coordinators, admins and wijkagenten."""
    return is_coordinator(user) or _role(user) == Role.WIJKAGENT


def can_view_pending_layer(user, group: Group) -> bool:
    """Where a group's open sign-ups are (aggregated per grid cell): those who manage the group."""
    return can_manage_group(user, group)


def can_edit_group(user, group: Group) -> bool:
    """Name, capacity and WhatsApp invite link of a group."""
    return can_manage_group(user, group)


def can_assign_beheerders(user, group: Group | None = None) -> bool:
    """Choose who is beheerder of a group: the coordinators of its neighbourhood (without a group:
    any coordinator, the route-level gate)."""
    if group is None:
        return is_coordinator(user)
    return coordinates(user, group.neighbourhood_id)


def can_view_area_history(user, neighbourhood=None) -> bool:
    """Boundary generations (current and old), read-only: anyone who may see that neighbourhood's coverage."""
    return can_view_coverage(user, neighbourhood)


def can_view_incidents_exact(user) -> bool:
    """Exact incident locations, descriptions and photos."""
    return is_staff(user)


def can_export_incidents(user) -> bool:
    return is_staff(user)


def can_report_incident(user) -> bool:
    """Log an incident while logged in (beheerders also log what was reported in WhatsApp)."""
    return can_use_console(user)


def can_moderate_incident(user, incident, neighbourhood_id: int | None) -> bool:
    """Correct, merge or hide one incident: coordinators of its neighbourhood (or gemeente-wide),
    or a beheerder of the incident's group.

    ``neighbourhood_id``: the incident's neighbourhood, as buurt.incidents.scope.incident_neighbourhood_id
    finds it (its group's; the nearest area's for one outside every area; None only without any
    areas: then only gemeente-wide coordinators). One rule for it, so no fallback here.
    """
    if coordinates(user, neighbourhood_id):
        return True
    return (
        _role(user) == Role.BEHEERDER
        and incident.group_id is not None
        and any(g.id == incident.group_id for g in user.groups)
    )


def can_view_meldingen(user) -> bool:
    """Meldingen list: coordinators, beheerders (their groups), wijkagenten (read), admins.

    Which meldingen each of them sees is :func:`melding_scope` (the list filters on it in SQL).
    """
    return is_staff(user)


@dataclass(frozen=True, slots=True)
class MeldingScope:
    """The meldingen a user may see: all of them, or those that concern their groups or neighbourhood.

    A melding concerns a beheerder's group when it reached it (a target, or a neighbour it was
    forwarded to after all); it concerns a neighbourhood when one of that neighbourhood's groups is
    among its targets or its neighbours to consider (the neighbourhood's coordinator decides about
    those). Everyone also sees the meldingen they entered themselves.
    """

    everything: bool = False
    group_ids: frozenset[int] = frozenset()
    neighbourhood_ids: frozenset[int] = frozenset()
    creator_id: int | None = None


def melding_scope(user) -> MeldingScope | None:
    """Which meldingen ``user`` may see; None for no meldingen at all (not staff).

    Admins, wijkagenten and gemeente-wide coordinators: all of them (every neighbourhood). The
    coordinator of one neighbourhood: those that concern its groups. A beheerder: those that reached
    their groups, in any neighbourhood.
    """
    role = _role(user)
    if role not in STAFF:
        return None
    if role == Role.WIJKAGENT or is_gemeente_coordinator(user):
        return MeldingScope(everything=True)
    if role == Role.COORDINATOR:
        return MeldingScope(neighbourhood_ids=frozenset({user.neighbourhood_id}), creator_id=user.id)
    return MeldingScope(group_ids=frozenset(g.id for g in user.groups), creator_id=user.id)


def can_enter_melding(user) -> bool:
    """Any beheerder (they all receive the meldkamer's alerts), coordinator or admin, for anywhere in the gemeente."""
    return can_use_console(user)


def can_forward_to(user, group: Group) -> bool:
    """Mark a text (the melding's or its closing) as forwarded into a group: those who manage that group."""
    return can_manage_group(user, group)


def _melding_group_ids(melding) -> set[int]:
    """Groups a melding is for: its targets, plus neighbours it was forwarded to after all."""
    return {t.group_id for t in melding.targets if not t.is_neighbour or t.forwarded_at is not None}


def _melding_neighbourhood_ids(melding, *, reached_only: bool = False) -> set[int]:
    """Neighbourhoods of a melding's groups: all targets and neighbours, or only the groups it is for."""
    reached = _melding_group_ids(melding) if reached_only else None
    return {t.group.neighbourhood_id for t in melding.targets if reached is None or t.group_id in reached}


def can_open_melding(user, melding) -> bool:
    """One stored melding (its page, map and every action on it): see :class:`MeldingScope`."""
    scope = melding_scope(user)
    if scope is None:
        return False
    if scope.everything or (scope.creator_id is not None and melding.created_by_id == scope.creator_id):
        return True
    return bool(
        scope.group_ids & _melding_group_ids(melding) or scope.neighbourhood_ids & _melding_neighbourhood_ids(melding)
    )


def can_close_melding(user, melding) -> bool:
    """Afmelden (never wijkagenten): gemeente-wide coordinators and admins; the coordinator of a
    neighbourhood and the beheerders of a group the melding is for; the one who entered a melding
    that reached no group at all."""
    if is_gemeente_coordinator(user):
        return True
    role = _role(user)
    reached = _melding_group_ids(melding)
    if role == Role.COORDINATOR:
        if user.neighbourhood_id in _melding_neighbourhood_ids(melding, reached_only=True):
            return True
    elif role == Role.BEHEERDER:
        if {g.id for g in user.groups} & reached:
            return True
    else:
        return False
    return not reached and melding.created_by_id == user.id


def managed_groups(user, all_groups: list[Group]) -> list[Group]:
    """The groups whose console this user may open."""
    return [g for g in all_groups if can_manage_group(user, g)]


def require(predicate: Callable[[User], bool]):
    """View decorator: login first (redirect), then the predicate (403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from buurt.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = predicate  # read by the role-matrix test
        return wrapped

    return decorator


def check(allowed: bool) -> None:
    """In a view, after loading an object: 403 unless allowed."""
    if not allowed:
        abort(403)


TEMPLATE_PREDICATES = {
    name: obj
    for name, obj in dict(globals()).items()
    if callable(obj) and (name.startswith(("can_", "is_")) or name == "managed_groups")
}
