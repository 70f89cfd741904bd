"""Every endpoint against every role: allowed (200), 403, or a redirect to the login page.

1. Every endpoint is either wrapped in ``require(...)`` (the wrapper carries ``.permission``) or
   listed in ``PUBLIC_ENDPOINTS`` below; a new page that is neither fails here, so it cannot be forgotten.
2. For every GET endpoint the expectation comes from its ``.permission`` predicate: anonymous ->
   redirect to /inloggen, predicate false -> 403, predicate true -> no 403, no login redirect, no 500.
   URL parameters are filled from fixture objects (group A, a resident of A, ...); unknown ones
   get a dummy value, which is enough for the anonymous and the 403 cases.
3. A small explicit table adds the object-level rules (the console of group A for a beheerder of
   B is 403; a wijkagent never sees a member list or an export).
4. Across two neighbourhoods (issue 18): every console GET page again, now with the objects of
   Hoornes and ``?buurt=hoornes``, for a coordinator of Rijnsoever (403 on all of Hoornes' areas,
   members and exports), a coordinator of Hoornes, a gemeente-wide coordinator, a beheerder of a
   Hoornes group, a wijkagent (coverage and area history of both, never members) and an admin.
   Every console page must be in one of the classes below, so a new one cannot be forgotten. The
   same world and logged-in clients serve both sweeps (one test: the matrix stays fast).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from shapely.geometry import shape
from werkzeug.routing import IntegerConverter

from buurt.areas import files, proposals
from buurt.extensions import db
from buurt.models import GroupTask, Role, TaskKind

#: Endpoints anyone may open without logging in (fnmatch patterns). Every other endpoint must be
#: wrapped in ``require(...)`` (buurt.auth.permissions); the first test fails for one that is neither.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset(
    {
        "static",
        "main.*",
        "ops.*",  # /health, /health/ready (no secrets); /metrics checks its own token
        "residents.*",
        "api.*",
        "auth.login",
        "auth.logout",
        "auth.reset_request",
        "auth.reset_password",
        "auth.reset_password_old_link",  # links mailed before the token moved after '#': a redirect
        "incidents.public",
        "incidents.public_*",
        "incidents.report_resident",  # residents report through a signed link, no account
        "incidents.report_old_link",
    }
)


def is_public_endpoint(endpoint: str) -> bool:
    return any(fnmatchcase(endpoint, pattern) for pattern in PUBLIC_ENDPOINTS)


#: roles of the sweep over every endpoint; "coordinator" coordinates Rijnsoever only (the objects' neighbourhood)
ROLES = ("anonymous", "beheerder_a", "beheerder_b", "coordinator", "wijkagent", "admin")
#: roles of the sweep over Hoornes' console pages; coordinator_a is the "coordinator" above
HOOD_ROLES = ("coordinator_a", "coordinator_b", "gemeente", "beheerder_h", "wijkagent", "admin")


@pytest.fixture
def world(app, groups, hoornes, make_user, make_resident):
    """Users of every role and one object of each kind the URL parameters need, in Rijnsoever
    (``values``) and in Hoornes (``hoornes_values``). Fictional people and numbers."""
    group_a, group_b = groups[0], groups[1]
    area_h = files.current_generation(hoornes).areas[0]
    group_h, inside = area_h.group, shape(area_h.geometry).representative_point()
    rijnsoever = group_a.neighbourhood
    coordinator_a = make_user(Role.COORDINATOR, neighbourhood=rijnsoever)
    users = {
        "beheerder_a": make_user(Role.BEHEERDER, groups=[group_a]),
        "beheerder_b": make_user(Role.BEHEERDER, groups=[group_b]),
        "coordinator": coordinator_a,
        "coordinator_a": coordinator_a,
        "coordinator_b": make_user(Role.COORDINATOR, neighbourhood=hoornes),
        "gemeente": make_user(Role.COORDINATOR),
        "beheerder_h": make_user(Role.BEHEERDER, groups=[group_h]),
        "wijkagent": make_user(Role.WIJKAGENT),
        "admin": make_user(Role.ADMIN),
    }
    resident = make_resident(group_a, status="added", lat=52.2098, lon=4.4132)
    resident_h = make_resident(group_h, status="added", lat=inside.y, lon=inside.x, name="Fictieve Hoornesser")
    tasks = [
        GroupTask(group_id=g.id, kind=TaskKind.ADD_TO_WHATSAPP, display_name="Fictief", phone_e164="+31600000001")
        for g in (group_a, group_h)
    ]
    db.session.add_all(tasks)
    db.session.commit()
    proposal = proposals.save_proposal(files.current_collection(), source="matrix", user_id=None)
    proposal_h = proposals.save_proposal(
        files.current_collection(hoornes), neighbourhood=hoornes, source="matrix", user_id=None
    )
    values = {
        "group_id": group_a.id,
        "resident_id": resident.id,
        "task_id": tasks[0].id,
        "generation_id": files.current_generation(rijnsoever).id,
        "proposal_id": proposal.id,
    }
    hoornes_values = {
        "group_id": group_h.id,
        "resident_id": resident_h.id,
        "task_id": tasks[1].id,
        "generation_id": files.current_generation(hoornes).id,
        "proposal_id": proposal_h.id,
    }
    return {
        "users": users,
        "values": values,
        "hoornes_values": hoornes_values,
        "group_a": group_a,
        "group_b": group_b,
        "group_h": group_h,
        "resident_h": resident_h,
    }


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
        "decorate them or add them to PUBLIC_ENDPOINTS in this file"
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
    clients.update({role: _client_for(app, role, users) for role in HOOD_ROLES if role not in clients})
    clients["coordinator_a"] = clients["coordinator"]
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
            if status >= 500 and not (rule.endpoint == "ops.health_ready" and status == 503):
                # /health/ready answers 503 by design when a check misses its 2 s deadline (a busy machine)
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
    _sweep_across_neighbourhoods(app, world, clients)


#: Console pages (beheer.*, GET) by what they are about, for the sweep across neighbourhoods.
#: Members: a group's personal data (its beheerders and the coordinators of its neighbourhood).
MEMBERS = frozenset(
    {
        "beheer.group",
        "beheer.remove_form",
        "beheer.export_vcard",
        "beheer.export_queue_vcard",
        "beheer.export_resident_vcard",
        "beheer.export_csv",
        "beheer.settings",
    }
)
#: Managing areas: the coordinators of that neighbourhood and the gemeente-wide ones.
AREA_MANAGEMENT = frozenset(
    {
        "beheer.area_upload",
        "beheer.area_editor",
        "beheer.editor_areas",
        "beheer.proposal",
        "beheer.proposal_map",
        "beheer.split",
        "beheer.split_map",
    }
)
#: Reading coverage and area history: also wijkagenten and the beheerders of a group there.
READING = frozenset(
    {
        "beheer.areas",
        "beheer.generation",
        "beheer.generation_map",
        "beheer.generation_export",
        "beheer.coverage_page",
        "beheer.group_coverage",
        "beheer.coverage_map",
    }
)
#: Not about one neighbourhood: they list what the user may see (tested in tests/neighbourhoods/test_roles.py).
ACROSS = frozenset({"beheer.index", "beheer.overview", "beheer.audit_log"})

ALLOWED = {
    "members": {"coordinator_b", "gemeente", "beheerder_h", "admin"},
    "areas": {"coordinator_b", "gemeente", "admin"},
    "reading": {"coordinator_b", "gemeente", "beheerder_h", "wijkagent", "admin"},
}


def _sweep_across_neighbourhoods(app, world, clients):
    """Every console GET page with Hoornes' objects and ?buurt=hoornes, for the roles of HOOD_ROLES."""
    values = world["hoornes_values"]
    failures = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or not rule.endpoint.startswith("beheer."):
            continue
        if rule.endpoint in ACROSS:
            continue
        kind = (
            "members"
            if rule.endpoint in MEMBERS
            else "areas"
            if rule.endpoint in AREA_MANAGEMENT
            else "reading"
            if rule.endpoint in READING
            else None
        )
        if kind is None:
            failures.append(f"{rule.endpoint}: not classified for the sweep across neighbourhoods")
            continue
        url = _url(app, rule, values)
        url += ("&" if "?" in url else "?") + "buurt=hoornes"
        for role in HOOD_ROLES:
            with app.app_context():
                response = clients[role].get(url)
            status = response.status_code
            response.close()
            checked += 1
            if role in ALLOWED[kind]:
                if status not in (200, 302):
                    failures.append(f"{role} {url}: {status}, expected access")
            elif status != 403:
                failures.append(f"{role} {url}: {status}, expected 403")
    assert checked > 100
    assert failures == [], "\n".join(failures)


def _object_level(endpoint: str) -> bool:
    """Endpoints that check an object after the role check (other features' detail pages)."""
    return not endpoint.startswith("beheer.")


def test_wijkagent_never_sees_member_names(app, world, client):
    from tests.conftest import PASSWORD

    client.post("/inloggen", data={"email": world["users"]["wijkagent"].email, "password": PASSWORD})
    from buurt.models import Resident

    resident = db.session.get(Resident, world["values"]["resident_id"])
    resident_h = world["resident_h"]
    paths = ("/beheer/dekking", "/beheer/dekking/kaart", "/beheer/overzicht", "/beheer/gebieden")
    for path in (*paths, *(p + "?buurt=hoornes" for p in paths), "/beheer/dekking/kaart?alle=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        for person in (resident, resident_h):
            assert person.name not in body
            assert person.phone_e164 not in body
    group_h = world["group_h"].id
    for path in (
        f"/beheer/groep/{group_h}",
        f"/beheer/groep/{group_h}/leden.csv",
        f"/beheer/groep/{group_h}/leden.vcf",
    ):
        assert client.get(path).status_code == 403
