"""Incidents in headless Chromium: a resident reports by clicking the map; the wijkagent filters the map."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.models import Incident, IncidentCategory, utcnow
from tests.conftest import PASSWORD
from tests.incidents.conftest import INSIDE

pytestmark = pytest.mark.browser


def test_resident_reports_by_clicking_the_map(live_server, phone_page, resident_link):
    page = phone_page
    page.goto(live_server.url + resident_link)  # link-token.js posts the token and opens the form
    page.locator("#meldformulier").wait_for()
    page.select_option("#category", "verdacht_voertuig")
    page.fill("#description", "Auto reed drie keer langzaam door de fictieve straat.")
    page.get_by_text("Voertuig beschrijven").click()
    page.fill("#vehicle_colour", "Grijs")
    page.fill("#vehicle_plate", "XX-99")
    page.locator("#report-map .leaflet-tile-container").first.wait_for(state="attached")
    box = page.locator("#report-map").bounding_box()
    centre = page.get_attribute("#report-map", "data-center")
    page.locator("#report-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    assert page.locator("#report-map .leaflet-marker-icon").count() == 1
    assert page.input_value("#lat")
    assert page.input_value("#lon")
    assert "Plek gekozen" in page.locator("#report-status").inner_text()
    page.get_by_label("Ja").check()
    page.get_by_role("button", name="Incident versturen").click()
    page.get_by_role("heading", name="Bedankt voor uw melding").wait_for()
    assert "#" not in page.url  # the token left the address bar; it was never in a URL sent
    incident = db.session.scalar(db.select(Incident))
    assert incident.category == IncidentCategory.VERDACHT_VOERTUIG
    assert incident.area_id is not None
    assert incident.police_called
    centre_lat, centre_lon = (float(v) for v in centre.split(","))  # the middle of the resident's neighbourhood
    assert abs(incident.lat - centre_lat) < 0.001
    assert abs(incident.lon - centre_lon) < 0.001
    assert incident.details == {"vehicle": {"colour": "Grijs", "plate": "XX-99"}}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.errors == []


def test_report_errors_keep_what_was_typed(live_server, page, resident_link):
    page.goto(live_server.url + resident_link)
    page.locator("#meldformulier").wait_for()
    page.fill("#description", "Iets fictiefs gezien")
    page.get_by_role("button", name="Incident versturen").click()  # no place chosen
    assert "vul een adres in of klik op de kaart" in page.locator(".error-summary").inner_text()
    assert page.input_value("#description") == "Iets fictiefs gezien"
    assert page.errors == []


@pytest.fixture
def many_incidents(app):
    rng = random.Random(5)
    now = utcnow()
    points = list(INSIDE.values())
    rows = []
    for k in range(300):
        lat, lon = points[k % len(points)]
        rows.append(
            Incident(
                category=list(IncidentCategory)[k % 10],
                occurred_at=now - timedelta(hours=rng.uniform(1, 24 * 80)),
                lat=lat + rng.uniform(-0.0008, 0.0008),
                lon=lon + rng.uniform(-0.0008, 0.0008),
                description="Fictief",
                group_id=None,
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_wijkagent_filters_the_incident_map(live_server, page, make_user, many_incidents):
    user = make_user("wijkagent")
    page.goto(live_server.url + "/inloggen")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state("load")  # let the landing page finish (its map too) before moving on
    page.goto(live_server.url + "/incidenten/?periode=3m")
    frame = page.frame_locator("#incident-map")
    frame.locator(".marker-cluster").first.wait_for()
    assert frame.locator(".marker-cluster").count() >= 1
    assert frame.locator(".buurt-month-slider input[type=range]").count() == 1
    total_all = int(page.locator("#incident-total").inner_text())
    assert total_all == 300
    # tick a filter and apply it: the page (map iframe, table, chart) reloads with it
    assert page.locator("#filters").evaluate("d => d.open")  # a wide screen: the filters beside the map are open
    page.locator("input[name=categorie][value=brand]").check()
    page.get_by_role("button", name="Filters toepassen").click()
    # the new page itself; its map frame is waited for below (a busy machine renders 300 points slowly)
    page.wait_for_url("**categorie=brand**", wait_until="domcontentloaded")
    frame = page.frame_locator("#incident-map")
    frame.locator(".marker-cluster, path.leaflet-interactive").first.wait_for()
    assert int(page.locator("#incident-total").inner_text()) == 30
    rows = page.locator("#incident-table tbody tr")
    assert rows.count() == 30
    assert all(t == "Brand" for t in rows.locator("td:nth-child(3)").all_inner_texts())
    assert "categorie=brand" in page.locator("#incident-map").get_attribute("src")
    assert "categorie=brand" in page.get_by_role("link", name="CSV").get_attribute("href")
    # the time view: one month at a time
    slider = frame.locator(".buurt-month-slider input[type=range]")
    slider.fill("1")
    assert "(" in frame.locator(".buurt-month-value").inner_text()
    # heatmap layer can be switched on
    frame.locator(".leaflet-control-layers").hover()  # a folded layer control opens under the pointer
    frame.get_by_text("Heatmap").click()
    frame.locator("canvas.leaflet-heatmap-layer").wait_for()
    assert page.errors == []
