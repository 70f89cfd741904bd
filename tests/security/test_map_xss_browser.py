"""Hostile names in every map, in headless Chromium, as every role (issue 12, finding 1).

Names that would run as code in a folium tooltip, a layer control or a legend are set where people
set them: a beheerder renames a group through the settings form, a coordinator uploads areas with
such names (the preview map), and group, area and street names sit in the database for the rest.
Then every map page is opened as anonymous visitor, beheerder, wijkagent and coordinator: no
dialog, no script effect (``window.xss``), no injected <img>, no request anywhere but this server
and the (stubbed) tile server, no console error (a CSP violation is one) and the names shown as typed.
"""

from __future__ import annotations

import json

import pytest

from buurt.config import Defaults
from buurt.extensions import db
from buurt.geo.folium_assets import TileSource
from buurt.models import Incident, IncidentCategory, Role, utcnow
from tests.conftest import PASSWORD
from tests.security.hostile_names import store_hostile_names

pytestmark = pytest.mark.browser
TILE_ORIGIN = TileSource(Defaults.TILES_URL, Defaults.TILES_ATTRIBUTION).origin  # stubbed by the page fixture

#: Group names hold at most 120 characters: one name per kind of break-out.
IN_SCRIPT = "G`+alert(window.xss=1)+`${alert(window.xss=2)}\\x3cimg src=y onerror=alert(window.xss=3)\\x3e"
IN_MARKUP = '</script><script>alert(window.xss=4)</script>"><img src=x onerror=alert(window.xss=5)>\\'
HOSTILE = IN_SCRIPT + IN_MARKUP


class Watch:
    """Everything a page and its frames do that a name must never cause."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        allowed = (base_url, "data:", "about:", "blob:", TILE_ORIGIN)

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_request(request):
            path = request.url.split("?", 1)[0]
            if not request.url.startswith(allowed) or path.endswith(("/x", "/y")):
                self.requests.append(request.url)

        page.on("dialog", on_dialog)
        page.on("request", on_request)

    def open(self, url: str, maps: int = 1) -> None:
        self.page.goto(url)
        self.check(maps)

    def check(self, maps: int = 1) -> None:
        page = self.page
        frames = page.locator("iframe.map-frame")
        assert frames.count() == maps, page.url
        for i in range(maps):
            frame = page.frame_locator("iframe.map-frame").nth(i)
            try:
                frame.locator("path.leaflet-interactive").first.wait_for(state="attached")
            except Exception as error:  # the errors say why the map did not draw
                raise AssertionError(f"no map in {page.url}: {page.errors}") from error
        for frame in page.frames:
            assert frame.evaluate("window.xss") is None, f"a name ran as script in {page.url}"
            injected = frame.evaluate("document.querySelectorAll('img[src=x], img[src=y]').length")
            assert injected == 0, f"a name became markup in {page.url}"
        assert self.dialogs == [], f"{page.url}: {self.dialogs}"
        assert self.requests == [], f"{page.url}: {self.requests}"
        assert page.errors == [], f"{page.url}: {page.errors}"

    def tooltips(self, frame_index: int = 0) -> str:
        """The text of every tooltip of a map, as Leaflet shows it (innerHTML), without hovering:
        a page squeezed by long names may leave the map too small to hover."""
        frame = self.page.frames[1 + frame_index]
        return "\n".join(frame.evaluate(TOOLTIP_TEXTS))

    def legend(self, frame_index: int = 0) -> str:
        return self.page.frame_locator("iframe.map-frame").nth(frame_index).locator(".map-legend").text_content()


TOOLTIP_TEXTS = """() => {
    const texts = [];
    for (const key of Object.keys(window).filter((name) => name.startsWith("map_"))) {
        if (!(window[key] instanceof L.Map)) continue;
        window[key].eachLayer((layer) => {
            const tooltip = layer.getTooltip && layer.getTooltip();
            const content = tooltip && tooltip.getContent();
            if (typeof content === "string") {
                const box = document.createElement("div");
                box.innerHTML = content;
                texts.push(box.textContent);
            }
        });
    }
    return texts;
}"""


def log_in(page, base_url: str, user) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


@pytest.fixture
def hostile_world(app, groups, make_user, make_resident, make_address):
    """Area and street names that would run as script; a melding and an incident. Group names come
    from the settings form in the test itself (but for the groups it does not rename)."""
    from buurt.meldingen.location import Location
    from buurt.meldingen.services import create_melding

    for n, group in enumerate(groups[1:], start=1):
        group.name = f"{n} {IN_MARKUP if n % 2 else IN_SCRIPT}"
    store_hostile_names(groups, make_resident, make_address, in_script=IN_SCRIPT, in_markup=IN_MARKUP)
    now = utcnow()
    db.session.add(
        Incident(
            category=IncidentCategory.FIETSDIEFSTAL,
            occurred_at=now,
            reported_at=now,
            lat=52.2127,
            lon=4.413965,
            description=HOSTILE,
            group_id=group.id,
        )
    )
    db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    melding = create_melding(
        user=coordinator,
        received_text=HOSTILE,
        category="woninginbraak",
        occurred_at=now.replace(tzinfo=None),
        location=Location(lat=52.2127, lon=4.413965, label=HOSTILE, street=HOSTILE, kind="kaart"),
        radius_m=300,
    )
    return {"coordinator": coordinator, "melding": melding, "groups": groups}


def _hostile_upload() -> bytes:
    from buurt.areas import files

    doc = files.current_collection()
    for n, feature in enumerate(doc["features"]):
        feature["properties"]["naam"] = f"U{n} {IN_MARKUP if n % 2 else IN_SCRIPT}"
    doc["features"][0]["properties"]["groep"] = "nieuwe-groep"
    doc["features"][0]["properties"]["groepsnaam"] = "N " + IN_SCRIPT
    return json.dumps(doc).encode()


def test_hostile_names_stay_text_in_every_map_for_every_role(live_server, page, make_user, hostile_world):
    page.set_default_timeout(30_000)  # a dozen map pages in a row: slow when other suites share the machine
    base = live_server.url
    groups = hostile_world["groups"]
    watch = Watch(page, base)

    # a beheerder renames their own group through the settings form
    beheerder = make_user(Role.BEHEERDER, groups=[groups[0]])
    log_in(page, base, beheerder)
    page.goto(f"{base}/beheer/groep/{groups[0].id}/instellingen")
    page.fill("input[name=name]", IN_SCRIPT)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    db.session.expire_all()
    assert db.session.get(type(groups[0]), groups[0].id).name == IN_SCRIPT
    watch.open(f"{base}/beheer/dekking")
    assert IN_SCRIPT in watch.tooltips()  # the group's name, as typed

    # anonymous: the home page, the lookup answer (srcdoc), the public incident map
    page.context.clear_cookies()
    watch.open(base + "/")
    tooltips = watch.tooltips()
    assert IN_SCRIPT in tooltips
    assert IN_MARKUP in tooltips
    page.goto(base + "/welke-groep")
    page.fill("input[name=postcode]", "2221XA")
    page.fill("input[name=house_number]", "1")
    with page.expect_navigation():
        page.click("main form button[type=submit], main form input[type=submit]")
    watch.check()
    assert IN_MARKUP in watch.tooltips()
    watch.open(base + "/incidenten/openbaar")

    # the wijkagent: the incident map (with the meldingen layer) and a melding's map
    log_in(page, base, make_user(Role.WIJKAGENT))
    watch.open(base + "/incidenten/?periode=3m")
    watch.open(f"{base}/meldingen/{hostile_world['melding'].id}")

    # the coordinator: coverage, a generation, a split, and an uploaded file's preview
    log_in(page, base, hostile_world["coordinator"])
    watch.open(base + "/beheer/dekking")
    watch.open(base + "/beheer/gebieden/1")
    assert IN_SCRIPT in watch.legend()
    watch.open(f"{base}/beheer/groep/{groups[1].id}/splitsen")
    assert IN_MARKUP in watch.legend()
    page.goto(base + "/beheer/gebieden/nieuw")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "vijandig.geojson", "mimeType": "application/json", "buffer": _hostile_upload()}],
    )
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/gebieden/voorstel/" in page.url
    watch.check()
    legend = watch.legend()
    assert f"U0 {IN_SCRIPT}" in legend
    assert f"U1 {IN_MARKUP}" in legend
