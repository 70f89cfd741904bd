"""Every endpoint against every role: allowed (200), 403, or a redirect to the login page.

1. Every endpoint is either wrapped in ``require(...)`` (the wrapper carries ``.permission``) or
   listed in ``PUBLIC_ENDPOINTS``; a new page that is neither fails here, so it cannot be forgotten.
2. For every GET endpoint the expectation comes from its ``.permission`` predicate: anonymous ->
   redirect to /inloggen, predicate false -> 403, predicate true -> no 403, no login redirect, no 500.
   URL parameters are filled from fixture objects (group A, a resident of A, ...); unknown ones
   get a dummy value, which is enough for the anonymous and the 403 cases.
3. A small explicit table adds the object-level rules (the console of group A for a beheerder of
   B is 403; a wijkagent never sees a member list or an export).
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from buurt.areas import files, proposals
from buurt.auth.permissions import PUBLIC_ENDPOINTS, is_public_endpoint
from buurt.extensions import db
from buurt.models import GroupTask, Role, TaskKind

ROLES = ("anonymous", "beheerder_a", "beheerder_b", "coordinator", "wijkagent", "admin")


@pytest.fixture
def world(app, groups, make_user, make_resident):
    """Users of every role and one object of each kind the URL parameters need."""
    group_a, group_b = groups[0], groups[1]
    users = {
        "beheerder_a": make_user(Role.BEHEERDER, groups=[group_a]),
        "beheerder_b": make_user(Role.BEHEERDER, groups=[group_b]),
        "coordinator": make_user(Role.COORDINATOR),
        "wijkagent": make_user(Role.WIJKAGENT),
        "admin": make_user(Role.ADMIN),
    }
    resident = make_resident(group_a, status="added", lat=52.2098, lon=4.4132)
    task = GroupTask(
        group_id=group_a.id, kind=TaskKind.ADD_TO_WHATSAPP, display_name="Fictief", phone_e164="+31600000001"
    )
    db.session.add(task)
    db.session.commit()
    proposal = proposals.save_proposal(files.current_collection(), source="matrix", user_id=None)
    values = {
        "group_id": group_a.id,
        "resident_id": resident.id,
        "task_id": task.id,
        "generation_id": 1,
        "proposal_id": proposal.id,
    }
    return {"users": users, "values": values, "group_a": group_a, "group_b": group_b}


def _endpoints(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


def test_every_endpoint_is_protected_or_declared_public(app):
    unprotected = []
    for endpoint in _endpoints(app):
        view = app.view_functions[endpoint]
        if getattr(view, "permission", None) is None and not is_public_endpoint(endpoint):
            unprotected.append(endpoint)
    assert unprotected == [], (
        f"endpoints without require(...) and not in PUBLIC_ENDPOINTS: {unprotected}; "
        "decorate them or add them to buurt.auth.permissions.PUBLIC_ENDPOINTS"
    )


def test_public_patterns_do_not_cover_protected_blueprints():
    for pattern in PUBLIC_ENDPOINTS:
        assert not pattern.startswith(("beheer.", "meldingen.")), pattern
    assert not is_public_endpoint("beheer.index")
    assert not is_public_endpoint("auth.change_password")


def _dummy(rule, name):
    return 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x"


def _values_for(rule, values):
    """Fixture objects fill the parameters of our own pages; other features' pages get dummies."""
    return values if rule.endpoint.startswith("beheer.") else {}


def _url(app, rule, values):
    values = _values_for(rule, values)
    args = {name: values.get(name, _dummy(rule, name)) for name in rule.arguments}
    if rule.endpoint == "static":
        args = {"filename": "css/site.css"}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _client_for(app, role, users):
    client = app.test_client()
    if role != "anonymous":
        from tests.conftest import PASSWORD

        with app.app_context():
            response = client.post("/inloggen", data={"email": users[role].email, "password": PASSWORD})
        assert response.status_code == 302
    return client


#: Object-level rules the predicate alone cannot express: (endpoint, role) -> expected status.
EXPLICIT = {
    ("beheer.group", "beheerder_a"): 200,
    ("beheer.group", "beheerder_b"): 403,
    ("beheer.group", "wijkagent"): 403,
    ("beheer.group", "coordinator"): 200,
    ("beheer.export_vcard", "beheerder_a"): 200,
    ("beheer.export_vcard", "beheerder_b"): 403,
    ("beheer.export_vcard", "wijkagent"): 403,
    ("beheer.export_queue_vcard", "beheerder_b"): 403,
    ("beheer.export_queue_vcard", "wijkagent"): 403,
    ("beheer.export_resident_vcard", "beheerder_b"): 403,
    ("beheer.export_resident_vcard", "wijkagent"): 403,
    ("beheer.export_csv", "beheerder_b"): 403,
    ("beheer.export_csv", "wijkagent"): 403,
    ("beheer.settings", "beheerder_b"): 403,
    ("beheer.remove_form", "beheerder_a"): 200,
    ("beheer.remove_form", "beheerder_b"): 403,
    ("beheer.remove_form", "wijkagent"): 403,
    ("beheer.settings", "beheerder_a"): 200,
    ("beheer.split", "beheerder_a"): 403,
    ("beheer.audit_log", "beheerder_a"): 403,
    ("beheer.audit_log", "wijkagent"): 403,
    ("beheer.audit_log", "coordinator"): 200,
    ("beheer.area_upload", "wijkagent"): 403,
    ("beheer.proposal", "beheerder_a"): 403,
    ("beheer.coverage_page", "wijkagent"): 200,
    ("beheer.overview", "beheerder_a"): 403,
    ("beheer.overview", "wijkagent"): 200,
}


def test_role_matrix_for_every_get_endpoint(app, world):
    users, values = world["users"], world["values"]
    clients = {role: _client_for(app, role, users) for role in ROLES}
    failures = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        predicate = getattr(view, "permission", None)
        url = _url(app, rule, values)
        known = all(name in _values_for(rule, values) for name in rule.arguments) or rule.endpoint == "static"
        for role in ROLES:
            with app.app_context():  # a fresh `g` per request, as in production
                response = clients[role].get(url)
            status = response.status_code
            location = response.headers.get("Location", "")
            response.close()
            explicit = EXPLICIT.get((rule.endpoint, role))
            checked += 1
            if status >= 500:
                failures.append(f"{role} {url}: {status}")
            elif explicit is not None and status != explicit:
                failures.append(f"{role} {url}: {status}, expected {explicit}")
            elif predicate is None:
                # public: never a login redirect; a refusal only for a dummy link token or object
                refused = status in (401, 403) and (known or not rule.arguments)
                if refused or ("/inloggen" in location and rule.endpoint != "auth.login"):
                    failures.append(f"{role} {url}: public page answered {status} {location}")
            elif role == "anonymous":
                if status != 302 or "/inloggen" not in location:
                    failures.append(f"anonymous {url}: {status} {location}, expected redirect to /inloggen")
            elif not predicate(users[role]):
                if status != 403:
                    failures.append(f"{role} {url}: {status}, expected 403")
            elif explicit is None:
                if status == 403 and known and _object_level(rule.endpoint):
                    continue  # object-level refusal for an object of another group
                if status == 403 or "/inloggen" in location:
                    failures.append(f"{role} {url}: {status} {location}, expected access")
                if known and rule.endpoint.startswith("beheer.") and status not in (200, 302):
                    failures.append(f"{role} {url}: {status}, expected 200")
    assert checked > 50
    assert failures == [], "\n".join(failures)


def _object_level(endpoint: str) -> bool:
    """Endpoints that check an object after the role check (other features' detail pages)."""
    return not endpoint.startswith("beheer.")


def test_wijkagent_never_sees_member_names(app, world, client):
    from tests.conftest import PASSWORD

    client.post("/inloggen", data={"email": world["users"]["wijkagent"].email, "password": PASSWORD})
    from buurt.models import Resident

    resident = db.session.get(Resident, world["values"]["resident_id"])
    for path in ("/beheer/dekking", "/beheer/dekking/kaart", "/beheer/overzicht", "/beheer/gebieden"):
        body = client.get(path).get_data(as_text=True)
        assert resident.name not in body
        assert resident.phone_e164 not in body
