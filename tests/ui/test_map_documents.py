"""Every kind of map document in Chromium, at phone and desktop size (issue 15, points 6 and 13).

Each map route is opened by itself in a page (the lookup answer's map, rendered into its page with
srcdoc, in that page) and held to: 0 axe-core violations in the map frame, a <title>, the
document's language, a viewport that lets people zoom, a legend that folds on a phone and is open
on a desktop and lies on neither the scale bar nor the zoom buttons, a folded layer control, a
name for every marker (cluster icons too, which are at least 44 px), and Leaflet's control words
in the document's language.
"""

from __future__ import annotations

import json

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from buurt import map_chrome as web_chrome
from buurt.extensions import db
from buurt.geo import map_chrome
from buurt.geo.map_chrome import MapChrome
from buurt.models import Incident, IncidentCategory, Role, utcnow
from tests.conftest import PASSWORD
from tests.security.hostile_names import store_hostile_names
from tests.ui.audit import axe, overflow

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 740), "desktop": (1366, 768)}

ENGLISH = MapChrome(
    lang="en",
    title="Map",
    zoom_in="Zoom in",
    zoom_out="Zoom out",
    layers="Map layers",
    close="Close",
    legend="Key",
    cluster="{n} points together. Click to zoom in.",
    marker="Point on the map",
    leaflet="A JavaScript library for interactive maps",
)

#: what a map document shows about itself, read in its frame
FACTS = """() => {
    const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
        return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null; };
    const legend = document.querySelector('.map-legend');
    const markers = [...document.querySelectorAll('.leaflet-marker-pane > *')];  // awesome markers drop Leaflet's class
    const clusters = [...document.querySelectorAll('.marker-cluster')];
    return {
        title: document.title,
        lang: document.documentElement.lang,
        viewport: (document.querySelector('meta[name=viewport]') || {}).content || '',
        legend: legend ? {open: legend.open, box: box(legend),
                          inCorner: !!legend.closest('.leaflet-bottom.leaflet-right')} : null,
        scale: box(document.querySelector('.leaflet-control-scale')),
        zoom: box(document.querySelector('.leaflet-control-zoom')),
        zoomIn: (document.querySelector('.leaflet-control-zoom-in') || {}).title,
        layers: document.querySelectorAll('.leaflet-control-layers').length,
        layersOpen: document.querySelectorAll('.leaflet-control-layers-expanded').length,
        layersToggle: (document.querySelector('.leaflet-control-layers-toggle') || {getAttribute: () => null})
            .getAttribute('aria-label'),
        unnamed: markers.filter((m) => !(m.getAttribute('aria-label') || '').trim()).length,
        markerNames: markers.map((m) => m.getAttribute('aria-label')),
        clusterSizes: clusters.map((c) => [c.offsetWidth, c.offsetHeight]),
    };
}"""


def overlaps(a, b) -> bool:
    return bool(a and b) and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture
def chrome_wired(app):
    """The request's language for every map (buurt.map_chrome.init_app: create_app's job)."""
    web_chrome.init_app(app)
    yield
    map_chrome.use_chrome(None)


@pytest.fixture
def map_world(app, groups, make_user, make_resident, make_address, chrome_wired):
    """Members and sign-ups for coverage cells, a register address for the lookup, a melding, and
    a dozen incidents close together (a cluster) plus one apart."""
    from buurt.meldingen.location import Location
    from buurt.meldingen.services import create_melding

    store_hostile_names(groups, make_resident, make_address, in_script="Dorpsstraat", in_markup="Kerkweg")
    now = utcnow()
    spots = [(52.2127 + k * 2e-5, 4.413965 + k * 2e-5) for k in range(12)] + [(52.2150, 4.4300)]
    for lat, lon in spots:
        db.session.add(
            Incident(
                category=IncidentCategory.FIETSDIEFSTAL,
                occurred_at=now,
                reported_at=now,
                lat=lat,
                lon=lon,
                description="Fiets weg",
                group_id=groups[0].id,
            )
        )
    db.session.commit()
    coordinator = make_user(Role.COORDINATOR)
    melding = create_melding(
        user=coordinator,
        received_text="Inbraak aan de Dorpsstraat",
        category="woninginbraak",
        occurred_at=now.replace(tzinfo=None),
        location=Location(lat=52.2127, lon=4.413965, label="Dorpsstraat 1", street="Dorpsstraat", kind="kaart"),
        radius_m=300,
    )
    return {"coordinator": coordinator, "melding": melding, "groups": groups}


def log_in(page, base_url: str, user) -> None:
    page.context.clear_cookies()
    page.goto(base_url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def upload_proposal(page, base_url: str) -> str:
    """Upload the current areas with one new group: the preview page's map URL."""
    from buurt.areas import files

    doc = files.current_collection()
    doc["features"][0]["properties"]["groep"] = "nieuwe-groep"
    doc["features"][0]["properties"]["groepsnaam"] = "Nieuwe groep"
    page.goto(base_url + "/beheer/gebieden/nieuw")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "gebieden.geojson", "mimeType": "application/json", "buffer": json.dumps(doc).encode()}],
    )
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/gebieden/voorstel/" in page.url
    return page.locator("iframe.map-frame").get_attribute("src")


def map_frame(page):
    """The map's frame: the page itself for a map route, else the page's one iframe."""
    page.wait_for_load_state("load")
    frame = page.main_frame if len(page.frames) == 1 else page.frames[1]
    frame.wait_for_selector(".leaflet-container")
    frame.wait_for_function("() => document.querySelector('.leaflet-control-attribution') !== null")
    return frame


def own_errors(page) -> list[str]:
    """page.errors but those of axe-core itself: it fetches each stylesheet with XMLHttpRequest, which
    a map document's policy (connect-src 'none', an opaque origin) refuses, sometimes after the
    next page has loaded."""
    axe_fetch = ("XMLHttpRequest", "connect-src", "Failed to load resource: net::ERR_FAILED")
    return [
        e
        for e in page.errors
        if not any(text in e for text in axe_fetch)
        and not (e.startswith("requestfailed") and ".css" in e and ("csp" in e or "ERR_FAILED" in e))
    ]


def check_map(page, what: str, *, size: str, legend=True, layers=False, markers=(), clusters=False) -> dict:
    frame = map_frame(page)
    if clusters:
        frame.wait_for_selector(".marker-cluster")
    facts = frame.evaluate(FACTS)
    assert own_errors(page) == [], page.errors
    found = [str(f) for f in axe(page) if f.what.startswith("frame") or page.main_frame == frame]
    if page.main_frame == frame:
        found += [str(f) for f in overflow(page)]
    assert found == [], f"{what} ({size}): {found}"
    assert facts["title"].strip(), what
    assert facts["lang"] == "nl", what
    assert "user-scalable=no" not in facts["viewport"], what
    assert "maximum-scale" not in facts["viewport"], what
    assert facts["zoomIn"] == "Inzoomen", what
    if legend:
        assert facts["legend"] is not None, f"{what}: no legend"
        assert facts["legend"]["inCorner"], what
        assert facts["legend"]["open"] is (size == "desktop"), f"{what} ({size}): legend open={facts['legend']}"
        assert not overlaps(facts["legend"]["box"], facts["scale"]), f"{what} ({size}): legend on the scale bar"
        assert not overlaps(facts["legend"]["box"], facts["zoom"]), f"{what} ({size}): legend on the zoom buttons"
    if layers:
        assert facts["layers"] == 1, what
        assert facts["layersOpen"] == 0, f"{what}: the layer control starts open"
        assert facts["layersToggle"] == "Kaartlagen", what
    assert facts["unnamed"] == 0, f"{what}: {facts['markerNames']}"
    for name in markers:
        assert name in facts["markerNames"], f"{what}: {facts['markerNames']}"
    if clusters:
        assert facts["clusterSizes"], what
        assert all(w >= 44 and h >= 44 for w, h in facts["clusterSizes"]), facts["clusterSizes"]
        assert any("punten bij elkaar" in (n or "") for n in facts["markerNames"]), facts["markerNames"]
    return facts


@pytest.mark.parametrize("size", SIZES)
def test_every_map_document_passes_axe_and_keeps_its_legend_clear(live_server, browser, map_world, size):
    from tests.browser_support.fixtures import _new_page

    width, height = SIZES[size]
    phone = size == "phone"
    context, page = _new_page(
        browser, viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, locale="nl-NL"
    )
    # nine map documents with their assets, axe in each: slow when other suites share the machine
    page.set_default_timeout(30_000)
    base, groups = live_server.url, map_world["groups"]
    try:
        page.goto(base + "/kaart/dekking")
        check_map(page, "home map", size=size)
        page.goto(base + "/incidenten/openbaar/kaart?periode=3m")
        check_map(page, "public incident map", size=size)

        page.goto(base + "/welke-groep")
        page.fill("input[name=postcode]", "2221XA")
        page.fill("input[name=house_number]", "1")
        with page.expect_navigation():
            page.click("main form button[type=submit], main form input[type=submit]")
        check_map(page, "lookup map", size=size, legend=False, markers=("Uw adres",))

        log_in(page, base, map_world["coordinator"])
        page.goto(f"{base}/meldingen/{map_world['melding'].id}/kaart")
        check_map(page, "melding map", size=size, markers=("Locatie van de melding",))
        page.goto(base + "/incidenten/kaart?periode=3m")
        check_map(page, "wijkagent map", size=size, layers=True, clusters=True)
        page.goto(base + "/beheer/dekking/kaart")
        check_map(page, "coverage map", size=size, layers=True)
        page.goto(base + "/beheer/gebieden/1/kaart")
        check_map(page, "generation map", size=size)
        page.goto(f"{base}/beheer/groep/{groups[1].id}/splitsen")
        split = page.locator("iframe.map-frame").get_attribute("src")
        page.goto(base + split)
        check_map(page, "split map", size=size)
        page.goto(base + upload_proposal(page, base))
        check_map(page, "proposal map", size=size)
    finally:
        context.close()


def test_map_controls_speak_the_documents_language(live_server, page, map_world):
    page.set_default_timeout(30_000)
    base = live_server.url
    log_in(page, base, map_world["coordinator"])
    # ?lang=en: the document says it is English and uses the English catalogue's words
    page.goto(base + "/incidenten/kaart?periode=3m&lang=en")
    frame = map_frame(page)
    with live_server.app.test_request_context("/?lang=en"), force_locale("en"):
        words = {"zoom_in": _("Inzoomen"), "title": _("Kaart van de incidenten"), "layers": _("Kaartlagen")}
    facts = frame.evaluate(FACTS)
    assert facts["lang"] == "en"
    assert facts["title"] == words["title"]
    assert facts["zoomIn"] == words["zoom_in"]
    assert facts["layersToggle"] == words["layers"]
    # every word of the chrome reaches Leaflet's controls, the popup and the markers
    map_chrome.use_chrome(lambda: ENGLISH)
    page.goto(f"{base}/meldingen/{map_world['melding'].id}/kaart?lang=en")
    frame = map_frame(page)
    assert frame.evaluate("document.title") == "Map"
    assert frame.locator(".leaflet-control-zoom-in").get_attribute("title") == "Zoom in"
    assert frame.locator(".leaflet-control-zoom-out").get_attribute("aria-label") == "Zoom out"
    assert frame.locator(".map-legend > summary").inner_text() == "Key"
    assert frame.locator(".leaflet-control-attribution a").first.get_attribute("title") == ENGLISH.leaflet
    page.goto(base + "/incidenten/kaart?periode=3m&lang=en")
    frame = map_frame(page)
    assert frame.locator(".leaflet-control-layers-toggle").get_attribute("aria-label") == "Map layers"
    cluster = frame.locator(".marker-cluster").first
    assert cluster.get_attribute("aria-label").endswith("points together. Click to zoom in.")
    frame.evaluate(
        """() => { const m = Object.keys(window).filter((k) => k.startsWith('map_')).map((k) => window[k])
            .find((v) => v instanceof L.Map); L.popup().setLatLng(m.getCenter()).setContent('x').openOn(m); }"""
    )
    assert frame.locator(".leaflet-popup-close-button").get_attribute("aria-label") == "Close"
    assert own_errors(page) == []


def test_legend_unfolds_on_a_phone(live_server, phone_page, map_world):
    phone_page.goto(live_server.url + "/kaart/dekking")
    frame = map_frame(phone_page)
    legend = frame.locator(".map-legend")
    assert legend.evaluate("d => d.open") is False
    assert not frame.locator(".map-legend-body").is_visible()
    legend.locator("summary").tap()
    assert frame.locator(".map-legend-body").is_visible()
    assert "50" in frame.locator(".map-legend-body").inner_text()  # the fill steps ("minder dan 50 %" ...)
