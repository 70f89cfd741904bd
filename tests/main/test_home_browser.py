"""The home page in headless Chromium: the coverage map really initialises."""

import pytest

pytestmark = pytest.mark.browser


def test_home_map_draws_five_areas(live_server, page):
    page.goto(live_server.url + "/")
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    assert frame.locator("path.leaflet-interactive").count() == 5
    assert "CBS / Kadaster" in frame.locator(".leaflet-control-attribution").inner_text()
    assert page.locator("table tbody tr").count() == 5
    assert page.errors == []


def test_home_is_usable_on_a_phone(live_server, phone_page):
    phone_page.goto(live_server.url + "/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    phone_page.get_by_role("link", name="Bij welke groep hoor ik?").click()
    assert phone_page.url.endswith("/welke-groep")
    assert phone_page.errors == []
