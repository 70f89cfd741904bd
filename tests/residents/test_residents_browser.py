"""Residents' pages in headless Chromium: the lookup answer with its map, and sign-ups on a phone."""

import pytest

from buurt.models import ResidentStatus
from tests.residents.conftest import residents

pytestmark = pytest.mark.browser


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"


def test_lookup_gives_text_then_a_map_with_the_area_highlighted(live_server, page, addresses):
    page.goto(live_server.url + "/welke-groep")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill("2")
    page.get_by_role("button", name="Zoek mijn groep").click()
    answer = page.locator("#antwoord")
    answer.wait_for()
    assert "Uw adres valt onder BuurtAlarm Rijnsoever-Midden Noord" in answer.inner_text()
    assert "Er is plek in de groep." in answer.inner_text()

    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    assert frame.locator("path.leaflet-interactive").count() == 5
    assert frame.locator('path.leaflet-interactive[stroke-width="4"]').count() == 1
    frame.locator(".leaflet-marker-pane .awesome-marker").first.wait_for()
    assert frame.locator(".leaflet-marker-pane .awesome-marker").count() == 1
    assert "CBS / Kadaster" in frame.locator(".leaflet-control-attribution").inner_text()

    assert page.locator("#antwoord").get_by_role("button", name="Aanmelden voor BuurtAlarm Rijnsoever-Midden Noord")
    page.get_by_role("button", name="Liever het hele formulier").click()  # the full form, filled in
    assert page.get_by_label("Postcode").input_value() == "2221XA"
    assert page.get_by_label("Huisnummer").input_value() == "2"
    assert page.errors == []


def test_outside_answer_offers_no_signup(live_server, page, addresses):
    page.goto(live_server.url + "/welke-groep")
    page.get_by_label("Postcode").fill("2221XB")
    page.get_by_label("Huisnummer").fill("1")
    page.get_by_role("button", name="Zoek mijn groep").click()
    assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in page.locator("#antwoord").inner_text()
    assert page.get_by_role("button", name="Aanmelden voor", exact=False).count() == 0
    assert page.errors == []


def fill_signup(page, house_number="1"):
    page.get_by_label("Naam").fill("Fictief Telefoon")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill(house_number)
    page.get_by_label("Mobiel nummer voor WhatsApp").fill("06 12345678")
    page.get_by_label("Hoeveel mensen").fill("2")
    page.get_by_label("privacyverklaring gelezen").check()
    page.get_by_label("groepsregels").check()
    page.get_by_label("jaar of ouder").check()


def test_complete_signup_on_a_phone(live_server, phone_page, addresses):
    page = phone_page
    page.goto(live_server.url + "/aanmelden")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Aanmelden").click()  # empty: errors next to the fields
    assert page.locator("#name-error").inner_text().startswith("Vul uw naam in")
    no_sideways_scroll(page)
    fill_signup(page)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/aanmelden/ontvangen")
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-West" in page.locator("#antwoord").inner_text()
    no_sideways_scroll(page)
    [r] = residents()
    assert r.status == ResidentStatus.PENDING
    assert r.phone_e164 == "+31612345678"
    assert page.errors == []


def test_pick_the_house_on_the_map_on_a_phone(live_server, phone_page, addresses):
    page = phone_page
    page.goto(live_server.url + "/aanmelden")
    fill_signup(page, house_number="99")
    page.get_by_role("button", name="Aanmelden").click()
    assert "We kunnen dit adres niet vinden" in page.locator("#house_number-error").inner_text()
    page.locator("#pick-map.leaflet-container").wait_for()
    page.locator("#pick-map path").first.wait_for()  # area outlines from /api/v1/areas
    no_sideways_scroll(page)
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    assert page.locator("#pick_lat").input_value() != ""
    assert "Klopt dat?" in page.locator("#pick-status").inner_text()
    page.get_by_label("Ja, dit is de plek van mijn huis.").check()  # issue 15: a tap alone is not taken
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.wait_for_url("**/aanmelden/ontvangen")
    [r] = residents()
    assert r.location_from_map
    assert r.needs_review
    assert r.geocoder_source == "map"
    assert page.errors == []
