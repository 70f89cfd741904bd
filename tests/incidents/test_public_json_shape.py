"""The public JSON (/incidenten/openbaar.json) is an API for other sites: its shape is a promise.

Every key is pinned, for the default neighbourhood and for another one by its slug, so a renamed
or dropped field shows here and not on a neighbour's website. And the uncached picture
(build_public_picture, what every cached one must equal) is built for the neighbourhood asked
for, with the same fallback for an unknown map period as the cached one.
"""

from __future__ import annotations

from buurt.incidents import public
from tests.incidents.conftest import INSIDE

OLD = 72  # hours: public on any day
HOORNES_WEST = (52.207139, 4.414775)  # as in test_gemeente_incidents


def test_the_json_document_has_its_documented_shape(app, client, make_incident, make_address):
    lat, lon = INSIDE["rijnsoever-noord"]
    for n in range(1, 9):
        make_address(postcode="2221ZY", number=n, lat=lat + (n - 4) * 0.00004, lon=lon + 0.00002 * n)
    make_incident(hours_ago=OLD)
    data = client.get("/incidenten/openbaar.json?periode=7d").get_json()
    with app.test_request_context():
        until = public.public_picture(map_period="7d").until
    assert set(data) == {"neighbourhood", "generated_until", "delay_hours", "grid_m", "categories", "periods", "map"}
    assert data["neighbourhood"] == {"slug": "rijnsoever", "name": "Rijnsoever"}
    assert data["generated_until"] == until.isoformat()  # a day, never a time
    assert data["delay_hours"] == app.config["PUBLIC_INCIDENT_DELAY_HOURS"] == 24
    assert data["grid_m"] == app.config["PUBLIC_GRID_M"] == 150
    assert data["categories"]["fietsdiefstal"] == "Fietsdiefstal"
    assert data["categories"]["woninginbraak"] == "Woninginbraak"
    assert [p["period"] for p in data["periods"]] == ["7d", "30d", "3m"]
    week = data["periods"][0]
    assert week == {
        "period": "7d",
        "label": "Afgelopen 7 dagen",
        "total": 1,
        "outside_areas": 0,
        "areas": week["areas"],
    }
    assert {"area": "Rijnsoever-Noord", "total": 1, "categories": {"fietsdiefstal": 1}} in week["areas"]
    assert {"area": "Rijnsoever-West", "total": 0, "categories": {}} in week["areas"]
    assert data["map"] == {
        "period": "7d",
        "not_on_map": 0,
        "cells": [
            {
                "lat": data["map"]["cells"][0]["lat"],
                "lon": data["map"]["cells"][0]["lon"],
                "count": 1,
                "categories": {"fietsdiefstal": 1},
            }
        ],
    }


def test_a_neighbourhood_by_slug_names_itself_in_the_json(client, hoornes, make_incident):
    make_incident(*HOORNES_WEST, hours_ago=OLD)
    data = client.get("/hoornes/incidenten/openbaar.json").get_json()
    assert data["neighbourhood"] == {"slug": "hoornes", "name": hoornes.name}
    assert data["periods"][-1]["total"] == 1
    assert {a["area"] for a in data["periods"][-1]["areas"]} == {"Hoornes-West", "Hoornes-Oost"}  # its own areas only
    default = client.get("/incidenten/openbaar.json").get_json()
    assert default["periods"][-1]["total"] == 0
    assert not any(a["area"].startswith("Hoornes") for a in default["periods"][-1]["areas"])


def test_the_uncached_picture_is_the_asked_neighbourhoods_and_falls_back_to_3m(app, hoornes, rijnsoever, make_incident):
    make_incident(*HOORNES_WEST, hours_ago=OLD)
    with app.test_request_context():
        theirs = public.build_public_picture(neighbourhood=hoornes)
        assert theirs.neighbourhood_id == hoornes.id
        assert theirs.periods[-1].total == 1
        assert public.build_public_picture().neighbourhood_id == rijnsoever.id  # the page's (default) one
        assert public.build_public_picture().periods[-1].total == 0
        unknown = public.build_public_picture(map_period="onzin", neighbourhood=hoornes)
        assert unknown.map_period == "3m"
        assert unknown == public.build_public_picture(map_period="3m", neighbourhood=hoornes)
        assert unknown == public.public_picture(map_period="onzin", neighbourhood=hoornes)


def test_a_site_without_a_neighbourhood_pictures_every_incident(app, monkeypatch, hoornes, make_incident):
    """No neighbourhood at all (current_neighbourhood() is None): one picture of every incident."""
    make_incident(hours_ago=OLD)
    make_incident(*HOORNES_WEST, hours_ago=OLD)
    monkeypatch.setattr(public, "current_neighbourhood", lambda: None)
    with app.test_request_context():
        picture = public.build_public_picture()
    assert picture.neighbourhood_id is None
    assert picture.periods[-1].total == 2
