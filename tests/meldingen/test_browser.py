"""Meldingen in headless Chromium: enter a melding, see the routed groups on the page and map, copy a text."""

import re

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

POLICE = (
    "Politiebericht: i.v.m. een woninginbraak in de omgeving van de Fictieweg te Katwijk graag uitkijken naar "
    "een man, ca. 1.85 m, donkere jas, op een zwarte scooter. Informatie? Bel 112."
)


def log_in(page, live_server, user):
    page.goto(live_server.url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/inloggen" not in page.url


def test_enter_route_and_copy(live_server, page, make_user, make_address):
    make_address("2221ZA", 1, 52.213456, 4.424538, street="Fictieweg")  # in Rijnsoever-Noord
    coordinator = make_user("coordinator")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, coordinator)

    page.goto(live_server.url + "/meldingen/nieuw")
    page.locator("#melding-picker.leaflet-container").wait_for()  # the picker map initialised
    page.fill("textarea[name=received_text]", POLICE)
    suggestion = page.get_by_role("button", name="Gebruik Fictieweg, Katwijk als locatie")
    suggestion.click()  # fills the field, does not submit
    assert page.input_value("input[name=location]") == "Fictieweg, Katwijk"
    assert "/meldingen/nieuw" in page.url
    page.select_option("select[name=category]", "woninginbraak")
    page.fill("input[name=radius_m]", "100")
    page.get_by_role("button", name="Melding opslaan en groepen zoeken").click()
    page.wait_for_url(re.compile(r"/meldingen/\d+$"))

    targets = page.locator("#doelgroepen li")
    assert targets.first.inner_text().startswith("BuurtAlarm Rijnsoever-Noord — in het gebied")
    assert targets.count() == 3
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    # 3 target areas + 2 neighbours + the radius circle
    frame.locator("path.leaflet-interactive").nth(5).wait_for()
    assert frame.locator("path.leaflet-interactive").count() == 6

    page.get_by_role("button", name="Kopieer tekst voor BuurtAlarm Rijnsoever-Noord").click()
    status = page.locator(
        "#tekst-{}-status".format(page.locator("#doelgroepen li").first.get_attribute("data-group-id"))
    )
    status.wait_for()
    page.wait_for_function("el => el.textContent === 'Gekopieerd'", arg=status.element_handle())
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("*Politiebericht* 🚨\n*Woninginbraak*\n📍 Omgeving Fictieweg, Katwijk")
    assert "Ziet u iets verdachts? Bel eerst 112, meld het daarna in de groep." in copied
    assert "openstreetmap.org/?mlat=52.21346&mlon=4.42454" in copied

    page.get_by_role("button", name="Doorgestuurd naar BuurtAlarm Rijnsoever-Noord").click()
    page.wait_for_load_state()
    assert "Gemarkeerd: doorgestuurd naar BuurtAlarm Rijnsoever-Noord." in page.content()
    assert page.errors == []


def test_pick_a_point_on_the_map(live_server, page, make_user):
    coordinator = make_user("coordinator")
    log_in(page, live_server, coordinator)
    page.goto(live_server.url + "/meldingen/nieuw")
    picker = page.locator("#melding-picker.leaflet-container")
    picker.wait_for()
    page.fill("textarea[name=received_text]", "Politiebericht: vermissing van een fictief kind. Bel 112.")
    page.select_option("select[name=category]", "vermissing")
    picker.click()  # the centre of the map: the middle of Rijnsoever
    assert page.input_value("input[name=lat]") != ""
    assert "Punt gekozen op de kaart" in page.locator("#picker-status").inner_text()
    page.get_by_role("button", name="Melding opslaan en groepen zoeken").click()
    page.wait_for_url(re.compile(r"/meldingen/\d+$"))
    assert page.locator("#doelgroepen li").count() >= 1
    assert page.errors == []


def test_a_typed_location_replaces_the_point_and_a_point_the_typed_location(live_server, page, make_user):
    coordinator = make_user("coordinator")
    log_in(page, live_server, coordinator)
    page.goto(live_server.url + "/meldingen/nieuw")
    picker = page.locator("#melding-picker.leaflet-container")
    picker.wait_for()
    page.fill("input[name=location]", "Fictieweg, Katwijk")
    picker.click()  # a point on the map empties the typed location
    assert page.input_value("input[name=location]") == ""
    assert page.input_value("input[name=lat]") != ""
    assert picker.locator(".leaflet-marker-icon").count() == 1
    assert re.search(r"Punt gekozen op de kaart: \d+\.\d{5}, \d+\.\d{5}", page.locator("#picker-status").inner_text())
    page.fill("input[name=location]", "Fictieweg 1, Katwijk")  # typing removes the point again
    assert page.input_value("input[name=lat]") == ""
    assert page.input_value("input[name=lon]") == ""
    assert picker.locator(".leaflet-marker-icon").count() == 0
    assert page.locator("#picker-status").inner_text() == ""
    assert page.errors == []


def test_a_point_survives_a_form_error(live_server, page, make_user):
    coordinator = make_user("coordinator")
    log_in(page, live_server, coordinator)
    page.goto(live_server.url + "/meldingen/nieuw")
    picker = page.locator("#melding-picker.leaflet-container")
    picker.wait_for()
    picker.click()
    lat = page.input_value("input[name=lat]")
    page.get_by_role("button", name="Melding opslaan en groepen zoeken").click()  # no text: the form comes back
    page.wait_for_load_state()
    page.locator("#melding-picker.leaflet-container").wait_for()
    assert page.input_value("input[name=lat]") == lat
    assert page.locator("#melding-picker .leaflet-marker-icon").count() == 1
    assert "Punt gekozen op de kaart" in page.locator("#picker-status").inner_text()
    assert [e for e in page.errors if "422" not in e] == []  # the refused form itself is a 422
