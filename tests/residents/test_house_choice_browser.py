"""Choosing the address at a number with several (issue 14, point 2) in headless Chromium on a phone
(390x844, touch): the lookup page shows street and place and a button per toevoeging, a tap gives
the group of that exact address; a long list is one select; nothing scrolls sideways and every
choice is a touch target of at least 44 px. The sign-up form offers the same choice.

Fictional register: tests.house_choice_support (Proefstraat 7-1, 7-2, 7-3A; 20-1 ... 20-n).
"""

import pytest

from buurt.models import ResidentStatus
from tests.house_choice_support import make_proefstraat
from tests.residents.conftest import residents
from tests.ui.audit import settled

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
WAIT_MS = 30_000  # generous: Chromium and the live server start slowly on a loaded machine


@pytest.fixture
def phone(phone_page):
    phone_page.set_default_timeout(WAIT_MS)
    return phone_page


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"page scrolls sideways on a phone ({width}px)"


def heights(locator) -> list[float]:
    return [box["height"] for box in (element.bounding_box() for element in locator.all())]


def look_up(page, url, postcode, number):
    page.goto(url + "/welke-groep")
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("Huisnummer").fill(number)
    page.get_by_role("button", name="Zoek mijn groep").tap()
    return answer_of(page)


def answer_of(page):
    """The answer, once the page and its stylesheets have loaded: sizes measured before the CSS
    arrives would be those of unstyled buttons."""
    answer = page.locator("#antwoord")
    answer.wait_for()
    settled(page)
    return answer


def test_lookup_offers_the_toevoegingen_and_a_tap_gives_the_group(live_server, phone, make_address, group_by_key):
    make_proefstraat(make_address, flats=12)  # 12 at number 20: still buttons, in a wrapped grid
    answer = look_up(phone, live_server.url, "2221 CM", "7")
    text = answer.inner_text()
    assert "Op Proefstraat 7, Katwijk zijn meer adressen. Kies het uwe:" in text
    buttons = answer.get_by_role("button")
    assert buttons.all_inner_texts() == ["7-1", "7-2", "7-3a"]
    assert min(heights(buttons)) >= 44
    no_sideways_scroll(phone)
    # nothing of the address in the URL (since issue 15 the form lands on its answer: #antwoord)
    assert phone.url.removeprefix(live_server.url) == "/welke-groep#antwoord"

    answer.get_by_role("button", name="7-2", exact=True).tap()
    phone.get_by_text("Proefstraat 7-2, 2221 CM Katwijk").wait_for()
    west = group_by_key["rijnsoever-west"].name
    assert f"Uw adres valt onder {west}" in phone.locator("#antwoord").inner_text()

    answer = look_up(phone, live_server.url, "2221CM", "20")
    buttons = answer.get_by_role("button")
    assert buttons.count() == 12
    assert min(heights(buttons)) >= 44
    boxes = [b.bounding_box() for b in buttons.all()]
    assert max(box["x"] + box["width"] for box in boxes) <= PHONE_WIDTH
    assert len({round(box["y"]) for box in boxes}) > 1  # wrapped onto several rows
    no_sideways_scroll(phone)
    assert phone.errors == []


def test_a_block_of_flats_is_one_list_on_a_phone(live_server, phone, make_address, group_by_key):
    make_proefstraat(make_address, flats=250)
    answer = look_up(phone, live_server.url, "2221CM", "20")
    select = answer.get_by_label("Huisnummer met toevoeging")
    assert select.locator("option").count() == 250
    assert select.bounding_box()["height"] >= 44
    no_sideways_scroll(phone)
    select.select_option("20-137")
    answer.get_by_role("button", name="Zoek dit adres").tap()
    phone.get_by_text("Proefstraat 20-137, 2221 CM Katwijk").wait_for()
    assert "Uw adres valt onder" in phone.locator("#antwoord").inner_text()
    assert phone.errors == []


def test_signup_offers_the_toevoegingen_and_keeps_what_was_typed(live_server, phone, make_address, groups):
    make_proefstraat(make_address)
    phone.goto(live_server.url + "/aanmelden")
    phone.get_by_label("Naam").fill("Fictief Flatbewoner")
    phone.get_by_label("Postcode").fill("2221 CM")
    phone.get_by_label("Huisnummer").fill("7")
    phone.get_by_label("Mobiel nummer voor WhatsApp").fill("06 12345678")
    phone.get_by_label("privacyverklaring gelezen").check()
    phone.get_by_label("groepsregels").check()
    phone.get_by_label("jaar of ouder").check()
    phone.get_by_role("button", name="Aanmelden").tap()
    choice = phone.locator("#toevoeging-keuze")
    choice.wait_for()
    phone.wait_for_load_state("load")
    assert "Op Proefstraat 7, Katwijk zijn meer adressen" in choice.inner_text()
    assert residents() == []
    assert phone.get_by_label("Naam").input_value() == "Fictief Flatbewoner"
    assert phone.get_by_label("privacyverklaring gelezen").is_checked()
    labels = choice.locator("label")
    assert labels.all_inner_texts() == ["7-1", "7-2", "7-3a"]
    assert min(heights(labels)) >= 44
    no_sideways_scroll(phone)
    choice.get_by_label("7-3a").tap()
    phone.get_by_role("button", name="Aanmelden").tap()
    phone.wait_for_url("**/aanmelden/ontvangen")
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (7, "", "3A")
    assert resident.status == ResidentStatus.PENDING
    assert phone.errors == []


def test_signup_script_shows_street_and_toevoegingen_before_sending(live_server, phone, make_address, groups):
    """The progressive enhancement (static/js/address-check.js): after postcode and huisnummer the
    street and place show, and a tap on a toevoeging fills in the Toevoeging field."""
    make_proefstraat(make_address)
    phone.goto(live_server.url + "/aanmelden")
    phone.wait_for_load_state("load")
    phone.get_by_label("Naam").fill("Fictief Flatbewoner")
    phone.get_by_label("Postcode").fill("2221 CM")
    phone.get_by_label("Huisnummer").fill("7")
    phone.get_by_label("Huisnummer").press("Tab")  # a change event, as leaving the field does
    check = phone.locator("#adres-controle")
    check.get_by_role("button", name="7-2", exact=True).wait_for()
    assert "Op Proefstraat 7, Katwijk zijn meer adressen. Kies het uwe:" in check.inner_text()
    assert check.get_by_role("button").all_inner_texts() == ["7-1", "7-2", "7-3a"]
    assert min(heights(check.get_by_role("button"))) >= 44
    no_sideways_scroll(phone)
    check.get_by_role("button", name="7-2", exact=True).tap()
    phone.get_by_text("Gevonden: Proefstraat 7-2, 2221 CM Katwijk").wait_for()
    assert phone.get_by_label("Toevoeging (niet verplicht)").input_value() == "2"
    assert phone.get_by_label("Huisnummer").input_value() == "7"

    phone.get_by_label("Mobiel nummer voor WhatsApp").fill("06 12345678")
    phone.get_by_label("privacyverklaring gelezen").check()
    phone.get_by_label("groepsregels").check()
    phone.get_by_label("jaar of ouder").check()
    phone.get_by_role("button", name="Aanmelden", exact=True).tap()
    phone.wait_for_url("**/aanmelden/ontvangen")
    [resident] = residents()
    assert (resident.house_number, resident.house_addition) == (7, "2")
    assert phone.errors == []
