"""The public picture is blurred on the server: grid cells with enough addresses, after a delay, max zoom;
never exact coordinates, descriptions, photos or reporters."""

from __future__ import annotations

import io
import itertools
import re

import pytest

from buurt.extensions import db
from buurt.incidents import blur
from buurt.models import Incident, IncidentCategory, IncidentStatus
from tests.incidents.conftest import INSIDE, jpeg_with_gps, report_data, reported
from tests.link_support import submit_link

# Exact points inside Noord, Oost and West, well inside a 150 m grid cell (not near its centre or edges)
# and chosen so their 5-7 decimal strings do not occur in the area outlines the public map draws.
SECRET_POINTS = [(52.2127535, 4.4259686), (52.2087482, 4.4283062), (52.2114126, 4.4148702)]
NUMBER = re.compile(r"-?\d+\.\d+")
SECRET_TEXT = "Geheime omschrijving Fictieweg 13"
PUBLIC = [
    "/incidenten/openbaar",
    "/incidenten/openbaar/kaart",
    "/incidenten/openbaar.json",
    "/incidenten/openbaar?periode=7d",
    "/incidenten/openbaar/kaart?periode=30d",
    "/incidenten/openbaar.json?periode=7d",
]


def formats(lat: float, lon: float) -> list[str]:
    """The point as text at 5-7 decimals (4 decimals is checked as a pair: see near_pairs)."""
    out = []
    for places in (5, 6, 7):
        out += [f"{lat:.{places}f}", f"{lon:.{places}f}"]
    out += [repr(lat), repr(lon), str(round(lat, 6)), str(round(lon, 6))]
    return out


def near_pairs(body: str, lat: float, lon: float, tolerance: float = 0.00006) -> list[tuple[float, float]]:
    """Adjacent numbers in the body that together lie within ~6 m of the point, in either order.

    With 4 decimals every lat/lon value of the neighbourhood occurs somewhere in the area outlines,
    so single strings prove nothing there; a published *pair* near the point would be a leak.
    """
    values = [float(v) for v in NUMBER.findall(body)]
    hits = []
    for a, b in itertools.pairwise(values):
        for la, lo in ((a, b), (b, a)):
            if abs(la - lat) <= tolerance and abs(lo - lon) <= tolerance:
                hits.append((la, lo))
    return hits


@pytest.fixture
def addresses_everywhere(make_address):
    """Plenty of register addresses around every secret point, so their cells are published."""
    n = 0
    for lat, lon in SECRET_POINTS:
        for k in range(8):
            n += 1
            make_address(postcode="2221ZZ", number=n, lat=lat + (k - 4) * 0.00005, lon=lon + 0.00002 * k)


@pytest.fixture
def secret_incidents(make_incident, addresses_everywhere):
    made = []
    for lat, lon in SECRET_POINTS:
        made.append(
            make_incident(
                lat=lat,
                lon=lon,
                hours_ago=72,  # public on any day (whole local days, summer time included)
                description=SECRET_TEXT,
                photo_filename="0123456789abcdef0123456789abcdef.jpg",
                photo_mime="image/jpeg",
            )
        )
    return made


def bodies(client) -> dict[str, str]:
    return {path: client.get(path).get_data(as_text=True) for path in PUBLIC}


def test_baseline_does_not_already_contain_the_secret_strings(client, addresses_everywhere):
    """Guards the real test below: without incidents, none of the strings occur by accident."""
    for path, body in bodies(client).items():
        for lat, lon in SECRET_POINTS:
            for text in formats(lat, lon):
                assert text not in body, (path, text)


def test_exact_coordinates_and_text_never_reach_a_public_response(client, secret_incidents):
    all_bodies = bodies(client)
    assert (
        '"count": ' in all_bodies["/incidenten/openbaar.json"] or '"count":' in all_bodies["/incidenten/openbaar.json"]
    )
    for path, body in all_bodies.items():
        for lat, lon in SECRET_POINTS:
            for text in formats(lat, lon):
                assert text not in body, (path, text)
            assert near_pairs(body, lat, lon) == [], path
        assert "Geheime omschrijving" not in body, path
        assert "Fictieweg 13" not in body, path
        assert "0123456789abcdef" not in body, path  # photo name
        assert "/foto" not in body, path
        assert "Fictief Persoon" not in body, path
        assert "Testgebruiker" not in body, path


def test_the_map_really_shows_cells(client, secret_incidents):
    data = client.get("/incidenten/openbaar.json").get_json()
    cells = data["map"]["cells"]
    assert sum(c["count"] for c in cells) == 3
    assert data["map"]["not_on_map"] == 0
    html = client.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    assert html.count("L.geoJson(") >= 3 + 5  # 3 cells, 5 area outlines
    # every cell centre is the centre of a 150 m RD cell, not a moved incident
    for cell in cells:
        col, row = blur.cell_indices([cell["lat"]], [cell["lon"]], 150)
        assert blur.cell_centre(int(col[0]), int(row[0]), 150) == (cell["lat"], cell["lon"])


def test_reporter_of_a_resident_report_is_not_public(client, resident, resident_link, addresses_everywhere, app):
    data = report_data(photo=(io.BytesIO(jpeg_with_gps()), "foto.jpg"), description=SECRET_TEXT)
    assert reported(submit_link(client, resident_link, data=data, content_type="multipart/form-data"))
    incident = db.session.scalar(db.select(Incident))
    for body in bodies(client).values():
        assert resident.name not in body
        assert resident.phone_e164 not in body
        assert incident.photo_filename not in body


def test_recent_incidents_are_delayed(client, make_incident, addresses_everywhere):
    lat, lon = SECRET_POINTS[0]
    make_incident(lat=lat, lon=lon, hours_ago=2)
    make_incident(lat=lat, lon=lon, hours_ago=48, reported_hours_ago=1)  # old, but reported just now
    # reported long ago, but its time of happening says just now (the later of the two counts)
    make_incident(lat=lat, lon=lon, hours_ago=2, reported_hours_ago=72)
    data = client.get("/incidenten/openbaar.json").get_json()
    assert all(p["total"] == 0 for p in data["periods"])
    assert data["map"]["cells"] == []
    make_incident(lat=lat, lon=lon, hours_ago=72)
    data = client.get("/incidenten/openbaar.json").get_json()
    assert [p["total"] for p in data["periods"]] == [1, 1, 1]


def test_cells_with_few_addresses_are_left_out_but_counted_in_the_area(client, make_incident, app):
    lat, lon = INSIDE["rijnsoever-oost"]  # no register addresses in this test
    make_incident(lat=lat, lon=lon, hours_ago=72, category=IncidentCategory.WONINGINBRAAK)
    data = client.get("/incidenten/openbaar.json").get_json()
    assert data["map"]["cells"] == []
    assert data["map"]["not_on_map"] == 1
    oost = next(a for a in data["periods"][0]["areas"] if a["area"] == "Rijnsoever-Oost")
    assert oost == {"area": "Rijnsoever-Oost", "total": 1, "categories": {"woninginbraak": 1}}


def test_hidden_and_merged_never_count(client, make_incident, addresses_everywhere):
    lat, lon = SECRET_POINTS[0]
    make_incident(lat=lat, lon=lon, hours_ago=72, status=IncidentStatus.HIDDEN)
    make_incident(lat=lat, lon=lon, hours_ago=72, status=IncidentStatus.MERGED)
    assert client.get("/incidenten/openbaar.json").get_json()["periods"][2]["total"] == 0


def test_public_map_has_a_maximum_zoom(client, app):
    html = client.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    limit = app.config["PUBLIC_MAX_ZOOM"]
    assert f".setMaxZoom({limit})" in html
    assert f'"maxZoom": {limit}' in html
    zooms = [int(z) for z in re.findall(r'"maxZoom": (\d+)', html)]
    assert zooms
    assert max(zooms) <= limit


def test_period_counts_per_area_and_category_on_the_page(client, make_incident):
    make_incident(
        lat=INSIDE["rijnsoever-west"][0],
        lon=INSIDE["rijnsoever-west"][1],
        hours_ago=24 * 20,
        category=IncidentCategory.VANDALISME,
    )
    html = client.get("/incidenten/openbaar").get_data(as_text=True)
    assert "Afgelopen 7 dagen: 0" in html
    assert "Afgelopen 30 dagen: 1" in html
    assert "Vandalisme" in html


def test_public_json_is_open_for_other_sites(client):
    response = client.get("/incidenten/openbaar.json?periode=onzin")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["map"]["period"] == "3m"
