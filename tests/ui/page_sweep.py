"""The page sweep of issue 15: every page state, who opens it, and the audit it must pass.

tests/ui/test_page_audit.py (phone, 360x740) and tests/ui/test_page_audit_desktop.py (1366x768)
run the same states; two modules so that the two test workers share the sweep (pytest-xdist's
loadfile keeps a module on one worker). Each module builds its own demo and live server once
(the fixtures here, made available to them through tests/ui/conftest.py).

Each page state is held to three rules (tests/ui/audit.py): the page does not scroll sideways,
every button in it is a 44x44 px target, and axe-core finds no WCAG 2.0/2.1/2.2 A/AA violation in
any frame (map iframes included). Error states count as page states: a form sent empty, an unknown
address, a wrong password. No JavaScript error or failed request either (`page.errors`).

The sweep is complete by construction: every GET endpoint that answers with a page is in PAGES,
or in NOT_PAGES with the reason it is no page of its own (test_every_page_is_swept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from buurt.areas.services import seed_default_neighbourhood
from buurt.demo import DEMO_PASSWORD, load_demo
from buurt.extensions import db, limiter
from buurt.models import BoundaryGeneration, Group, Incident, Melding, Resident, ResidentStatus, Role, User
from tests.browser_support.fixtures import LiveServer, _new_page
from tests.conftest import _empty_database, make_test_app
from tests.ui.audit import audit

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}


@dataclass(frozen=True)
class PageState:
    """One page in one state: who opens it, where, and what they do there first."""

    name: str
    role: str  # anonymous | beheerder | coordinator | wijkagent
    path: Callable[[dict], str]
    act: Callable | None = None  # (page, world) -> None: what the person does before the audit
    endpoints: tuple[str, ...] = field(default=())


def _submit(selector: str = "main form [type=submit]"):
    def act(page, world):
        page.locator(selector).first.click()
        page.wait_for_load_state()

    return act


def _fill_and_submit(values: dict, selector: str = "main form [type=submit]"):
    """Fill fields by name (values may name things of the demo: "{postcode}"), then send the form."""

    def act(page, world):
        for name, value in values.items():
            page.fill(f"main [name={name}]", value.format(**world))
        _submit(selector)(page, world)

    return act


def _open_personal_link(page, world):
    """link-token.js posts the token after '#' and the page opens: wait for what it shows."""
    page.locator("main dl.data").wait_for()


def _map_editor_ready(page, world):
    """area-editor.js marks its map once the areas are drawn on it (after a fetch of their GeoJSON)."""
    page.locator("[data-area-editor][data-ready]").wait_for()


def _map_editor_refused(page, world):
    """A line of one point: the page again (422) with the Dutch reason, the map drawn again."""
    _fill_and_submit({"lijn": "52.2131, 4.4235"}, "#editor-form [type=submit]")(page, world)
    page.locator("#editor-error").wait_for()
    _map_editor_ready(page, world)


PAGES = [
    # residents and the public
    PageState("home", "anonymous", lambda w: "/", endpoints=("main.home", "main.coverage_map")),
    PageState("lookup", "anonymous", lambda w: "/welke-groep", endpoints=("residents.lookup",)),
    PageState(
        "lookup found",
        "anonymous",
        lambda w: "/welke-groep",
        _fill_and_submit({"postcode": "{postcode}", "house_number": "{number}"}),
    ),
    PageState(
        "lookup unknown",
        "anonymous",
        lambda w: "/welke-groep",
        _fill_and_submit({"postcode": "9999ZZ", "house_number": "1"}),
    ),
    PageState("lookup empty", "anonymous", lambda w: "/welke-groep", _submit()),
    PageState("streets", "anonymous", lambda w: "/welke-groep/straten", endpoints=("residents.streets",)),
    PageState("signup", "anonymous", lambda w: "/aanmelden", endpoints=("residents.signup",)),
    PageState("signup empty", "anonymous", lambda w: "/aanmelden", _submit()),
    PageState("signup done", "anonymous", lambda w: "/aanmelden/ontvangen", endpoints=("residents.signup_done",)),
    PageState("confirm link", "anonymous", lambda w: "/aanmelden/bevestigen", endpoints=("residents.confirm",)),
    PageState("my data request", "anonymous", lambda w: "/mijn-gegevens", endpoints=("residents.my_data_request",)),
    PageState(
        "my data request bad", "anonymous", lambda w: "/mijn-gegevens", _fill_and_submit({"contact": "geen-adres"})
    ),
    PageState(
        "my data", "anonymous", lambda w: w["my_data_path"], _open_personal_link, endpoints=("residents.my_data",)
    ),
    PageState(
        "email change link", "anonymous", lambda w: "/mijn-gegevens/nieuw-adres", endpoints=("residents.email_change",)
    ),
    PageState(
        "public incidents",
        "anonymous",
        lambda w: "/incidenten/openbaar",
        endpoints=("incidents.public", "incidents.public_map"),
    ),
    PageState(
        "resident report", "anonymous", lambda w: "/incidenten/melden/bewoner", endpoints=("incidents.report_resident",)
    ),
    PageState("gemeente", "anonymous", lambda w: "/buurten", endpoints=("main.gemeente", "main.gemeente_map")),
    PageState("privacy", "anonymous", lambda w: "/privacy", endpoints=("main.privacy",)),
    PageState("rules", "anonymous", lambda w: "/regels", endpoints=("main.rules",)),
    PageState("not found", "anonymous", lambda w: "/bestaat-niet"),
    # staff accounts
    PageState("login", "anonymous", lambda w: "/inloggen", endpoints=("auth.login",)),
    PageState(
        "login wrong",
        "anonymous",
        lambda w: "/inloggen",
        _fill_and_submit({"email": "x@example.org", "password": "fout"}),
    ),
    PageState("reset request", "anonymous", lambda w: "/wachtwoord-vergeten", endpoints=("auth.reset_request",)),
    PageState("reset link", "anonymous", lambda w: "/wachtwoord-herstellen", endpoints=("auth.reset_password",)),
    PageState("change password", "beheerder", lambda w: "/account/wachtwoord", endpoints=("auth.change_password",)),
    PageState("change password empty", "beheerder", lambda w: "/account/wachtwoord", _submit()),
    # beheerders
    PageState("console", "beheerder", lambda w: "/beheer/", endpoints=("beheer.index",)),
    PageState("group", "beheerder", lambda w: f"/beheer/groep/{w['group_id']}", endpoints=("beheer.group",)),
    PageState(
        "remove form",
        "beheerder",
        lambda w: f"/beheer/groep/{w['group_id']}/bewoner/{w['member_id']}/verwijderen",
        endpoints=("beheer.remove_form",),
    ),
    PageState(
        "group coverage",
        "beheerder",
        lambda w: f"/beheer/groep/{w['group_id']}/dekking",
        endpoints=("beheer.group_coverage",),
    ),
    PageState(
        "coverage", "beheerder", lambda w: "/beheer/dekking", endpoints=("beheer.coverage_page", "beheer.coverage_map")
    ),
    PageState("meldingen", "beheerder", lambda w: "/meldingen/", endpoints=("meldingen.index",)),
    PageState(
        "melding",
        "beheerder",
        lambda w: f"/meldingen/{w['melding_id']}",
        endpoints=("meldingen.detail", "meldingen.map_document"),
    ),
    PageState("new melding", "beheerder", lambda w: "/meldingen/nieuw", endpoints=("meldingen.new",)),
    PageState(
        "new melding empty", "beheerder", lambda w: "/meldingen/nieuw", _submit("main form [type=submit] >> nth=-1")
    ),
    PageState("forbidden", "beheerder", lambda w: "/beheer/audit"),
    # coordinators
    PageState("coordinator console", "coordinator", lambda w: "/beheer/"),
    PageState("overview", "coordinator", lambda w: "/beheer/overzicht", endpoints=("beheer.overview",)),
    PageState(
        "settings",
        "coordinator",
        lambda w: f"/beheer/groep/{w['group_id']}/instellingen",
        endpoints=("beheer.settings",),
    ),
    PageState("areas", "coordinator", lambda w: "/beheer/gebieden", endpoints=("beheer.areas",)),
    PageState(
        "generation",
        "coordinator",
        lambda w: f"/beheer/gebieden/{w['generation_id']}",
        endpoints=("beheer.generation", "beheer.generation_map"),
    ),
    PageState("area upload", "coordinator", lambda w: "/beheer/gebieden/nieuw", endpoints=("beheer.area_upload",)),
    PageState("area upload empty", "coordinator", lambda w: "/beheer/gebieden/nieuw", _submit()),
    PageState(
        "area editor",
        "coordinator",
        lambda w: "/beheer/gebieden/bewerken",
        _map_editor_ready,
        endpoints=("beheer.area_editor",),
    ),
    PageState(
        "area editor refused",
        "coordinator",
        lambda w: "/beheer/gebieden/bewerken",
        _map_editor_refused,
    ),
    PageState(
        "split",
        "coordinator",
        lambda w: f"/beheer/groep/{w['group_id']}/splitsen",
        endpoints=("beheer.split", "beheer.split_map"),
    ),
    PageState("audit log", "coordinator", lambda w: "/beheer/audit", endpoints=("beheer.audit_log",)),
    PageState("staff report", "coordinator", lambda w: "/incidenten/melden", endpoints=("incidents.report",)),
    PageState("staff report empty", "coordinator", lambda w: "/incidenten/melden", _submit()),
    # the demo's coordinator coordinates Rijnsoever (buurt/demo/people.py): the list and its own neighbourhood
    PageState("neighbourhoods", "coordinator", lambda w: "/beheer/buurten/", endpoints=("neighbourhoods.index",)),
    PageState(
        "neighbourhood", "coordinator", lambda w: "/beheer/buurten/rijnsoever", endpoints=("neighbourhoods.edit",)
    ),
    PageState(
        "neighbourhood refused",
        "coordinator",
        lambda w: "/beheer/buurten/rijnsoever",
        _fill_and_submit({"signup_url": "geen link"}),
    ),
    # wijkagenten
    PageState(
        "incidents", "wijkagent", lambda w: "/incidenten/", endpoints=("incidents.index", "incidents.map_document")
    ),
    PageState("incident", "wijkagent", lambda w: f"/incidenten/{w['incident_id']}", endpoints=("incidents.detail",)),
    PageState("wijkagent coverage", "wijkagent", lambda w: "/beheer/dekking"),
    PageState("wijkagent meldingen", "wijkagent", lambda w: "/meldingen/"),
    PageState("wijkagent forbidden", "wijkagent", lambda w: f"/beheer/groep/{w['group_id']}"),
]

EXPECTED_ERROR_PAGES = ("not found", "forbidden", "wijkagent forbidden")

#: GET endpoints that are no page of their own, and why
NOT_PAGES = {
    "static": "files",
    "ops.health_live": "a JSON health answer",
    "ops.health_ready": "a JSON readiness answer",
    "ops.metrics_text": "Prometheus text for a monitoring server",
    "api.area_at_by_get": "JSON",
    "api.area_collection": "JSON",
    "api.lookup_by_get": "JSON",
    "beheer.export_csv": "a download",
    "beheer.export_vcard": "a download",
    "beheer.export_queue_vcard": "a download",
    "beheer.export_resident_vcard": "a download",
    "beheer.generation_export": "a download",
    "incidents.export": "a download",
    "incidents.photo": "an image",
    "incidents.public_json": "JSON",
    "beheer.proposal": "needs an uploaded proposal: tests/areas (the sweep has no upload step)",
    "beheer.proposal_map": "the proposal page's map",
    "beheer.editor_areas": "JSON for the area editor's map",
    "auth.reset_password_old_link": "redirects to the new link form",
    "incidents.report_old_link": "redirects to the new link form",
    "residents.confirm_old_link": "redirects to the new link form",
    "residents.my_data_old_link": "redirects to the new link form",
    # issue 18
    "neighbourhoods.new": "gemeente-wide coordinators only, and the sweep's coordinator coordinates Rijnsoever: "
    "tests/neighbourhoods/test_admin_browser.py audits it on a phone (form, form sent empty, the result)",
}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The full demo behind a live server, built once for the module; what the paths need."""
    app = make_test_app(tmp_path_factory.mktemp("audit"))
    with app.app_context():
        db.create_all()
        _empty_database()
        limiter.enabled = False
        seed_default_neighbourhood()
        load_demo()
        group = db.session.scalars(db.select(Group).order_by(Group.sort_order)).first()
        beheerder = db.session.scalars(
            db.select(User).where(User.role == Role.BEHEERDER, User.groups.any(Group.id == group.id)).order_by(User.id)
        ).first()
        member = db.session.scalars(
            db.select(Resident).filter_by(group_id=group.id, status=ResidentStatus.ADDED).order_by(Resident.id)
        ).first()
        with_email = db.session.scalars(
            db.select(Resident)
            .where(Resident.email.is_not(None), Resident.status == ResidentStatus.ADDED)
            .order_by(Resident.id)
        ).first()
        from buurt.residents.links import my_data_link

        with app.test_request_context():
            link = my_data_link(with_email)
        melding = db.session.scalars(
            db.select(Melding)
            .where(Melding.targets.any(group_id=group.id, is_neighbour=False))
            .order_by(Melding.id.desc())
        ).first()
        world = {
            "group_id": group.id,
            "member_id": member.id,
            "melding_id": melding.id,
            "incident_id": db.session.scalar(db.select(db.func.min(Incident.id))),
            "generation_id": db.session.scalar(db.select(db.func.max(BoundaryGeneration.id))),
            "my_data_path": link.split("localhost", 1)[1],
            "postcode": with_email.postcode,
            "number": str(with_email.house_number),
            "emails": {
                "beheerder": beheerder.email,
                "coordinator": db.session.scalar(db.select(User.email).filter_by(role=Role.COORDINATOR)),
                "wijkagent": db.session.scalar(db.select(User.email).filter_by(role=Role.WIJKAGENT)),
            },
        }
        db.session.remove()
    with LiveServer(app) as server:
        world["url"] = server.url
        yield world
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def sessions(browser, demo_site):
    """One browser context per (role, viewport), logged in once."""
    opened: dict[tuple[str, str], object] = {}

    def get(role: str, size: str):
        if (role, size) not in opened:
            viewport = PHONE if size == "phone" else DESKTOP
            touch = size == "phone"
            context, page = _new_page(browser, viewport=viewport, locale="nl-NL", is_mobile=touch, has_touch=touch)
            if role != "anonymous":
                page.goto(demo_site["url"] + "/inloggen")
                page.fill("input[name=email]", demo_site["emails"][role])
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.locator("main form [type=submit]").click()
                page.wait_for_load_state()
                assert "/inloggen" not in page.url, f"{role} could not log in"
            # a map page of the full demo can take a few seconds on a busy 2-core machine
            page.set_default_timeout(30_000)
            page.set_default_navigation_timeout(30_000)
            opened[(role, size)] = (context, page)
        return opened[(role, size)][1]

    yield get
    for context, _page in opened.values():
        context.close()


def _settle(page) -> None:
    """Wait until the page and every frame in it (the maps) have loaded."""
    page.wait_for_load_state("load")
    for frame in page.frames[1:]:
        if not frame.is_detached():
            frame.wait_for_load_state("load")


def check_page_state(sessions, demo_site, state: PageState, size: str) -> None:
    """Open the state as its role at `size`, do what the person does, and hold the page to the rules."""
    page = sessions(state.role, size)
    page.errors.clear()
    page.goto(demo_site["url"] + state.path(demo_site))
    if state.act is not None:
        state.act(page, demo_site)
    _settle(page)
    # what went wrong while the person used the page (not what the audit itself does)
    used = list(page.errors)
    findings = audit(page)
    assert findings == [], f"{state.name} ({size}, {state.role}):\n" + "\n".join(map(str, findings))
    # an error page's own status (404, 403; 422 for a refused form) shows in the console as a
    # failed load: that is the state under test, not a broken resource
    expected = state.name in EXPECTED_ERROR_PAGES or state.act is not None
    errors = [e for e in used if not (expected and "the server responded with a status of 4" in e)]
    assert errors == [], errors
