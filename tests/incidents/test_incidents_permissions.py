"""Who sees what: anonymous visitors and residents only the public picture; staff the exact map."""

from __future__ import annotations

import pytest

from buurt.auth.permissions import can_moderate_incident, can_report_incident, can_view_incidents_exact
from buurt.models import Role
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
    assert {k for k, u in users.items() if can_moderate_incident(u, incident)} == {"own", "coordinator"}
    assert not can_view_incidents_exact(None)


def test_nav_shows_incidents_only_to_staff(client, make_user, login):
    assert 'href="/incidenten/"' not in client.get("/").get_data(as_text=True)
    login(make_user("wijkagent"))
    assert 'href="/incidenten/"' in client.get("/").get_data(as_text=True)
