"""The incident pages in Chromium (issue 15, points 5, 6, 7, 10, 12, 13): the wijkagent's filters wait for their
button, the map is the largest thing near the top, the page prints as text and map, the public picture fits a
360 px phone with keyboard-reachable tables, and every incident page passes the audit at 360 and 1366 px.

The audits leave out findings inside the map iframes ("frame ..."): the map documents are their own part of the
site (buurt/geo) and the lead's page sweep (tests/ui/test_page_audit.py) holds them to the same rules.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from buurt.areas.services import place
from buurt.extensions import db
from buurt.models import Incident, IncidentCategory, Role, utcnow
from tests.browser_support.fixtures import _new_page
from tests.conftest import PASSWORD
from tests.ui.audit import audit, overflow

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 768}
POINTS = [
    (52.2127, 4.413965),
    (52.213822, 4.418965),
    (52.209605, 4.421246),
    (52.213456, 4.424538),
    (52.208642, 4.42939),
]


@pytest.fixture
def incidents(app, groups):
    """Two dozen fictional incidents over the five areas, ten kinds and three months."""
    now = utcnow()
    rows = []
    for k in range(24):
        lat, lon = POINTS[k % len(POINTS)]
        placement = place(lat, lon)
        rows.append(
            Incident(
                category=list(IncidentCategory)[k % 10],
                occurred_at=now - timedelta(days=3 * k + 1),
                reported_at=now - timedelta(days=3 * k + 1),
                lat=lat + k * 0.00001,
                lon=lon,
                area_id=placement.area.id,
                group_id=placement.area.group_id,
                description=f"Fictief voorval {k}",
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.fixture
def open_as(browser, live_server, make_user):
    """open_as(role, viewport) -> a logged-in page of that size (closed after the test)."""
    contexts = []

    def make(role: Role, viewport: dict):
        phone = viewport["width"] < 500
        context, page = _new_page(browser, viewport=viewport, locale="nl-NL", is_mobile=phone, has_touch=phone)
        contexts.append(context)
        page.set_default_timeout(30_000)  # a busy machine builds the public picture slowly; waits, not assertions
        if role is not None:
            user = make_user(role)
            page.goto(live_server.url + "/inloggen")
            page.fill("#email", user.email)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Inloggen").click()
            page.wait_for_load_state("load")
        return page

    yield make
    for context in contexts:
        context.close()


def goto(page, url: str) -> None:
    """Open a page and let it and its map frames finish loading."""
    page.goto(url)
    page.wait_for_load_state("load")
    for frame in page.frames:
        frame.wait_for_load_state("load")


def page_findings(page) -> list[str]:
    """The audit of the page itself; findings inside map iframes are the map documents' (see the module doc).

    No JavaScript error or failed request before the audit either. axe-core itself, run inside a map frame,
    trips the map documents' CSP (connect-src 'none') when it reads their stylesheets: that is the audit's
    noise, not the page's, so the errors are checked before it and cleared after it.
    """
    assert page.errors == []
    findings = [str(f) for f in audit(page) if not f.what.startswith("frame ")]
    page.errors.clear()
    return findings


# --- 1. the filters wait for their button (WCAG 3.2.2) ------------------------------------------------------------


def test_filters_change_nothing_until_applied_and_keep_their_state_in_the_url(live_server, open_as, incidents):
    page = open_as(Role.WIJKAGENT, DESKTOP)
    goto(page, live_server.url + "/incidenten/?periode=3m")
    documents = []
    page.on("request", lambda r: r.is_navigation_request() and r.frame == page.main_frame and documents.append(r.url))
    page.evaluate("window.sameDocument = true")

    brand = page.locator("input[name=categorie][value=brand]")
    brand.focus()
    page.keyboard.press("Space")  # tick with the keyboard
    page.locator("#filters-pending").wait_for()  # "not applied yet" shows; nothing else happens
    assert brand.is_checked()
    period = page.locator("select[name=periode]")
    period.focus()
    page.keyboard.press("ArrowUp")  # walk the period list with the arrow keys: 3 months -> 30 days
    assert period.input_value() == "30d"
    assert page.evaluate("document.activeElement.name") == "periode"  # the keyboard stays where it was
    assert page.evaluate("window.sameDocument === true")
    assert documents == []
    assert "categorie" not in page.url

    with page.expect_navigation():
        page.get_by_role("button", name="Filters toepassen").click()
    assert len(documents) == 1
    query = parse_qs(urlsplit(page.url).query)
    assert query["categorie"] == ["brand"]
    assert query["periode"] == ["30d"]
    assert "Soorten: Brand" in page.locator("#filter-summary").inner_text()
    assert "categorie=brand" in page.locator("#incident-map").get_attribute("src")

    page.reload()  # the state lives in the URL
    assert page.locator("input[name=categorie][value=brand]").is_checked()
    assert page.locator("select[name=periode]").input_value() == "30d"
    assert page.errors == []


def test_own_period_shows_the_dates_without_leaving_the_page(live_server, open_as, incidents):
    page = open_as(Role.WIJKAGENT, DESKTOP)
    goto(page, live_server.url + "/incidenten/")
    assert page.locator("input[name=van]").is_hidden()
    page.select_option("select[name=periode]", "range")
    page.locator("input[name=van]").wait_for()
    page.fill("input[name=van]", "2026-01-01")
    page.fill("input[name=tot]", "2026-01-31")
    assert "periode=range" not in page.url
    with page.expect_navigation():
        page.get_by_role("button", name="Filters toepassen").click()
    query = parse_qs(urlsplit(page.url).query)
    assert (query["periode"], query["van"], query["tot"]) == (["range"], ["2026-01-01"], ["2026-01-31"])
    assert "Periode: 01-01-2026 tot en met 31-01-2026" in page.locator("#filter-summary").inner_text()


# --- 2. the map first ------------------------------------------------------------------------------------------------

_LARGEST = """() => {
  const vw = innerWidth, vh = innerHeight, map = document.getElementById('incident-map');
  const seen = el => {
    const r = el.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0));
    return w * Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
  };
  let other = 0, name = '';
  for (const el of document.querySelectorAll('body *')) {
    if (el === map || el.contains(map)) continue;  // the map's own wrappers
    const a = seen(el);
    if (a > other) { other = a; name = el.tagName + '.' + el.className; }
  }
  const m = map.getBoundingClientRect();
  return {top: m.top, height: m.height, map: seen(map), other, name, screen: vw * vh};
}"""


def test_desktop_map_is_the_largest_thing_in_the_first_screen(live_server, open_as, incidents):
    page = open_as(Role.WIJKAGENT, DESKTOP)
    goto(page, live_server.url + "/incidenten/")
    m = page.evaluate(_LARGEST)
    assert m["top"] < DESKTOP["height"] / 3, m  # near the top, not below rows of filters
    assert m["height"] >= 0.7 * DESKTOP["height"], m  # most of the viewport's height
    assert m["map"] > m["other"], m  # larger than anything else on the first screen
    assert m["map"] >= 0.45 * m["screen"], m
    assert page.locator("#filters").evaluate("d => d.open")  # the filters beside it are open


def test_phone_has_the_filters_folded_above_the_map(live_server, open_as, incidents):
    page = open_as(Role.WIJKAGENT, PHONE)
    goto(page, live_server.url + "/incidenten/")
    filters = page.locator("#filters")
    assert not filters.evaluate("d => d.open")
    assert filters.bounding_box()["y"] < page.locator("#incident-map").bounding_box()["y"] < PHONE["height"]
    page.locator("#filters > summary").click()
    page.locator("input[name=categorie][value=brand]").wait_for()
    assert page.locator("#incident-table").count() == 1  # the text equivalent stays
    assert overflow(page) == []


# --- 3. print -------------------------------------------------------------------------------------------------------


def test_printed_page_has_the_filter_in_words_the_map_and_the_table(live_server, open_as, incidents):
    page = open_as(Role.WIJKAGENT, DESKTOP)
    goto(page, live_server.url + "/incidenten/?periode=3m&categorie=brand&categorie=overlast")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", "#filters", ".side-box"):
        assert page.locator(hidden).is_hidden(), hidden
    assert page.locator("main button:visible, main .button:visible").count() == 0
    summary = page.locator("#filter-summary")
    assert summary.is_visible()
    assert "Periode: Afgelopen 3 maanden" in summary.inner_text()
    assert "Soorten: Overlast, Brand" in summary.inner_text()
    frame = page.locator("#incident-map").bounding_box()
    assert abs(frame["height"] - 12 / 2.54 * 96) < 2  # 12 cm, whatever the screen was
    table = page.locator("#incident-table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 4  # every row of the selection (2 kinds of 10, 24 incidents)
    wrap = page.locator("#incident-table").locator("xpath=..")
    assert wrap.evaluate("w => getComputedStyle(w).overflowX") == "visible"  # nothing cut off at the edge
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    assert len(page.pdf(format="A4")) > 1000
    page.emulate_media(media="screen")
    assert page.locator(".site-header").is_visible()


# --- 4. the public picture ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_public_picture_fits_and_its_tables_are_reachable_by_keyboard(live_server, open_as, incidents, viewport):
    page = open_as(None, viewport)
    goto(page, live_server.url + "/incidenten/openbaar")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page_findings(page) == []
    wraps = page.locator("main .table-wrap")
    assert wraps.count() == page.locator("main table").count() == 4
    for k in range(wraps.count()):
        wrap = wraps.nth(k)
        assert wrap.get_attribute("tabindex") == "0"
        assert wrap.get_attribute("role") == "region"
        assert wrap.get_attribute("aria-label")
    # Tab reaches the tables (the last one after the others), and the arrow keys scroll it
    last = wraps.nth(wraps.count() - 1)
    for _ in range(80):
        page.keyboard.press("Tab")
        if last.evaluate("w => w === document.activeElement"):
            break
    assert last.evaluate("w => w === document.activeElement")
    if viewport is PHONE:
        assert last.evaluate("w => w.scrollWidth > w.clientWidth")  # ten kinds do not fit a phone
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    assert page.errors == []


# --- 5. every incident page passes the audit ----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_wijkagent_pages_pass_the_audit(live_server, open_as, incidents, viewport):
    page = open_as(Role.WIJKAGENT, viewport)
    goto(page, live_server.url + "/incidenten/")
    assert page_findings(page) == []
    goto(page, live_server.url + "/incidenten/?periode=range&van=2026-02-01&tot=2026-01-01&categorie=brand")
    assert page_findings(page) == []
    goto(page, live_server.url + f"/incidenten/{incidents[0].id}")
    assert page_findings(page) == []
    assert page.errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1366"])
def test_report_and_moderation_pages_pass_the_audit_with_and_without_errors(live_server, open_as, incidents, viewport):
    page = open_as(Role.COORDINATOR, viewport)
    goto(page, live_server.url + "/incidenten/melden")
    assert page_findings(page) == []
    page.fill("#description", "Fictief")
    with page.expect_navigation():
        page.get_by_role("button", name="Incident versturen").click()  # no place: refused
    summary = page.locator(".error-summary")
    assert "vul een adres in of klik op de kaart" in summary.inner_text()
    assert summary.evaluate("s => s === document.activeElement")  # focus moved to the summary
    assert page_findings(page) == []

    incident = incidents[0]
    goto(page, live_server.url + f"/incidenten/{incident.id}")
    assert page_findings(page) == []
    page.fill("#keep_id", str(incident.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Samenvoegen", exact=True).click()
    assert "niet met zichzelf" in page.locator(".error-summary").inner_text()
    assert page_findings(page) == []
    page.fill("#occurred_date", "")
    with page.expect_navigation():
        page.get_by_role("button", name="Correctie opslaan").click()
    page.locator(".error-summary a[href='#occurred_date']").click()
    assert page.evaluate("document.activeElement.id") == "occurred_date"
    assert page_findings(page) == []
    assert page.errors == []
