"""Hostile input on every route, as every role: the answer is 2xx, 3xx or 4xx, never a 5xx.

Every rule of ``app.url_map`` and every method it takes gets requests built by hypothesis:
path parameters, query parameters and (for POST) form fields filled with huge and negative
numbers, 2**63, NaN/inf, NUL bytes, CR/LF, dates at the ends of the calendar, RTL, emoji and
combining marks, now and then a 1 MB string, duplicated and missing parameters, and a valid,
missing or wrong CSRF token. Known ids and signed tokens from a small demo are mixed in, so the
requests reach the code behind the 404s and 403s, and POSTs start from the fields (and values)
of the real forms the pages render, with one or more of them made hostile.

``test_fuzzer_knows_every_query_parameter`` reads the source (AST) for every name taken from
``request.args`` / ``request.values`` / ``request.form`` and every form filled from the query
string, so a new parameter fails here until the fuzzer feeds it.

Bounded for CI: a handful of examples per route, derandomized (the same requests every run).
"""

from __future__ import annotations

import ast
import io
import logging
import os
import re
import zlib
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from wtforms.fields.core import UnboundField

from buurt.areas import files, proposals
from buurt.areas.services import seed_default_neighbourhood
from buurt.auth.services import create_user, reset_token
from buurt.demo import load_demo
from buurt.extensions import db
from buurt.models import BoundaryGeneration, Group, GroupTask, Incident, Melding, Resident, ResidentStatus, Role
from tests.conftest import PASSWORD, _reset_schema, make_test_app

SOURCE = Path(__file__).resolve().parents[2] / "buurt"
ROLES = ("anonymous", "beheerder", "coordinator", "wijkagent", "admin")

#: Examples per (rule, method). Raise it locally for a deeper run: BUURT_FUZZ_EXAMPLES=200.
EXAMPLES = int(os.environ.get("BUURT_FUZZ_EXAMPLES", "6"))

BIG = "x" * 1_000_000
EDGE_VALUES = (
    "0",
    "-1",
    "1",
    str(2**31 - 1),
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    "9" * 5000,
    "1" + "0" * 400,
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e309",
    "1.5",
    "1,5",
    "0x10",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: str.isdigit() and int() accept it
    "\u00b2",  # SUPERSCRIPT TWO: str.isdigit() is true, int() refuses it
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "0000-00-00",
    "2026-01-01T00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "wachtrij\r\nSet-Cookie: x=1",
    "#top",
    "/\r\nLocation: //evil.example",
    "//evil.example",
    "\u202egnp.exe",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "e" + "\u0301" * 40,
    "\ufeff",
    "<script>alert(1)</script>",
    "${7*7}`",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "[]",
    "{}",
    BIG,
)

#: Every query-parameter name the source reads; test_fuzzer_knows_every_query_parameter checks it.
QUERY_NAMES = (
    # buurt.extensions.select_locale, buurt.auth.views.login
    "lang",
    "next",
    # lists and pages
    "pagina",
    "groep",
    "actie",
    "versie",
    "periode",
    "gewijzigd",
    # the public API
    "q",
    "postcode",
    "huisnummer",
    "toevoeging",
    "lat",
    "lon",
    # IncidentFilterForm (formdata=request.args)
    "categorie",
    "gebied",
    "van",
    "tot",
    "submit",
    # MeldingFilterForm (request.args)
    "buurt",  # a neighbourhood slug: meldingen, incidents, coverage and area pages (issue 18)
    "alle",  # the overview's coverage map of every neighbourhood (issue 18)
    "since",
    "until",
    "category",
    "group",
    "status",
    # the map editor (buurt.beheer.editor): the proposal to edit, the group whose split opens as a line
    "voorstel",
    "splits",
)

#: Personal links post their token in the body (buurt.personal_links): a real one as the base value, so
#: that a request gets past the link check into the page (the fuzzer still replaces, drops or doubles it).
BODY_TOKENS = {
    "residents.confirm": "confirm_token",
    "residents.my_data": "my_data_token",
    "residents.my_data_download": "my_data_token",
    "residents.my_data_correct": "my_data_token",
    "residents.my_data_delete": "my_data_token",
    "incidents.report_resident": "report_token",
    "auth.reset_password": "reset_token",
}

#: Form fields read straight from request.form (not through a WTForms class).
RAW_FORM_NAMES = ("anchor", "use_location", "action", "email", "prefill", "gebied", "groep")

FILES = (b"", b"\x00" * 16, b"{}", b'{"type": "FeatureCollection", "features": []}', b"\x89PNG\r\n\x1a\n", b"nope")


# --- the world: one app, a small demo, users of every role, known ids and tokens -------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An app with CSRF on (as in production), a demo at 1/5 scale and one logged-in client per role."""
    app = make_test_app(tmp_path_factory.mktemp("hostile"), WTF_CSRF_ENABLED=True)
    with app.app_context():
        _reset_schema()
        seed_default_neighbourhood()
        load_demo(scale=0.1)
        known = _known_values()
        users = {
            "beheerder": create_user(
                "fuzz.beheerder@example.org", "Fuzz Beheerder", Role.BEHEERDER, PASSWORD, [known.pop("_group")]
            ),
            "coordinator": create_user(
                "fuzz.coordinator@example.org", "Fuzz Coordinator", Role.COORDINATOR, PASSWORD, []
            ),
            "wijkagent": create_user("fuzz.wijkagent@example.org", "Fuzz Wijkagent", Role.WIJKAGENT, PASSWORD, []),
            "admin": create_user("fuzz.admin@example.org", "Fuzz Admin", Role.ADMIN, PASSWORD, []),
        }
        known["reset_token"] = reset_token(users["beheerder"])
        clients = {role: _logged_in(app, users.get(role)) for role in ROLES}
        csrf = {role: _csrf_token(client) for role, client in clients.items()}
        forms, opens = _discover_forms(app, clients, users, known)
        errors = _ErrorLog()
        logging.getLogger("buurt.errors").addHandler(errors)
        try:
            yield {
                "app": app,
                "known": known,
                "clients": clients,
                "csrf": csrf,
                "forms": forms,
                "opens": opens,
                "errors": errors,
            }
        finally:
            logging.getLogger("buurt.errors").removeHandler(errors)
            db.session.remove()
            db.engine.dispose()


def _known_values() -> dict:
    """Ids and tokens that exist, so that a request can get past the 404 into the page."""
    from buurt.incidents.reports import report_link
    from buurt.residents.links import confirm_link, my_data_link

    group = db.session.scalars(db.select(Group).order_by(Group.sort_order)).first()
    resident = db.session.scalars(db.select(Resident).filter_by(group_id=group.id)).first()
    pending = db.session.scalars(db.select(Resident).filter_by(status=ResidentStatus.PENDING)).first() or resident
    task = db.session.scalars(db.select(GroupTask).filter_by(group_id=group.id)).first()
    proposal = proposals.save_proposal(files.current_collection(), source="fuzz", user_id=None)
    with db.engine.connect():
        pass
    from flask import current_app

    with current_app.test_request_context("/"):
        return {
            "_group": group,
            "group_id": group.id,
            "resident_id": resident.id,
            "task_id": task.id if task else 1,
            "generation_id": db.session.scalar(db.select(db.func.max(BoundaryGeneration.id))),
            "proposal_id": proposal.id,
            "incident_id": db.session.scalar(db.select(db.func.min(Incident.id))),
            "melding_id": db.session.scalar(db.select(db.func.min(Melding.id))),
            "confirm_token": confirm_link(pending).split("#", 1)[1],
            "my_data_token": my_data_link(resident).split("#", 1)[1],
            "report_token": report_link(resident, external=False).split("#", 1)[1],
        }


def _logged_in(app, user):
    client = app.test_client()
    if user is not None:
        token = _csrf_token(client)
        response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.status_code
    return client


def _csrf_token(client) -> str:
    html = client.get("/inloggen").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the login page"
    return match.group(1)


class _ErrorLog(logging.Handler):
    """What buurt.errors logged for a 500 (exception type names; never bodies)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record):
        self.last = record.getMessage().splitlines()[0]


# --- forms as the pages render them ---------------------------------------------------------------------------


class _Forms(HTMLParser):
    """Every <form>: its action, method and fields with the values the page fills in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").upper(),
                    "fields": MultiDict(),
                    "files": [],
                    "types": {},
                }
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            self.forms[-1]["types"][name] = kind
            if kind == "file":
                self.forms[-1]["files"].append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a or name not in fields:
                    fields.setlist(name, [a.get("value") or "y"]) if kind == "radio" else fields.add(
                        name, a.get("value") or "y"
                    )
            else:
                fields.add(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            fields.setlist(name, [])
        elif tag == "option" and self._select:
            if "selected" in a or not fields.getlist(self._select):
                fields.setlist(self._select, [a.get("value") or ""])
        elif tag == "textarea" and name:
            self._textarea = name
            fields.add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"].setlist(self._textarea, [data])


#: Pages that are no HTML form (map documents, downloads): not crawled for forms.
NOT_FORMS = re.compile(r"(kaart|\.geojson|\.csv|\.vcf|\.json|/foto|/download|/export\.<fmt>)$")


def _discover_forms(app, clients, users, known) -> tuple[dict[str, list[dict]], dict[str, list[str]]]:
    """(endpoint -> the POST forms pointing at it, each with the role that saw it; endpoint -> the
    roles that may open it, from its permission predicate), crawling every GET page that has a form."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, list[dict]] = defaultdict(list)
    opens: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        predicate = getattr(app.view_functions[rule.endpoint], "permission", None)
        opens[rule.endpoint] = [
            role for role in ROLES if predicate is None or (role in users and predicate(users[role]))
        ]
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.arguments - set(_known_for(rule, known)):
            continue
        if NOT_FORMS.search(rule.rule):
            continue
        url = _path(rule, _known_for(rule, known))
        for role in {*opens[rule.endpoint][:1], *opens[rule.endpoint][-1:]}:  # the least and the most
            response = clients[role].get(url)
            if response.mimetype != "text/html" or response.status_code != 200 or "<form" not in response.text:
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                if form["method"] != "POST":
                    continue
                action = urlsplit(form["action"]).path or urlsplit(url).path
                try:
                    endpoint, _args = adapter.match(action, method="POST")
                except (NotFound, MethodNotAllowed, RequestRedirect):
                    continue
                form["fields"].pop("csrf_token", None)
                if all(form["fields"] != seen["fields"] for seen in found[endpoint]):
                    found[endpoint].append({**form, "role": role})
    return dict(found), opens


# --- building a request ---------------------------------------------------------------------------------------


def _known_for(rule, known) -> dict:
    values = {name: known[name] for name in rule.arguments if name in known}
    if "token" in rule.arguments:
        token = {  # the old links, token in the path: a redirect to the new one
            "residents.confirm_old_link": "confirm_token",
            "auth.reset_password_old_link": "reset_token",
        }.get(rule.endpoint, "my_data_token" if rule.endpoint.startswith("residents.") else "report_token")
        values["token"] = known[token]
    if "action" in rule.arguments:
        values["action"] = "toegevoegd"
    if "fmt" in rule.arguments:
        values["fmt"] = "csv"
    if "filename" in rule.arguments:
        values["filename"] = "css/site.css"
    return values


def _path(rule, values: dict) -> str:
    """The rule's path with the values put in (quoted as they are: no converter's to_url)."""
    return re.sub(r"<(?:[^>:]+:)?([^>]+)>", lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule)


def hostile():
    return st.one_of(
        st.sampled_from(EDGE_VALUES),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=20),  # HTTP carries no lone surrogates
    )


def _plausible(known) -> dict[str, list[str]]:
    return {
        "groep": [str(known["group_id"])],
        "group": [str(known["group_id"])],
        "gebied": ["1", "2"],
        "periode": ["7d", "30d", "3m", "12m", "range", "all"],
        "van": ["2025-01-01"],
        "tot": ["2026-12-31"],
        "since": ["2025-01-01"],
        "until": ["2026-12-31"],
        "status": ["open", "closed"],
        "categorie": ["woninginbraak", "brand"],
        "category": ["woninginbraak"],
        "pagina": ["1", "2", "3"],
        "lat": ["52.21"],
        "lon": ["4.42"],
        "postcode": ["2221AA"],
        "huisnummer": ["1"],
        "lang": ["en", "nl"],
        "versie": ["4.0", "3.0"],
        "next": ["/beheer/"],
    }


@st.composite
def _request(draw, rule, method, known, forms):
    role = draw(st.sampled_from(ROLES))
    known_values = _known_for(rule, known)
    path_values = {
        name: draw(st.one_of(st.just(known_values[name]), hostile()) if name in known_values else hostile())
        for name in rule.arguments
    }
    if rule.endpoint == "static":
        path_values["filename"] = draw(st.one_of(st.just("css/site.css"), hostile()))
    plausible = _plausible(known)
    value = lambda name: st.one_of(hostile(), st.sampled_from(plausible.get(name, ["1"])))  # noqa: E731
    names = st.sampled_from(QUERY_NAMES)
    query = draw(st.lists(names.flatmap(lambda n: st.tuples(st.just(n), value(n))), max_size=6))
    request = {"role": role, "path": _path(rule, path_values), "query": query, "method": method}
    if method == "POST":
        request.update(draw(_form_body(rule.endpoint, role, forms.get(rule.endpoint, []), known)))
    return request


@st.composite
def _form_body(draw, endpoint, role, forms, known):
    """The fields of one real form (or none), some made hostile, dropped or doubled, and a CSRF choice."""
    if forms:
        form = draw(st.sampled_from(forms))
        base = MultiDict(form["fields"])
        file_names = form["files"]
    else:
        base, file_names = MultiDict(), []
    if endpoint in BODY_TOKENS:
        base.setlist("token", [known[BODY_TOKENS[endpoint]]])
    names = sorted(set(base) | set(RAW_FORM_NAMES)) or ["x"]
    data = MultiDict(base)
    for name in draw(st.lists(st.sampled_from(names), max_size=4)):
        how = draw(st.sampled_from(("replace", "drop", "double")))
        if how == "drop":
            data.poplist(name)
        elif how == "double":
            data.add(name, draw(hostile()))
        else:
            data.setlist(name, [draw(hostile())])
    csrf = draw(st.sampled_from(("valid", "missing", "wrong")))
    small = all(len(str(v)) < 100_000 for v in data.values())  # a big multipart body: werkzeug's
    for name in file_names if small else ():  # test client leaves its spooled temp file open
        if draw(st.booleans()):
            data[name] = (
                io.BytesIO(draw(st.sampled_from(FILES))),
                draw(st.sampled_from(("a.geojson", "a.png", "\x00.json", ""))),
            )
    body = {"data": data, "csrf": csrf}
    if endpoint == "meldingen.suggest":
        body["json"] = draw(
            st.one_of(
                st.fixed_dictionaries({"text": st.one_of(hostile(), st.integers(), st.none())}),
                st.lists(st.integers(), max_size=2),
                st.sampled_from([0, "text", None, {"text": ["a"]}]),
            )
        )
    return body


def _send(world, request):
    client = world["clients"][request["role"]]
    kwargs = {"query_string": urlencode(request["query"], encoding="utf-8", errors="strict")}
    if request["method"] == "POST":
        data = MultiDict(request["data"])
        if request["csrf"] == "valid":
            data["csrf_token"] = world["csrf"][request["role"]]
        elif request["csrf"] == "wrong":
            data["csrf_token"] = "IjE4ZjQ5".ljust(40, "x")
        if "json" in request:
            kwargs["json"] = request["json"]
            kwargs["headers"] = {"X-CSRFToken": data.get("csrf_token", "")}
        else:
            kwargs["data"] = data
    world["errors"].last = ""
    response = client.open(request["path"], method=request["method"], **kwargs)
    status = response.status_code
    response.close()
    return status


def _describe(request, status, error) -> str:
    short = lambda v: repr(v if len(str(v)) < 60 else str(v)[:40] + f"...({len(str(v))} chars)")  # noqa: E731
    query = ", ".join(f"{k}={short(v)}" for k, v in request["query"])
    data = ", ".join(f"{k}={short(v)}" for k, v in request.get("data", MultiDict()).items(multi=True))
    return f"{status} {request['role']} {request['method']} {short(request['path'])} ?{query} form[{data}] {error}"


# --- the tests ------------------------------------------------------------------------------------------------


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods))):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "auth.logout":
                continue  # would end the role's session for the rest of the run; test_logout_... below
            yield rule, method


def test_no_route_answers_hostile_input_with_a_5xx(world):
    app = world["app"]
    failures: list[str] = []
    runs = 0
    with app.app_context():
        for rule, method in _rules(app):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @seed(zlib.crc32(f"{method} {rule.rule}".encode()))  # fixed, and different per route
            @given(_request(rule, method, world["known"], world["forms"]))
            def run(request):
                nonlocal runs
                runs += 1
                _send_and_note_5xx(world, request, failures)

            run()
            db.session.rollback()
    assert runs >= EXAMPLES * 50
    assert not failures, f"{len(failures)} requests got a 5xx:\n" + "\n".join(sorted(set(failures))[:80])


def _send_and_note_5xx(world, request, failures: list[str]) -> None:
    """Send one request; a 5xx (or an exception the test client re-raised: a 500 all the same) is noted."""
    try:
        status = _send(world, request)
    except Exception as error:
        failures.append(_describe(request, "raised", f"{type(error).__name__}: {str(error)[:80]}"))
        return
    if status >= 500:
        failures.append(_describe(request, status, world["errors"].last))


#: The values behind the 500s issue 12 found, put in every parameter (not left to chance).
SHARP_QUERY = (str(2**63), "9" * 5000, "0001-01-01", "9999-12-31", "\u00b2", "wachtrij\r\n\x00")
SHARP_FORM = {
    "date": ("0001-01-01", "9999-12-31"),
    "datetime-local": ("0001-01-01T00:00", "9999-12-31T23:59"),
    "time": ("24:00", "23:59:60"),
    "number": (str(2**63), "9" * 5000),
    "": ("9" * 5000, str(2**63), "wachtrij\r\nSet-Cookie: x=1\x00"),
}
#: Endpoints whose valid POST removes what later requests use: tried last.
DESTRUCTIVE = (
    "residents.my_data_delete",
    "incidents.merge",
    "incidents.hide",
    "incidents.delete",
    "beheer.proposal_confirm",
)


def _sharp(kind: str, i: int) -> str:
    values = SHARP_FORM.get(kind, SHARP_FORM[""])
    return values[i % len(values)]


def _sharp_requests(world):
    """Every int in a path at 2**63; every query name the route's module reads, all at once, at each
    sharp value; every form with all its fields at once at a sharp value, and each date, time or
    number field alone (the others as the page filled them in, so the value reaches the service).
    One role per route: the last in ROLES that may open the page or saw the form."""
    app, known = world["app"], world["known"]
    query_reads = read_parameters_per_module()
    rules = sorted(_rules(app), key=lambda rm: (rm[0].endpoint in DESTRUCTIVE, rm[0].rule, rm[1]))
    for rule, method in rules:
        values = _known_for(rule, known)
        form = (world["forms"].get(rule.endpoint) or [{"types": {}, "fields": MultiDict(), "role": "coordinator"}])[0]
        if method == "GET":
            request = {"method": "GET", "role": world["opens"].get(rule.endpoint, ["anonymous"])[-1]}
        else:
            request = {"method": "POST", "role": form["role"], "data": MultiDict(form["fields"]), "csrf": "valid"}
        for name in sorted(rule.arguments & set(values)):
            if isinstance(values[name], int):
                yield {**request, "query": [], "path": _path(rule, {**values, name: str(2**63)})}
        if rule.arguments - set(values):
            continue
        request["path"] = _path(rule, values)
        if method == "GET":
            names = sorted(query_reads.get(app.view_functions[rule.endpoint].__module__, ()))
            for value in SHARP_QUERY if names else ():
                yield {**request, "query": [(name, value) for name in names]}
            continue
        names = sorted(set(form["fields"]) | set(RAW_FORM_NAMES))
        for i in range(3):
            yield {**request, "query": [], "data": MultiDict({n: _sharp(form["types"].get(n, ""), i) for n in names})}
        for name in names:
            kind = form["types"].get(name, "")
            for value in SHARP_FORM.get(kind, ()):
                data = MultiDict(request["data"])
                data.setlist(name, [value])
                yield {**request, "query": [], "data": data}


def test_sharp_values_on_every_parameter(world):
    failures, runs = [], 0
    with world["app"].app_context():
        for request in _sharp_requests(world):
            runs += 1
            _send_and_note_5xx(world, request, failures)
            db.session.rollback()
    assert runs > 100
    assert not failures, f"{len(failures)} requests got a 5xx:\n" + "\n".join(sorted(set(failures)))


def test_logout_with_hostile_input_is_never_a_5xx(world):
    app = world["app"]
    client = app.test_client()
    for value in ("\x00", "\r\n", BIG, str(2**63)):
        assert (
            client.post(
                "/uitloggen", data={"csrf_token": value, "next": value}, query_string={"next": value}
            ).status_code
            < 500
        )


def test_every_real_form_was_found(world):
    """The POST fuzzing starts from the real forms: most POST routes must have had one found."""
    post_endpoints = {r.endpoint for r in world["app"].url_map.iter_rules() if "POST" in r.methods}
    missing = post_endpoints - set(world["forms"]) - {"auth.logout", "meldingen.suggest"}
    assert len(missing) <= len(post_endpoints) // 3, sorted(missing)


# --- every parameter the source reads is one the fuzzer feeds -------------------------------------------------


def _request_reads(tree: ast.AST) -> tuple[set[tuple[str, str]], set[str], dict[str, tuple[str, int]]]:
    """What one module reads: {(source, name)} with source "args", "values" or "form"; the form
    classes filled from the query string; and the functions that read a name passed to them as a
    parameter (function -> (source, position)), such as ``bounds.arg_int("pagina", 1)``."""
    reads: set[tuple[str, str]] = set()
    query_forms: set[str] = set()
    by_parameter: dict[str, tuple[str, int]] = {}

    def source(node) -> str | None:
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("args", "values", "form")
            and isinstance(node.value, ast.Name)
            and node.value.id == "request"
        ):
            return node.attr
        return None

    for func in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        params = [a.arg for a in func.args.args]
        for node in ast.walk(func):
            kind = key = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and source(node.func.value):
                kind, key = source(node.func.value), (node.args[0] if node.args else None)
            elif isinstance(node, ast.Subscript) and source(node.value):
                kind, key = source(node.value), node.slice
            elif isinstance(node, ast.Call) and any(source(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                if isinstance(node.func, ast.Name):
                    query_forms.add(node.func.id)  # SomeForm(request.args) / SomeForm(formdata=request.args)
                continue
            if kind is None or key is None:
                continue
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                reads.add((kind, key.value))
            elif isinstance(key, ast.Name) and key.id in params:
                by_parameter[func.name] = (kind, params.index(key.id))
            else:
                reads.add((kind, f"<computed {ast.unparse(key)} in {func.name}>"))
    return reads, query_forms, by_parameter


def read_parameters() -> tuple[set[str], set[str]]:
    """(query-string names, request.form names) the package reads, from its source."""
    query, form = set(), set()
    for module_query, module_form in _reads_per_module().values():
        query |= module_query
        form |= module_form
    return query, form


def read_parameters_per_module() -> dict[str, set[str]]:
    """module -> the query-string names it reads (the page's own filters and pages)."""
    return {module: names for module, (names, _form) in _reads_per_module().items()}


def _reads_per_module() -> dict[str, tuple[set[str], set[str]]]:
    """module -> (query names, request.form names) it reads, itself or through a helper of any
    module that is handed the name (``bounds.arg_int("pagina", 1)``)."""
    import importlib

    trees = {
        ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts): (path, ast.parse(path.read_text("utf-8")))
        for path in sorted(SOURCE.rglob("*.py"))
    }
    scanned = {name: _request_reads(tree) for name, (_path, tree) in trees.items()}
    helpers = {func: how for _reads, _forms, by_parameter in scanned.values() for func, how in by_parameter.items()}
    found = {}
    for module_name, (path, tree) in trees.items():
        reads, query_forms, _by_parameter = scanned[module_name]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if func in helpers:
                kind, position = helpers[func]
                arg = node.args[position] if len(node.args) > position else None
                reads.add((kind, arg.value if isinstance(arg, ast.Constant) else f"<computed argument of {func}>"))
        if not reads and not query_forms:
            continue
        query = {name for kind, name in reads if kind != "form"}
        form = {name for kind, name in reads if kind == "form"}
        module = importlib.import_module(module_name)
        for class_name in query_forms:
            form_class = getattr(module, class_name, None)
            assert form_class is not None, f"{class_name} is filled from the request in {path.name}: not found"
            query.update(n for n in dir(form_class) if isinstance(getattr(form_class, n), UnboundField))
        found[module_name] = (query, form)
    return found


def test_fuzzer_knows_every_query_parameter():
    query, form = read_parameters()
    computed = {n for n in query | form if n.startswith("<computed")}
    assert not computed, f"request parameters read under a computed name: {computed}; name them in QUERY_NAMES"
    # the scan sees all three kinds: direct reads, a helper given the name, a form filled from the query
    assert {"pagina", "groep", "van", "since"} <= query
    missing = query - set(QUERY_NAMES)
    assert not missing, f"query parameters the fuzzer does not feed: {sorted(missing)}; add them to QUERY_NAMES"
    missing_form = form - set(RAW_FORM_NAMES)
    assert not missing_form, (
        f"request.form names the fuzzer does not feed: {sorted(missing_form)}; add them to RAW_FORM_NAMES"
    )
