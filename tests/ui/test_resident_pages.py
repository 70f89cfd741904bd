"""The residents' pages in Chromium (issue 15): every page and its error states pass the page audit
(no sideways scrolling, 44 px buttons, no axe-core violation in any frame) at 360x740 and 1366x768;
the error summary takes focus and links to its fields; a tap on the sign-up map is only taken after
"ja, dit is de plek van mijn huis"."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from buurt.areas.services import place
from buurt.models import ResidentStatus
from buurt.residents.links import my_data_link
from tests.browser_support.fixtures import _new_page
from tests.residents.conftest import INSIDE, residents
from tests.ui.audit import audit

pytestmark = pytest.mark.browser

SIZES = {"phone": (360, 740), "desktop": (1366, 768)}
#: findings inside a map document (the lookup answer's srcdoc map, the home page's coverage map)
MAP_FRAME = ("[axe] frame about:srcdoc", "[axe] frame http")


@pytest.fixture
def register(make_address, groups):
    """2221 XA 1..5, one fictional address in each area (Fictieweg1..5)."""
    for n, (lat, lon) in enumerate(INSIDE.values(), start=1):
        make_address(postcode="2221XA", number=n, lat=lat, lon=lon, street=f"Fictieweg{n}")


@pytest.fixture(params=list(SIZES))
def sized_page(request, browser):
    width, height = SIZES[request.param]
    phone = width < 500
    context, page = _new_page(
        browser, viewport={"width": width, "height": height}, locale="nl-NL", is_mobile=phone, has_touch=phone
    )
    page.set_default_timeout(30_000)  # a page with a map and axe in every frame, on a busy machine
    yield page
    context.close()


def settled(page) -> None:
    """Wait for the page and its frames (map iframes) to load."""
    page.wait_for_load_state("load")
    for frame in page.frames:
        frame.wait_for_load_state("load")


def check(page, state: str, found: dict) -> None:
    settled(page)
    # Inside the map documents (iframes) the map builders' own tests hold the audit (helper E's
    # tests/ui/test_map_*.py); here: the page itself, and the frames' findings only if not a map's.
    findings = [str(f) for f in audit(page) if not str(f).startswith(MAP_FRAME)]
    if findings:
        found[state] = findings


def axe_reading_css(error: str) -> bool:
    """axe-core fetches each frame's stylesheets (XHR) to read them; a map document's CSP
    (connect-src 'none') and its sandbox (origin null: CORS) refuse that. The audit's own doing."""
    if error == "console: Failed to load resource: net::ERR_FAILED":  # the same refusals, without a URL
        return True
    return ".css" in error and any(mark in error for mark in ("connect-src", "CORS", " csp", "ERR_FAILED"))


def lookup(page, base, postcode, number):
    page.goto(base + "/welke-groep")
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("Huisnummer").fill(number)
    page.get_by_role("button", name="Zoek mijn groep").click()
    page.locator("#antwoord").wait_for()


def test_every_resident_page_and_error_state_passes_the_audit(app, live_server, sized_page, register):
    page, base, found = sized_page, live_server.url, {}
    for path in ("/", "/welke-groep", "/welke-groep/straten", "/aanmelden", "/mijn-gegevens", "/regels"):
        page.goto(base + path)
        check(page, path, found)

    page.goto(base + "/welke-groep")
    page.get_by_role("button", name="Zoek mijn groep").click()
    page.locator("[data-error-summary]").wait_for()
    check(page, "lookup: error", found)
    lookup(page, base, "2221 XA", "1")
    page.frame_locator("iframe.map-frame").locator(".leaflet-container").wait_for()
    check(page, "lookup: found", found)
    lookup(page, base, "2221 XA", "99")
    check(page, "lookup: unknown", found)

    page.goto(base + "/aanmelden")
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.locator("[data-error-summary]").wait_for()
    check(page, "sign-up: errors", found)
    page.get_by_label("Naam").fill("Fictief Audit")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill("99")
    page.get_by_label("Mobiel nummer voor WhatsApp").fill("06 12345678")
    page.get_by_label("privacyverklaring gelezen").check()
    page.get_by_label("groepsregels").check()
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.locator("#pick-map path").first.wait_for()
    check(page, "sign-up: the map", found)
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    page.locator("#pick-bevestigen").wait_for()
    check(page, "sign-up: a point, asking", found)
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.locator("#pick_confirmed-error").wait_for()
    check(page, "sign-up: point not confirmed", found)
    page.get_by_label("Ja, dit is de plek van mijn huis.").check()
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.wait_for_url("**/aanmelden/ontvangen")
    check(page, "sign-up: received", found)

    page.goto(base + "/mijn-gegevens")
    page.get_by_role("button", name="Stuur mij een link").click()
    page.locator("[data-error-summary]").wait_for()
    check(page, "Mijn gegevens: request error", found)
    [resident] = residents()
    with app.test_request_context():
        link = urlsplit(my_data_link(resident))
    page.goto(f"{base}{link.path}#{link.fragment}")
    page.get_by_role("heading", name="Gegevens verbeteren").wait_for()
    check(page, "Mijn gegevens", found)
    page.get_by_label("Naam").fill("")
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    page.locator("[data-error-summary]").wait_for()
    check(page, "Mijn gegevens: correct error", found)
    assert found == {}, "\n".join(f"{state}:\n  " + "\n  ".join(f) for state, f in found.items())
    # the Mijn gegevens forms answer a refused post with 400 (and the page): Chromium logs that status
    refused = "console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    left = [e for e in page.errors if not axe_reading_css(e) and e != refused]
    assert left == [], "\n".join(left)


def test_the_error_summary_takes_focus_and_links_to_each_field(live_server, phone_page, register):
    page = phone_page
    page.goto(live_server.url + "/aanmelden")
    page.get_by_label("Postcode").fill("2221 XA")  # typed values stay
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    assert summary.get_attribute("role") == "alert"
    assert page.locator("[role=alert]").count() == 1  # one announcement, not one per field
    summary.get_by_role("link", name="Vul uw naam in").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'name'")
    assert page.locator("#name-hint").is_visible()  # the hint stays with the error
    assert page.locator("#name").get_attribute("aria-describedby") == "name-hint name-error"
    assert page.get_by_label("Postcode").input_value() == "2221 XA"
    assert page.errors == []


def test_a_tap_on_the_map_is_only_taken_after_yes(live_server, phone_page, register):
    page = phone_page
    page.goto(live_server.url + "/aanmelden")
    page.get_by_label("Naam").fill("Fictief Kaart")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill("99")
    page.get_by_label("Mobiel nummer voor WhatsApp").fill("06 12345678")
    page.get_by_label("E-mailadres").fill("kaart@example.org")
    page.get_by_label("privacyverklaring gelezen").check()
    page.get_by_label("groepsregels").check()
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.locator("#pick-map path").first.wait_for()
    page.get_by_label("Zoek uw straat").fill("Fictieweg1")
    page.get_by_role("button", name="Toon op de kaart").click()
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    assert "Klopt dat?" in page.locator("#pick-status").inner_text()

    page.get_by_role("button", name="Aanmelden", exact=True).click()  # without the tick: refused
    page.locator("#pick_confirmed-error").wait_for()
    summary = page.locator("[data-error-summary]").inner_text()
    assert "U koos een plek in gebied" in summary
    assert "Klopt dat?" in summary
    assert residents() == []
    assert page.get_by_label("Naam").input_value() == "Fictief Kaart"  # nothing typed is lost
    assert page.get_by_label("E-mailadres").input_value() == "kaart@example.org"
    assert page.get_by_label("privacyverklaring gelezen").is_checked()
    assert page.locator("#pick_lat").input_value() != ""

    page.get_by_label("Ja, dit is de plek van mijn huis.").check()
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.wait_for_url("**/aanmelden/ontvangen")
    [resident] = residents()
    assert resident.location_from_map
    assert resident.group_id == place(*INSIDE["rijnsoever-west"]).area.group_id
    assert resident.status in (ResidentStatus.UNCONFIRMED, ResidentStatus.PENDING)
    assert page.errors == []
