"""The resident persona (issue 15): a 70-year-old on a phone goes from the home page to "signed up".

A small fictional register (one address per area, as tests/residents/conftest.py), the phone_page
fixture (390x844, touch) and tests/ui/taps.py count every tap and every field touched.
"""

from __future__ import annotations

import pytest

from buurt.areas.services import place
from buurt.models import ResidentStatus
from tests.browser_support.fixtures import frames_late
from tests.residents.conftest import INSIDE, residents
from tests.ui.taps import Taps

pytestmark = pytest.mark.browser

#: issue 15, "Done when": resident home -> signed up in at most this many taps (it was 11)
MAX_TAPS = 9


@pytest.fixture
def register(make_address, groups):
    """2221 XA 1..5, one fictional address in each area (Fictieweg1..5)."""
    for n, (lat, lon) in enumerate(INSIDE.values(), start=1):
        make_address(postcode="2221XA", number=n, lat=lat, lon=lon, street=f"Fictieweg{n}")


def in_view_and_focused(page, selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const r = el.getBoundingClientRect();
          return {top: r.top, height: window.innerHeight, focused: document.activeElement === el};
        }""",
        selector,
    )


def test_home_to_signed_up_in_at_most_nine_taps(live_server, phone_page, register):
    page = phone_page
    taps = Taps(page, touch=True)
    page.goto(live_server.url + "/")
    taps.tap(page.get_by_role("link", name="Bij welke groep hoor ik?").first, "home: Bij welke groep hoor ik?")
    taps.type(page.get_by_label("Postcode"), "2221 XA")
    taps.type(page.get_by_label("Huisnummer"), "2")
    taps.tap(page.get_by_role("button", name="Zoek mijn groep"), "Zoek mijn groep")

    # the answer is what the phone shows, and it has the focus (read out by a screen reader)
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'antwoord'")
    where = in_view_and_focused(page, "#antwoord")
    assert where["focused"]
    assert -1 <= where["top"] < where["height"] / 2, where  # at the top of the screen (before: y=972)
    answer = page.locator("#antwoord")
    assert "Uw adres valt onder BuurtAlarm Rijnsoever-Midden Noord" in answer.inner_text()

    taps.type(answer.get_by_label("Naam"), "Fictieve Oudere")
    taps.type(answer.get_by_label("Mobiel nummer voor WhatsApp"), "06 12345678")
    taps.tap(answer.get_by_label("privacyverklaring gelezen"), "tick privacy")
    taps.tap(answer.get_by_label("groepsregels"), "tick rules and age")
    taps.tap(answer.get_by_role("button", name="Aanmelden voor BuurtAlarm Rijnsoever-Midden Noord"), "Aanmelden")

    page.wait_for_url("**/aanmelden/ontvangen")
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-Midden Noord" in page.locator("#antwoord").inner_text()
    assert taps.count <= MAX_TAPS, str(taps)
    [resident] = residents()
    assert resident.status == ResidentStatus.PENDING
    assert (resident.postcode, resident.house_number, resident.household_size) == ("2221XA", 2, 1)
    assert page.errors == []


def test_the_unknown_address_leads_to_the_map_with_a_street_search(live_server, phone_page, register):
    """No dead end: "we kennen dit adres niet" -> the sign-up form with the map; the street search
    zooms in on the street; a tap asks "gebied X (groep Y), klopt dat?" and the tick is needed."""
    page = phone_page
    page.goto(live_server.url + "/welke-groep")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill("99")
    page.get_by_role("button", name="Zoek mijn groep").click()
    assert "Dit adres kennen we niet" in page.locator("#antwoord").inner_text()
    page.get_by_role("button", name="Aanmelden en mijn huis aanwijzen op de kaart").click()
    page.locator("#pick-map.leaflet-container").wait_for()
    page.locator("#pick-map path").first.wait_for()  # the outlines
    zoom_before = page.evaluate("document.querySelector('#pick-map').dataset.zoom")
    assert zoom_before == "15"  # the postcode's middle at the public zoom, not the whole neighbourhood

    search = page.get_by_label("Zoek uw straat")
    search.fill("fictieweg3")
    search.press("Enter")  # searches; does not send the form
    page.wait_for_function("() => document.querySelector('#pick-street-status').textContent.includes('Fictieweg3')")
    assert page.url.endswith("/aanmelden")

    assert page.locator("#pick-bevestigen").is_hidden()
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    area = place(*INSIDE["rijnsoever-midden-zuid"]).area  # the map's middle after the search
    expected = f"U koos een plek in gebied {area.name} (groep {area.group_name}). Klopt dat?"
    assert page.locator("#pick-status").inner_text() == expected
    assert page.locator("#pick-bevestigen").is_visible()
    assert not page.locator("#pick_confirmed").is_checked()
    assert page.errors == []


def test_the_middle_right_after_a_street_search_is_the_street(live_server, phone_page, register):
    """A quick tap on "Mijn huis staat in het midden" right after the street search, on a slow
    phone: the map used to zoom to the street in an animation that starts on the next frame, and the
    tap took the middle from before the search (point-picker.js now moves the map at once)."""
    page = phone_page
    frames_late(page)
    page.goto(live_server.url + "/welke-groep")
    page.get_by_label("Postcode").fill("2221 XA")
    page.get_by_label("Huisnummer").fill("99")
    page.get_by_role("button", name="Zoek mijn groep").click()
    page.get_by_role("button", name="Aanmelden en mijn huis aanwijzen op de kaart").click()
    page.locator("#pick-map path").first.wait_for()
    search = page.get_by_label("Zoek uw straat")
    search.fill("fictieweg3")
    search.press("Enter")
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    lat, lon = INSIDE["rijnsoever-midden-zuid"]  # Fictieweg3's only house: the street's middle
    assert float(page.input_value("#pick_lat")) == pytest.approx(lat, abs=0.00002)  # about 2 m
    assert float(page.input_value("#pick_lon")) == pytest.approx(lon, abs=0.00003)
    area = place(lat, lon).area
    assert page.locator("#pick-status").inner_text() == (
        f"U koos een plek in gebied {area.name} (groep {area.group_name}). Klopt dat?"
    )
    assert page.errors == []
