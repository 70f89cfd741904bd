"""Who sees what: anonymous visitors and residents only the public picture; staff the exact map."""

from __future__ import annotations

import pytest

from buurt.auth.permissions import can_moderate_incident, can_report_incident, can_view_incidents_exact
from buurt.extensions import db
from buurt.incidents.scope import incident_neighbourhood_id
from buurt.models import AuditEntry, Incident, IncidentStatus, Neighbourhood, Role
from tests.conftest import PASSWORD
from tests.incidents.conftest import OUTSIDE
from tests.link_support import open_link

STAFF_PAGES = ["/incidenten/", "/incidenten/kaart", "/incidenten/export.csv", "/incidenten/export.geojson"]
PUBLIC_PAGES = ["/incidenten/openbaar", "/incidenten/openbaar/kaart", "/incidenten/openbaar.json"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_resident_with_a_report_link_still_cannot_see_exact_data(client, resident_link, make_incident, path):
    incident = make_incident()
    assert open_link(client, resident_link).status_code == 200
    assert client.get(path).status_code == 302
    assert client.get(f"/incidenten/{incident.id}").status_code == 302


@pytest.mark.parametrize("role", ["wijkagent", "beheerder", "coordinator", "admin"])
@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_see_the_exact_map(client, make_user, login, groups, role, path):
    login(make_user(role, groups=[groups[0]] if role == "beheerder" else []))
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_open(client, path):
    assert client.get(path).status_code == 200


def test_predicates(app, groups, make_user, make_incident):
    incident = make_incident()  # Noord group
    users = {
        "wijkagent": make_user(Role.WIJKAGENT),
        "own": make_user(Role.BEHEERDER, groups=[groups[3]]),
        "other": make_user(Role.BEHEERDER, groups=[groups[0]]),
        "coordinator": make_user(Role.COORDINATOR),
    }
    assert {k for k, u in users.items() if can_view_incidents_exact(u)} == set(users)
    assert {k for k, u in users.items() if can_report_incident(u)} == {"own", "other", "coordinator"}
    assert {k for k, u in users.items() if can_moderate_incident(u, incident, incident_neighbourhood_id(incident))} == {
        "own",
        "coordinator",
    }
    assert not can_view_incidents_exact(None)


def test_nav_shows_incidents_only_to_staff(client, make_user, login):
    assert 'href="/incidenten/"' not in client.get("/").get_data(as_text=True)
    login(make_user("wijkagent"))
    assert 'href="/incidenten/"' in client.get("/").get_data(as_text=True)


def _client_as(app, user):
    """A client of its own, logged in as ``user`` through the login form."""
    client = app.test_client()
    with app.app_context():
        assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _hide(app, user, incident) -> int:
    client = _client_as(app, user)
    with app.app_context():
        return client.post(f"/incidenten/{incident.id}/verbergen").status_code


def _status_and_hiders(incident_id) -> tuple[IncidentStatus, list[int | None]]:
    """What the database says: the incident's status and who hid it according to the audit log."""
    db.session.expire_all()
    hiders = db.session.scalars(
        db.select(AuditEntry.user_id).filter_by(action="incidents.hide", target_type="incident", target_id=incident_id)
    )
    return db.session.get(Incident, incident_id).status, list(hiders)


def test_moderation_hides_the_incident_only_for_those_who_may(app, groups, hoornes, make_user, make_incident):
    """An incident of the Noord group (Rijnsoever): a beheerder of another group, Hoornes' coordinator
    and a wijkagent are refused and nothing changes; Rijnsoever's coordinator hides it for real."""
    incident = make_incident()
    for user in (
        make_user(Role.BEHEERDER, groups=[groups[0]]),
        make_user(Role.COORDINATOR, neighbourhood=hoornes),
        make_user(Role.WIJKAGENT),
    ):
        assert _hide(app, user, incident) == 403, user.role
        assert _status_and_hiders(incident.id) == (IncidentStatus.VISIBLE, [])
    coordinator = make_user(Role.COORDINATOR, neighbourhood=groups[3].neighbourhood)
    assert _hide(app, coordinator, incident) == 302
    assert _status_and_hiders(incident.id) == (IncidentStatus.HIDDEN, [coordinator.id])


def test_an_incident_outside_every_area_is_moderated_by_coordinators_only(
    app, groups, hoornes, make_user, make_incident
):
    """No group: no beheerder may hide it (not even one of the nearest group); the coordinator of the
    neighbourhood it is counted in (the nearest area's) and a gemeente-wide one may."""
    incident = make_incident(lat=OUTSIDE[0], lon=OUTSIDE[1])
    assert incident.group_id is None
    hood = db.session.get(Neighbourhood, incident_neighbourhood_id(incident))
    other = hoornes if hood.id != hoornes.id else groups[0].neighbourhood
    for user in (
        make_user(Role.BEHEERDER, groups=groups),
        make_user(Role.COORDINATOR, neighbourhood=other),
    ):
        assert _hide(app, user, incident) == 403, user.role
        assert _status_and_hiders(incident.id) == (IncidentStatus.VISIBLE, [])
    coordinator = make_user(Role.COORDINATOR, neighbourhood=hood)
    assert _hide(app, coordinator, incident) == 302
    assert _status_and_hiders(incident.id) == (IncidentStatus.HIDDEN, [coordinator.id])

    second = make_incident(lat=OUTSIDE[0], lon=OUTSIDE[1])
    gemeente = make_user(Role.COORDINATOR)
    assert _hide(app, gemeente, second) == 302
    assert _status_and_hiders(second.id) == (IncidentStatus.HIDDEN, [gemeente.id])
