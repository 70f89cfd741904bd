"""The home page, the public coverage map and the error pages."""

from buurt.geo.folium_assets import external_assets


def test_home_lists_the_five_groups_with_fill(client, groups, make_resident):
    make_resident(groups[0], status="added")
    html = client.get("/").get_data(as_text=True)
    for g in groups:
        assert g.name in html
    assert "1 / 256" in html
    assert "SAAR" in html or "Signaleer" in html
    assert "CBS / Kadaster" in html


def test_home_shows_no_personal_data(client, groups, make_resident):
    resident = make_resident(groups[1], status="added", name="Geheime Naam")
    for path in ("/", "/kaart/dekking", "/api/v1/areas"):
        body = client.get(path).get_data(as_text=True)
        assert resident.name not in body
        assert resident.phone_e164 not in body
        assert "Fictieweg" not in body


def test_coverage_map_document_uses_only_local_assets(client):
    response = client.get("/kaart/dekking")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert external_assets(html) == []
    assert html.count("L.geoJson(") == 5 or html.count("geo_json_") >= 5
    assert "CBS / Kadaster" in html
    for url in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css"):
        assert url in html
        with client.get(url) as asset:
            assert asset.status_code == 200


def test_error_pages_are_dutch(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)
    assert client.get("/api/v1/bestaat-niet").get_json()["status"] == 404


def test_console_needs_login(client):
    response = client.get("/beheer/")
    assert response.status_code == 302
    assert "/inloggen" in response.headers["Location"]
