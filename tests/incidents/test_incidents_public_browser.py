"""The public incident picture on a phone, in headless Chromium: cells on the map, the same counts in text."""

import pytest

from tests.incidents.test_incidents_public import SECRET_POINTS

pytestmark = pytest.mark.browser


def test_public_picture_shows_cells_and_a_text_equivalent(live_server, phone_page, make_incident, make_address):
    lat, lon = SECRET_POINTS[0]
    for n in range(6):  # enough register addresses in the cell for it to be published
        make_address(postcode="2221ZQ", number=n + 1, lat=lat + n * 0.00005, lon=lon)
    for _ in range(3):
        make_incident(lat=lat, lon=lon, hours_ago=72)
    phone_page.goto(live_server.url + "/incidenten/openbaar")
    frame = phone_page.frame_locator("iframe")
    frame.locator(".leaflet-container").wait_for()
    frame.locator("path.leaflet-interactive").first.wait_for()
    body = phone_page.locator("main").inner_text()
    assert "3" in body  # the same count in the text tables
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    html = phone_page.content() + "".join(f.content() for f in phone_page.frames[1:])
    assert f"{lat:.6f}" not in html
    assert f"{lon:.6f}" not in html
    assert phone_page.errors == []
