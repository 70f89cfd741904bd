"""The console and the coverage map in headless Chromium."""

import pytest

from buurt.models import ResidentStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _log_in(page, live_server, user):
    page.goto(live_server.url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/beheer/")


def test_queue_click_added_moves_resident_to_members(live_server, page, beheerder, group_a, make_resident):
    resident = make_resident(group_a, name="Fictieve Klikker", phone_e164="+31612340000")
    _log_in(page, live_server, beheerder)
    page.goto(f"{live_server.url}/beheer/groep/{group_a.id}")
    row = page.locator(f'[data-list="pending"] [data-resident="{resident.id}"]')
    # issue 15: the link carries a welcome text now (it was a bare https://wa.me/31612340000)
    assert row.locator("a.wa").get_attribute("href").startswith("https://wa.me/31612340000?text=Hallo")
    row.locator('button[data-action="toegevoegd"]').click()
    page.locator("#ongedaan-maken").wait_for()
    assert page.locator(f'[data-list="pending"] [data-resident="{resident.id}"]').count() == 0
    assert page.locator(f'table[data-list="members"] [data-resident="{resident.id}"]').count() == 1
    assert "Genoteerd als lid" in page.locator(".flash.info").inner_text()
    assert page.locator('#ongedaan-maken [data-action="ongedaan-maken"]').is_visible()  # issue 15: the undo
    assert page.errors == []


def test_coverage_map_draws_areas_legend_and_table(live_server, page, beheerder, group_a, make_resident):
    for i in range(6):
        make_resident(group_a, status=ResidentStatus.ADDED, lat=52.2125 + i * 1e-6, lon=4.4190, street="Fictieweg")
    make_resident(group_a, status=ResidentStatus.PENDING, lat=52.2126, lon=4.4191, street="Fictieweg")
    _log_in(page, live_server, beheerder)
    page.goto(live_server.url + "/beheer/dekking")
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    assert frame.locator("path.leaflet-interactive").count() >= 5 + 1 + 1  # areas, a density cell, a sign-up
    assert "Leden per vak" in frame.locator(".map-legend").inner_text()
    assert page.locator("table.coverage-table tbody tr").count() == 5
    assert "Fictieweg" in page.locator("table.density-table").inner_text()
    assert page.errors == []


def test_console_is_usable_on_a_phone(live_server, phone_page, beheerder, group_a, make_resident):
    make_resident(group_a)
    _log_in(phone_page, live_server, beheerder)
    phone_page.goto(f"{live_server.url}/beheer/groep/{group_a.id}")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"console scrolls sideways on a phone ({width}px)"
    assert phone_page.errors == []
