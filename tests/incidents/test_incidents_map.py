"""The wijkagent's page: one filter behind table, chart, map and exports; exports logged; fast map document."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.geo.folium_assets import external_assets
from buurt.models import AuditEntry, IncidentCategory, IncidentStatus, utcnow
from buurt.times import to_local
from tests.incidents.conftest import INSIDE, OUTSIDE


@pytest.fixture
def app_config():
    return {"INCIDENT_PAGE_SIZE": 4}


@pytest.fixture
def spread(make_incident):
    """Incidents over areas, categories and times; one hidden and one merged (never listed)."""
    made = []
    hours = [1, 5, 30, 50, 24 * 10, 24 * 20, 24 * 45, 24 * 80, 24 * 200]
    cats = list(IncidentCategory)
    keys = list(INSIDE)
    for k, h in enumerate(hours):
        lat, lon = INSIDE[keys[k % len(keys)]]
        made.append(make_incident(lat=lat + k * 1e-4, lon=lon, hours_ago=h, category=cats[k % 3]))
    made.append(make_incident(lat=OUTSIDE[0], lon=OUTSIDE[1], hours_ago=3, category=IncidentCategory.BRAND))
    made.append(make_incident(hours_ago=2, status=IncidentStatus.HIDDEN))
    made.append(make_incident(hours_ago=2, status=IncidentStatus.MERGED, merged_into_id=made[0].id))
    return made


@pytest.fixture
def wijkagent(make_user, login):
    user = make_user("wijkagent")
    login(user)
    return user


def table_ids(client, query: str) -> list[int]:
    ids, page = [], 1
    while True:
        html = client.get(f"/incidenten/?{query}&pagina={page}").get_data(as_text=True)
        ids += [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]
        if 'rel="next"' not in html:
            return ids
        page += 1


def csv_ids(client, query: str) -> list[int]:
    text = client.get(f"/incidenten/export.csv?{query}").get_data(as_text=True).lstrip("\ufeff")
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text), delimiter=";")]


def geojson_ids(client, query: str) -> list[int]:
    data = json.loads(client.get(f"/incidenten/export.geojson?{query}").get_data(as_text=True))
    return [f["id"] for f in data["features"]]


def map_ids(client, query: str) -> list[int]:
    html = client.get(f"/incidenten/kaart?{query}").get_data(as_text=True)
    data = json.loads(re.search(r"window\.BUURT_INCIDENTS = (\{.*?\});</script>", html).group(1))
    return [row[3] for row in data["points"]]


def _range_query() -> str:
    today = to_local(utcnow()).date()
    return f"periode=range&van={(today - timedelta(days=60)).isoformat()}&tot={(today - timedelta(days=5)).isoformat()}"


QUERIES = [
    "periode=24h",
    "periode=7d",
    "periode=30d",
    "periode=3m",
    "periode=3m&categorie=woninginbraak&categorie=verdachte_situatie",
    "periode=3m&groep=4",
    "periode=3m&gebied=1",
    "periode=3m&categorie=brand",
    "periode=range",
    "periode=onzin&categorie=bestaat_niet&groep=abc&gebied=999",
]


@pytest.mark.parametrize("query", QUERIES)
def test_exports_and_map_follow_exactly_the_table(client, spread, wijkagent, query):
    ids = table_ids(client, query)
    assert ids == csv_ids(client, query)
    assert ids == geojson_ids(client, query)
    assert sorted(ids) == sorted(map_ids(client, query))
    hidden = {spread[-2].id, spread[-1].id}
    assert not hidden & set(ids)


def test_date_range_filter(client, spread, wijkagent):
    ids = table_ids(client, _range_query())
    assert ids == csv_ids(client, _range_query())
    assert set(ids) == {spread[4].id, spread[5].id, spread[6].id}  # 10, 20 and 45 days ago


def test_filters_select_what_they_say(client, spread, wijkagent):
    assert set(table_ids(client, "periode=24h")) == {spread[0].id, spread[1].id, spread[9].id}
    assert set(table_ids(client, "periode=3m&categorie=brand")) == {spread[9].id}
    noord = table_ids(client, f"periode=3m&groep={spread[3].group_id}")
    assert noord
    assert all(i in {s.id for s in spread if s.group_id == spread[3].group_id} for i in noord)
    assert len(table_ids(client, "periode=3m")) == 9  # 200 days ago is outside 3 months


def test_reversed_date_range_gives_an_error_not_a_500(client, spread, wijkagent):
    response = client.get("/incidenten/?periode=range&van=2026-05-01&tot=2026-04-01")
    assert response.status_code == 200
    assert "vóór de begindatum" in response.get_data(as_text=True)
    assert client.get("/incidenten/?periode=range&van=kapot&tot=2026-99-99").status_code == 200


def test_exports_are_logged_with_ids_and_counts_only(client, spread, wijkagent):
    client.get("/incidenten/export.csv?periode=7d&categorie=brand")
    client.get("/incidenten/export.geojson?periode=30d")
    entries = list(
        db.session.scalars(db.select(AuditEntry).filter_by(action="incidents.export").order_by(AuditEntry.id))
    )
    assert [e.details["format"] for e in entries] == ["csv", "geojson"]
    assert entries[0].details["count"] == 1
    assert entries[0].details["categories"] == ["brand"]
    assert entries[0].user_id == wijkagent.id
    assert "Fictieve" not in json.dumps([e.details for e in entries])


def test_csv_is_spreadsheet_safe_and_geojson_has_exact_points(client, make_incident, wijkagent):
    incident = make_incident(description='=HYPERLINK("http://example.invalid")')
    text = client.get("/incidenten/export.csv?periode=7d").get_data(as_text=True)
    assert "'=HYPERLINK" in text
    data = json.loads(client.get("/incidenten/export.geojson?periode=7d").get_data(as_text=True))
    assert data["features"][0]["geometry"]["coordinates"] == [round(incident.lon, 6), round(incident.lat, 6)]


def test_bad_export_format_is_a_404(client, wijkagent):
    assert client.get("/incidenten/export.xlsx").status_code == 404


def test_page_shows_chart_with_title_desc_and_the_same_numbers(client, spread, wijkagent):
    html = client.get("/incidenten/?periode=3m").get_data(as_text=True)
    assert html.count('<svg class="bar-chart"') == 2
    assert '<title id="per-soort-t">' in html
    assert '<desc id="per-soort-d">' in html
    assert 'id="counts-category"' in html
    assert 'id="counts-area"' in html
    assert "buiten de gebieden" in html
    assert 'src="/incidenten/kaart?periode=3m"' in html


def test_map_document_is_local_fast_style_and_escapes(client, spread, wijkagent):
    html = client.get("/incidenten/kaart?periode=3m").get_data(as_text=True)
    assert external_assets(html) == []
    assert "L.markerClusterGroup" in html
    assert "L.heatLayer" in html
    assert "L.marker(" not in html  # no Marker per incident
    assert "buurt-month-slider" in html
    assert "Fictieve omschrijving" not in html  # no descriptions in the map
    for asset in ("leaflet.markercluster/leaflet.markercluster.js", "leaflet-heat/leaflet_heat.min.js"):
        assert f"/static/vendor/{asset}" in html


def test_meldingen_layer_uses_the_meldingen_service(client, spread, wijkagent, monkeypatch):
    import buurt.incidents.maps as incident_maps
    from buurt.models import MeldingCategory

    calls = []

    def fake(since, until, group_ids, user=None):
        calls.append((since, until, group_ids, user))
        return [{"lat": 52.2120, "lon": 4.4200, "category": "woninginbraak", "occurred_at": utcnow(), "id": 1}]

    monkeypatch.setattr(incident_maps, "meldingen_for_map", fake)
    monkeypatch.setitem(incident_maps.CATEGORY_LABELS, MeldingCategory.WONINGINBRAAK, "<b>Woninginbraak</b>")
    html = client.get("/incidenten/kaart?periode=7d").get_data(as_text=True)
    assert calls
    assert calls[0][2] is None
    assert calls[0][3] is not None  # the meldingen the user may open (the meldingen list's rule)
    assert "&lt;b&gt;Woninginbraak&lt;/b&gt;" in html


def test_a_broken_meldingen_layer_fails_loudly(client, spread, wijkagent, monkeypatch):
    import buurt.incidents.maps as incident_maps

    def broken(since, until):  # the wrong signature: a real break, not an empty layer
        return []

    monkeypatch.setattr(incident_maps, "meldingen_for_map", broken)
    assert client.get("/incidenten/kaart?periode=7d").status_code == 500


def test_a_real_melding_shows_in_its_layer(client, wijkagent, app):
    from buurt.models import Melding, MeldingCategory

    db.session.add(
        Melding(
            received_text="Fictieve melding",
            category=MeldingCategory.OVERVAL,
            lat=52.2121,
            lon=4.4201,
            occurred_at=utcnow() - timedelta(hours=2),
        )
    )
    db.session.commit()
    html = client.get("/incidenten/kaart?periode=24h").get_data(as_text=True)
    assert "Fictieve melding" not in html  # the received text stays out of the map
    assert "[52.2121, 4.4201]" in html
