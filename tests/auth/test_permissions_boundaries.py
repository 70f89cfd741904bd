"""Every predicate of buurt/auth/permissions.py at the boundaries of roles and neighbourhoods.

Called directly with real users, groups, neighbourhoods, incidents and meldingen from the fixtures
(fast; the pages themselves are swept by tests/test_role_matrix.py). The world: Rijnsoever (the
default neighbourhood, groups A = ``groups[0]``, B = ``groups[1]``, ...) and Hoornes (a second one,
groups H and H2). B is a neighbour group of A for the meldingen below: it only gets a melding once
the melding is forwarded to it.

    coordinator_r   coordinator of Rijnsoever       coordinator_h   coordinator of Hoornes
    gemeente        coordinator of no neighbourhood (the whole gemeente)
    beheerder_a     beheerder of A                  beheerder_b     beheerder of B (neighbour of A)
    beheerder_h     beheerder of H (Hoornes)        beheerder_ah    beheerder of A and of H
    wijkagent, admin, and "nobody" (not logged in: None and Flask-Login's anonymous user)
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin, login_user
from werkzeug.exceptions import Forbidden

from buurt.auth import permissions as p
from buurt.auth import services
from buurt.extensions import db
from buurt.models import Group, Incident, IncidentCategory, Melding, MeldingCategory, MeldingTarget, Role, utcnow

EVERYONE = (
    "coordinator_r",
    "coordinator_h",
    "gemeente",
    "beheerder_a",
    "beheerder_b",
    "beheerder_h",
    "beheerder_ah",
    "wijkagent",
    "admin",
)


@pytest.fixture
def account(make_user):
    """make_user without a password: these tests call the predicates, nobody logs in (and hashing is slow)."""
    return lambda role, **fields: make_user(role, password=None, **fields)


@pytest.fixture
def world(app, groups, hoornes, account):
    group_a, group_b = groups[0], groups[1]
    group_h, group_h2 = db.session.scalars(
        db.select(Group).filter_by(neighbourhood_id=hoornes.id).order_by(Group.sort_order)
    ).all()
    rijnsoever = group_a.neighbourhood
    users = {
        "coordinator_r": account(Role.COORDINATOR, neighbourhood=rijnsoever),
        "coordinator_h": account(Role.COORDINATOR, neighbourhood=hoornes),
        "gemeente": account(Role.COORDINATOR),
        "beheerder_a": account(Role.BEHEERDER, groups=[group_a]),
        "beheerder_b": account(Role.BEHEERDER, groups=[group_b]),
        "beheerder_h": account(Role.BEHEERDER, groups=[group_h]),
        "beheerder_ah": account(Role.BEHEERDER, groups=[group_a, group_h]),
        "wijkagent": account(Role.WIJKAGENT),
        "admin": account(Role.ADMIN),
    }
    return SimpleNamespace(
        users=users,
        rijnsoever=rijnsoever,
        hoornes=hoornes,
        a=group_a,
        b=group_b,
        c=groups[2],
        h=group_h,
        h2=group_h2,
    )


def allowed(world, predicate, *args) -> set[str]:
    """The users of the world for whom ``predicate(user, *args)`` holds."""
    return {name for name, user in world.users.items() if predicate(user, *args)}


NOBODY = (None, AnonymousUserMixin())


# --- roles without objects ------------------------------------------------------------------------------


def test_nobody_has_any_right(world):
    """Not logged in (None, the anonymous user), or an object that does not say it is logged in."""
    pretender = SimpleNamespace(role=Role.ADMIN, neighbourhood_id=None, groups=[world.a])  # no is_authenticated
    for user in (*NOBODY, pretender):
        for name, predicate in p.TEMPLATE_PREDICATES.items():
            if name == "managed_groups":
                assert predicate(user, [world.a, world.h]) == []
            else:
                args = _object_args(world, predicate)
                assert predicate(user, *args) is False, name
        assert p.coordinated_neighbourhood_ids(user) == frozenset()
        assert p.viewable_neighbourhood_ids(user) == frozenset()
        assert p.melding_scope(user) is None


def _object_args(world, predicate) -> tuple:
    """Arguments after the user for a predicate of TEMPLATE_PREDICATES (by its parameter names)."""
    import inspect

    objects = {
        "group": world.a,
        "neighbourhood": world.rijnsoever,
        "neighbourhood_id": world.rijnsoever.id,
        "incident": SimpleNamespace(group=world.a, group_id=world.a.id),
        "melding": _fake_melding(world),
    }
    params = list(inspect.signature(predicate).parameters)[1:]
    return tuple(objects[name] for name in params if name in objects)


def _fake_melding(world):
    target = SimpleNamespace(group_id=world.a.id, group=world.a, is_neighbour=False, forwarded_at=None)
    return SimpleNamespace(targets=[target], created_by_id=None)


def test_a_disabled_account_has_no_rights_left(world):
    """Flask-Login counts an inactive account as not logged in: an admin switched off is nobody."""
    admin, coordinator = world.users["admin"], world.users["coordinator_r"]
    services.set_active(admin, False)
    services.set_active(coordinator, False)
    for user in (admin, coordinator):
        assert not p.is_staff(user)
        assert not p.can_use_console(user)
        assert not p.can_manage_group(user, world.a)
        assert not p.coordinates(user, world.rijnsoever.id)
        assert p.melding_scope(user) is None


def test_roles_without_objects(world):
    coordinators = {"coordinator_r", "coordinator_h", "gemeente", "admin"}
    beheerders = {"beheerder_a", "beheerder_b", "beheerder_h", "beheerder_ah"}
    assert allowed(world, p.is_coordinator) == coordinators
    assert allowed(world, p.is_gemeente_coordinator) == {"gemeente", "admin"}
    assert allowed(world, p.can_manage_neighbourhoods) == {"gemeente", "admin"}
    assert allowed(world, p.is_staff) == set(EVERYONE)
    assert allowed(world, p.can_use_console) == coordinators | beheerders
    assert allowed(world, p.can_manage_areas) == coordinators  # the route-level gate
    assert allowed(world, p.can_read_audit) == coordinators
    assert allowed(world, p.can_view_overview) == coordinators | {"wijkagent"}
    assert allowed(world, p.can_assign_beheerders) == coordinators  # the route-level gate
    assert allowed(world, p.can_view_coverage) == set(EVERYONE)
    assert allowed(world, p.can_view_area_history) == set(EVERYONE)
    assert allowed(world, p.can_view_incidents_exact) == set(EVERYONE)
    assert allowed(world, p.can_export_incidents) == set(EVERYONE)
    assert allowed(world, p.can_report_incident) == coordinators | beheerders
    assert allowed(world, p.can_view_meldingen) == set(EVERYONE)
    assert allowed(world, p.can_enter_melding) == coordinators | beheerders


def test_a_neighbourhood_id_makes_no_beheerder_or_wijkagent_a_coordinator(world, account):
    """Only the role coordinator turns a neighbourhood into rights; an account of another role that
    happens to carry one (or carries none, like a gemeente-wide coordinator) gets nothing from it."""
    r = world.rijnsoever
    odd = {
        "beheerder_r": account(Role.BEHEERDER, groups=[world.b], neighbourhood=r),
        "wijkagent_r": account(Role.WIJKAGENT, neighbourhood=r),
        "wijkagent": world.users["wijkagent"],  # no neighbourhood, like a gemeente-wide coordinator
        "beheerder": world.users["beheerder_b"],
    }
    for name, user in odd.items():
        assert not p.is_gemeente_coordinator(user), name
        assert not p.coordinates(user, r.id), name
        assert not p.coordinates(user, None), name
        assert p.coordinated_neighbourhood_ids(user) == frozenset(), name
        assert not p.can_manage_areas(user, r), name
        assert not p.can_assign_beheerders(user, world.a), name
        assert not p.can_manage_group(user, world.a), name


def test_a_wijkagent_linked_to_a_group_still_never_manages_it(world, account):
    """Read-only stays read-only: even a wijkagent listed with a group gets no member list, no
    moderation of its incidents and no afmelden of its meldingen."""
    wijkagent = account(Role.WIJKAGENT, groups=[world.a])
    assert not p.can_manage_group(wijkagent, world.a)
    assert p.managed_groups(wijkagent, [world.a, world.b]) == []
    assert not p.can_moderate_incident(wijkagent, _incident(world.a), world.rijnsoever.id)
    melding = _melding(world, targets=[(world.a, False, False)])
    assert not p.can_close_melding(wijkagent, melding)
    assert p.viewable_neighbourhood_ids(wijkagent) is None  # reads coverage everywhere, like any wijkagent


# --- neighbourhoods ---------------------------------------------------------------------------------------


def test_coordinates_one_neighbourhood_or_all(world):
    r, h = world.rijnsoever.id, world.hoornes.id
    assert allowed(world, p.coordinates, r) == {"coordinator_r", "gemeente", "admin"}
    assert allowed(world, p.coordinates, h) == {"coordinator_h", "gemeente", "admin"}
    # no neighbourhood at all (an incident nowhere): only the gemeente-wide
    assert allowed(world, p.coordinates, None) == {"gemeente", "admin"}
    users = world.users
    assert p.coordinated_neighbourhood_ids(users["coordinator_r"]) == frozenset({r})
    assert p.coordinated_neighbourhood_ids(users["coordinator_h"]) == frozenset({h})
    assert p.coordinated_neighbourhood_ids(users["gemeente"]) is None
    assert p.coordinated_neighbourhood_ids(users["admin"]) is None
    for name in ("beheerder_a", "beheerder_ah", "wijkagent"):
        assert p.coordinated_neighbourhood_ids(users[name]) == frozenset(), name


def test_managing_areas_of_a_neighbourhood(world):
    for hood in (world.rijnsoever, world.rijnsoever.id):  # a Neighbourhood or its id
        assert allowed(world, p.can_manage_areas, hood) == {"coordinator_r", "gemeente", "admin"}
    assert allowed(world, p.can_manage_areas, world.hoornes) == {"coordinator_h", "gemeente", "admin"}


def test_viewable_neighbourhoods(world):
    r, h = world.rijnsoever.id, world.hoornes.id
    expected = {
        "coordinator_r": frozenset({r}),
        "coordinator_h": frozenset({h}),
        "gemeente": None,
        "admin": None,
        "wijkagent": None,
        "beheerder_a": frozenset({r}),
        "beheerder_b": frozenset({r}),
        "beheerder_h": frozenset({h}),
        "beheerder_ah": frozenset({r, h}),
    }
    assert {name: p.viewable_neighbourhood_ids(user) for name, user in world.users.items()} == expected


@pytest.mark.parametrize("predicate", [p.can_view_coverage, p.can_view_area_history])
def test_coverage_and_area_history_of_one_neighbourhood(world, predicate):
    every = {"gemeente", "admin", "wijkagent"}
    for hood in (world.rijnsoever, world.rijnsoever.id):
        assert allowed(world, predicate, hood) == every | {
            "coordinator_r",
            "beheerder_a",
            "beheerder_b",
            "beheerder_ah",
        }
    assert allowed(world, predicate, world.hoornes) == every | {"coordinator_h", "beheerder_h", "beheerder_ah"}


# --- groups -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "predicate", [p.can_manage_group, p.can_view_pending_layer, p.can_edit_group, p.can_forward_to]
)
def test_a_group_is_managed_by_its_beheerders_and_its_neighbourhoods_coordinators(world, predicate):
    assert allowed(world, predicate, world.a) == {"beheerder_a", "beheerder_ah", "coordinator_r", "gemeente", "admin"}
    # B is A's neighbour in the same neighbourhood: A's beheerder has no say over it
    assert allowed(world, predicate, world.b) == {"beheerder_b", "coordinator_r", "gemeente", "admin"}
    assert allowed(world, predicate, world.h) == {"beheerder_h", "beheerder_ah", "coordinator_h", "gemeente", "admin"}
    assert allowed(world, predicate, world.h2) == {"coordinator_h", "gemeente", "admin"}


def test_assigning_beheerders_is_for_coordinators_only(world):
    """Not even a group's own beheerder chooses its beheerders."""
    assert allowed(world, p.can_assign_beheerders, world.a) == {"coordinator_r", "gemeente", "admin"}
    assert allowed(world, p.can_assign_beheerders, world.h) == {"coordinator_h", "gemeente", "admin"}


def test_managed_groups_keeps_the_order_it_was_given(world):
    every = [world.h2, world.a, world.h, world.b]
    users = world.users
    assert p.managed_groups(users["beheerder_ah"], every) == [world.a, world.h]
    assert p.managed_groups(users["coordinator_h"], every) == [world.h2, world.h]
    assert p.managed_groups(users["gemeente"], every) == every
    assert p.managed_groups(users["wijkagent"], every) == []


# --- incidents --------------------------------------------------------------------------------------------


def _incident(group: Group | None) -> Incident:
    now = utcnow()
    incident = Incident(
        category=IncidentCategory.FIETSDIEFSTAL,
        occurred_at=now - timedelta(hours=2),
        reported_at=now - timedelta(hours=2),
        lat=52.21,
        lon=4.42,
        group_id=group.id if group is not None else None,
        description="Fictieve omschrijving",
    )
    db.session.add(incident)
    db.session.commit()
    return incident


def test_moderating_an_incident_of_a_group(world):
    in_a, in_h = _incident(world.a), _incident(world.h)
    assert allowed(world, p.can_moderate_incident, in_a, world.rijnsoever.id) == {
        "beheerder_a",
        "beheerder_ah",
        "coordinator_r",
        "gemeente",
        "admin",
    }
    assert allowed(world, p.can_moderate_incident, in_h, world.hoornes.id) == {
        "beheerder_h",
        "beheerder_ah",
        "coordinator_h",
        "gemeente",
        "admin",
    }


def test_moderating_an_incident_outside_every_area(world):
    """No group: no beheerder. The neighbourhood buurt.incidents.scope finds (the nearest area's)
    decides which coordinator; without one, only the gemeente-wide ones."""
    outside = _incident(None)
    assert allowed(world, p.can_moderate_incident, outside, None) == {"gemeente", "admin"}
    assert allowed(world, p.can_moderate_incident, outside, world.hoornes.id) == {"coordinator_h", "gemeente", "admin"}
    assert allowed(world, p.can_moderate_incident, outside, world.rijnsoever.id) == {
        "coordinator_r",
        "gemeente",
        "admin",
    }


def test_the_neighbourhood_given_is_the_incidents_neighbourhood(world):
    """The neighbourhood passed in is the one that counts (scope's answer), not a second guess from the group."""
    in_a = _incident(world.a)
    assert allowed(world, p.can_moderate_incident, in_a, world.hoornes.id) == {
        "coordinator_h",
        "beheerder_a",
        "beheerder_ah",
        "gemeente",
        "admin",
    }


# --- meldingen --------------------------------------------------------------------------------------------


def _melding(world, targets, created_by=None) -> Melding:
    """targets: (group, is_neighbour, forwarded)."""
    melding = Melding(
        received_text="Fictieve melding van de meldkamer",
        category=MeldingCategory.VERDACHTE_SITUATIE,
        occurred_at=utcnow(),
        lat=52.21,
        lon=4.42,
        created_by_id=created_by.id if created_by is not None else None,
    )
    melding.targets = [
        MeldingTarget(
            group_id=group.id,
            distance_m=100.0,
            is_neighbour=is_neighbour,
            forwarded_at=utcnow() if forwarded else None,
        )
        for group, is_neighbour, forwarded in targets
    ]
    db.session.add(melding)
    db.session.commit()
    return melding


def test_melding_scope_per_role(world):
    users = world.users
    for name in ("gemeente", "admin", "wijkagent"):
        assert p.melding_scope(users[name]) == p.MeldingScope(everything=True), name
    r = users["coordinator_r"]
    assert p.melding_scope(r) == p.MeldingScope(neighbourhood_ids=frozenset({world.rijnsoever.id}), creator_id=r.id)
    ah = users["beheerder_ah"]
    assert p.melding_scope(ah) == p.MeldingScope(group_ids=frozenset({world.a.id, world.h.id}), creator_id=ah.id)


def test_a_neighbour_group_gets_a_melding_only_once_it_is_forwarded(world):
    """For A, with B (Rijnsoever) and H (Hoornes) as neighbours to consider, entered by the gemeente."""
    melding = _melding(world, [(world.a, False, False), (world.b, True, False), (world.h, True, False)])
    melding.created_by_id = world.users["gemeente"].id
    db.session.commit()
    # Hoornes' coordinator sees it (a Hoornes group is a neighbour to consider: theirs to decide)
    everyone_but = set(EVERYONE) - {"beheerder_b", "beheerder_h"}
    assert allowed(world, p.can_open_melding, melding) == everyone_but
    assert allowed(world, p.can_close_melding, melding) == {
        "beheerder_a",
        "beheerder_ah",
        "coordinator_r",
        "gemeente",
        "admin",
    }

    melding.targets[1].forwarded_at = utcnow()  # forwarded to B after all
    db.session.commit()
    assert allowed(world, p.can_open_melding, melding) == everyone_but | {"beheerder_b"}
    assert allowed(world, p.can_close_melding, melding) == {
        "beheerder_a",
        "beheerder_ah",
        "beheerder_b",
        "coordinator_r",
        "gemeente",
        "admin",
    }

    melding.targets[2].forwarded_at = utcnow()  # and to H in Hoornes
    db.session.commit()
    assert allowed(world, p.can_open_melding, melding) == set(EVERYONE)
    assert allowed(world, p.can_close_melding, melding) == set(EVERYONE) - {"wijkagent"}


def test_a_melding_for_hoornes_only(world):
    melding = _melding(world, [(world.h, False, False)])
    assert allowed(world, p.can_open_melding, melding) == {
        "coordinator_h",
        "gemeente",
        "admin",
        "wijkagent",
        "beheerder_h",
        "beheerder_ah",
    }
    assert allowed(world, p.can_close_melding, melding) == {
        "coordinator_h",
        "gemeente",
        "admin",
        "beheerder_h",
        "beheerder_ah",
    }


@pytest.mark.parametrize("creator", ["beheerder_b", "coordinator_r"])
def test_who_entered_a_melding_that_reached_no_group_may_close_it(world, creator):
    """Entered, but no group in the radius and the neighbours not forwarded: the one who entered it
    opens and closes it (and the gemeente); Rijnsoever's coordinator sees it through the neighbour
    to consider, yet closes only a melding that reached a Rijnsoever group."""
    melding = _melding(world, [(world.a, True, False)], created_by=world.users[creator])
    opens = {creator, "coordinator_r", "gemeente", "admin", "wijkagent"}
    assert allowed(world, p.can_open_melding, melding) == opens
    assert allowed(world, p.can_close_melding, melding) == {creator, "gemeente", "admin"}
    nowhere = _melding(world, [], created_by=world.users[creator])
    assert allowed(world, p.can_open_melding, nowhere) == {creator, "gemeente", "admin", "wijkagent"}
    assert allowed(world, p.can_close_melding, nowhere) == {creator, "gemeente", "admin"}


def test_who_entered_a_melding_that_reached_other_groups_does_not_close_it(world):
    """A beheerder of B who entered a melding for A and H sees it (they entered it) but does not close it;
    Hoornes' coordinator who entered one for A only neither."""
    for creator in ("beheerder_b", "coordinator_h"):
        melding = _melding(world, [(world.a, False, False)], created_by=world.users[creator])
        assert creator in allowed(world, p.can_open_melding, melding)
        assert creator not in allowed(world, p.can_close_melding, melding)


def test_a_wijkagent_never_closes_a_melding_not_even_one_they_entered(world):
    wijkagent = world.users["wijkagent"]
    for targets in ([], [(world.a, False, False)]):
        melding = _melding(world, targets, created_by=wijkagent)
        assert p.can_open_melding(wijkagent, melding)
        assert not p.can_close_melding(wijkagent, melding)


def test_a_melding_whose_creator_is_gone_is_no_ones_by_creation(world):
    """created_by_id is set to NULL when the account is deleted: that never matches anybody."""
    melding = _melding(world, [(world.a, True, False)])
    assert melding.created_by_id is None
    assert allowed(world, p.can_open_melding, melding) == {"coordinator_r", "gemeente", "admin", "wijkagent"}
    assert allowed(world, p.can_close_melding, melding) == {"gemeente", "admin"}


# --- the view guards --------------------------------------------------------------------------------------


def test_require_sends_to_login_first_then_asks_the_predicate(app, world):
    """require(predicate): not logged in -> the login page; predicate false -> 403; true -> the view."""
    calls = []

    def view(**kwargs):
        calls.append(kwargs)
        return "de pagina"

    guarded = p.require(p.can_use_console)(view)
    assert guarded.permission is p.can_use_console  # what the role matrix reads
    assert guarded.__name__ == "view"
    with app.test_request_context("/beheer/"):
        response = guarded(group_id=1)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/inloggen")
    with app.test_request_context("/beheer/"):
        login_user(world.users["wijkagent"])
        with pytest.raises(Forbidden):
            guarded(group_id=2)
    with app.test_request_context("/beheer/"):
        login_user(world.users["beheerder_a"])
        assert guarded(group_id=3) == "de pagina"
    assert calls == [{"group_id": 3}]


def test_check_refuses_with_403():
    assert p.check(True) is None
    with pytest.raises(Forbidden):
        p.check(False)


# --- the dead rules stay gone -----------------------------------------------------------------------------


def test_every_predicate_is_used_outside_the_tests():
    """Every predicate and helper of permissions.py is called by the site (buurt/ or templates/),
    not only by tests: a rule nothing calls is a rule nobody enforces (issue 19, point 7)."""
    import inspect
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "buurt" / "auth" / "permissions.py").read_text(encoding="utf-8")
    elsewhere = "\n".join(
        path.read_text(encoding="utf-8")
        for folder, pattern in (("buurt", "*.py"), ("templates", "*.html"), ("templates", "*.txt"))
        for path in (root / folder).rglob(pattern)
        if path.name != "permissions.py" or path.parent.name != "auth"
    )
    names = [
        name
        for name, obj in vars(p).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == p.__name__
    ]
    unused = []
    for name in names:
        inside = len(re.findall(rf"\b{name}\b", source))  # the definition is one
        if inside <= 1 and not re.search(rf"\b{name}\b", elsewhere):
            unused.append(name)
    assert unused == [], f"defined in permissions.py but called nowhere: {unused}"
