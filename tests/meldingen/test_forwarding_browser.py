"""Forwarding a melding in Chromium (issue 15): the beheerder's taps on a phone, the Web Share API, and
the meldingen pages held to the page audit (no sideways scrolling, 44 px targets, axe-core) at 360 and
1366 px, error states included."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from buurt.extensions import db
from buurt.meldingen import services
from tests.browser_support.fixtures import _new_page
from tests.meldingen.test_browser import log_in
from tests.ui.audit import audit
from tests.ui.taps import Taps

pytestmark = pytest.mark.browser

#: A police text with a long link (the 539 px page of issue 15) and characters a URL must encode.
POLICE = (
    "Politiebericht: woninginbraak Fictieweg 1 & 2 (#3). Man, ca. 1.85 m, zwarte jas, scooter A+B. "
    "Beelden: https://politie.example.org/opsporing/onderzoeken/2025/maart/een-heel-lang-pad-zonder-spaties"
    "-dat-een-telefoonscherm-breed-maakt?bron=meldkamer&kenmerk=2025031412345 Informatie? Bel 112."
)

#: Stops a WhatsApp link from leaving the (offline) test: a capturing listener that records where the
#: link would go and cancels the navigation before the page's own script sees the click.
CATCH_SHARE_LINK = """
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-share]");
  if (!link) { return; }
  event.preventDefault();
  window.__opened = link.href;
}, true);
"""


def text_of(url: str) -> str:
    return parse_qs(urlsplit(url).query, strict_parsing=True)["text"][0]


def test_a_beheerder_forwards_to_their_own_group_in_4_taps(live_server, phone_page, make_user, make_melding):
    page = phone_page
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100, text=POLICE)
    mine = [t for t in melding.targets if not t.is_neighbour][1]  # not the first group in routing order
    beheerder = make_user("beheerder", groups=[mine.group])
    expected = services.forward_text_for(melding, mine)
    page.add_init_script(CATCH_SHARE_LINK)
    log_in(page, live_server, beheerder)
    page.goto(live_server.url + "/meldingen/")  # where the digest and the menu bring them

    taps = Taps(page, touch=True)
    taps.tap(page.locator(f'#meldingen a[href="/meldingen/{melding.id}"]'), "open the melding")
    page.wait_for_url(f"**/meldingen/{melding.id}")
    own = page.locator(f"#uw-groepen #groep-{mine.group_id}")
    share = own.get_by_role("link", name=re.compile("^Deel via WhatsApp"))
    # no Web Share API in headless Chromium: on a phone the link goes straight into the app
    assert page.evaluate("typeof navigator.share") == "undefined"
    href = share.get_attribute("href")
    assert href.startswith("whatsapp://send?text=")
    assert text_of(href) == expected
    assert text_of(share.get_attribute("data-share-app")) == expected
    taps.tap(share, "Deel via WhatsApp")
    assert text_of(page.evaluate("window.__opened")) == expected  # it would have opened WhatsApp with the text
    assert "Gedeeld? Tik dan op Doorgestuurd." in own.inner_text()
    taps.tap(own.get_by_role("button", name=f"Doorgestuurd naar {mine.group.name}"), "Doorgestuurd")
    page.wait_for_url(re.compile(f"/meldingen/{melding.id}#groep-{mine.group_id}$"))

    assert taps.count <= 4, str(taps)
    page.locator(f"#groep-{mine.group_id} .forward-state .badge.ok").wait_for()
    db.session.refresh(mine)
    assert mine.forwarded_by_id == beheerder.id
    # ... and a mistake can be taken back right there
    assert page.locator(f"#groep-{mine.group_id}").get_by_role("button", name=re.compile("^Ongedaan maken")).count()
    assert page.errors == []


def test_the_web_share_api_gets_the_groups_text(live_server, page, coordinator, make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100, text=POLICE)
    first = melding.targets[0]
    # a browser with the Web Share API (a phone over https): record what the page hands to it
    page.add_init_script("navigator.share = function (data) { window.__shared = data; return Promise.resolve(); };")
    log_in(page, live_server, coordinator)
    page.goto(f"{live_server.url}/meldingen/{melding.id}")
    block = page.locator(f"#groep-{first.group_id}")
    block.get_by_role("link", name=re.compile("^Deel via WhatsApp")).click()
    page.wait_for_function("window.__shared !== undefined")
    assert page.evaluate("window.__shared") == {"text": services.forward_text_for(melding, first)}
    assert page.url.endswith(f"/meldingen/{melding.id}")  # the page stays; nothing opened by the link
    assert block.locator(".copy-status").inner_text() == "Gedeeld? Tik dan op Doorgestuurd."
    assert page.errors == []


def own_findings(page) -> list[str]:
    """audit(page) without the findings inside the map iframe: the map documents are helper E's and the
    lead's page sweep holds them to the same rules."""
    return [str(f) for f in audit(page) if not f.what.startswith("frame ")]


@pytest.mark.parametrize("size", [(360, 740), (1366, 768)], ids=["phone", "desktop"])
def test_meldingen_pages_pass_the_audit(live_server, browser, size, make_user, make_melding, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100, text=POLICE)  # West, with neighbours
    make_melding(lat=52.208642, lon=4.42939, radius=100)  # a second one for the list
    beheerder = make_user("beheerder", groups=[groups[0]])
    phone = size[0] < 500
    context, page = _new_page(
        browser, viewport={"width": size[0], "height": size[1]}, locale="nl-NL", is_mobile=phone, has_touch=phone
    )
    try:
        log_in(page, live_server, beheerder)
        found = {}

        page.goto(live_server.url + "/meldingen/")
        found["list"] = own_findings(page)
        page.locator("details.melding-filters > summary").click()
        found["list, filters open"] = own_findings(page)

        page.goto(live_server.url + "/meldingen/nieuw")
        found["new"] = own_findings(page)
        page.get_by_role("button", name="Melding opslaan en groepen zoeken").click()  # nothing filled in
        page.wait_for_load_state()
        assert page.locator(".error-summary").is_visible()
        assert page.locator("[role=alert]").count() == 1  # one announcement, not one per field
        found["new, with errors"] = own_findings(page)

        page.goto(f"{live_server.url}/meldingen/{melding.id}")
        page.locator(".melding-head summary").click()  # the received text with its long link
        found["detail"] = own_findings(page)
        page.get_by_role("button", name=f"Doorgestuurd naar {groups[0].name}").click()
        page.wait_for_load_state()
        found["detail, forwarded (undo shown)"] = own_findings(page)
        page.get_by_role("button", name="Melding afsluiten").click()  # no result chosen
        page.wait_for_load_state()
        assert page.locator("#afmelding .error-summary").is_visible()
        assert page.locator("[role=alert]").count() == 1
        found["detail, close form with errors"] = own_findings(page)
    finally:
        context.close()
    assert {state: f for state, f in found.items() if f} == {}
    # the refused forms themselves are 422s; axe-core, injected into the map document by the audit,
    # fetches the stylesheets there, which the map's CSP (connect-src 'none') blocks: the tool, not the page
    blocked_axe = ("connect-src", " csp")
    assert [e for e in page.errors if "422" not in e and not any(b in e for b in blocked_axe)] == []
