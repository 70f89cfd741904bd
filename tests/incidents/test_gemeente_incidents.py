"""Incidents across the gemeente (issue 18): each neighbourhood's public picture holds only its own
incidents (counts, JSON, map, per-process cache); the wijkagent's page filters per neighbourhood; a
coordinator of one neighbourhood sees and moderates only its incidents; exports name the neighbourhood;
a report is placed in whichever neighbourhood's area it falls in.

All incidents, people and addresses here are fictional test data.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from buurt.extensions import db
from buurt.incidents import maps, public
from buurt.models import Area, Group, Incident, IncidentCategory, ResidentStatus
from tests.incidents.conftest import INSIDE, report_data, reported
from tests.incidents.test_incidents_public import formats
from tests.incidents.test_public_cache import same_ids
from tests.link_support import submit_link

OLD = 72  # hours: public on any day
# Literal points inside the shipped CBS buurten Hoornes-West and Hoornes-Oost (fixture `hoornes`)
HOORNES_WEST = (52.207139, 4.414775)
HOORNES_OOST = (52.204455, 4.424039)
# Outside every area, just north of Rijnsoever (nearer to it than to Hoornes)
NORTH_OF_RIJNSOEVER = (52.2235, 4.4230)
SECRET = "Fictieve geheime omschrijving Hoornesweg 7"


@pytest.fixture
def both(hoornes, make_incident, make_address):
    """Fictional incidents in Rijnsoever (2, plus 1 outside its areas) and in Hoornes (3), all public,
    with enough register addresses around Hoornes-West's point for its grid cell to be published."""
    lat, lon = HOORNES_WEST
    for n in range(1, 9):
        make_address(postcode="2222ZZ", number=n, lat=lat + (n - 4) * 0.00004, lon=lon + 0.00002 * n)
    rijnsoever = [make_incident(hours_ago=OLD), make_incident(*INSIDE["rijnsoever-west"], hours_ago=OLD)]
    outside = make_incident(*NORTH_OF_RIJNSOEVER, hours_ago=OLD, category=IncidentCategory.VANDALISME)
    hoornes_ids = [
        make_incident(*HOORNES_WEST, hours_ago=OLD, description=SECRET),
        make_incident(*HOORNES_WEST, hours_ago=OLD, category=IncidentCategory.WONINGINBRAAK),
        make_incident(*HOORNES_OOST, hours_ago=OLD),
    ]
    return {
        "rijnsoever": sorted(i.id for i in rijnsoever),
        "outside": outside.id,
        "hoornes": sorted(i.id for i in hoornes_ids),
    }


def area_names(hood) -> set[str]:
    return {a.name for a in db.session.scalars(db.select(Area).join(Group).where(Group.neighbourhood_id == hood.id))}


def period(data: dict, key: str = "3m") -> dict:
    return next(p for p in data["periods"] if p["period"] == key)


def ids_in_table(html: str) -> list[int]:
    return sorted(int(i) for i in re.findall(r'<tr data-id="(\d+)"', html))


# --- the public picture per neighbourhood ---------------------------------------------------------------------


def test_each_public_picture_counts_only_its_own_incidents(client, both, hoornes, rijnsoever):
    own = client.get("/hoornes/incidenten/openbaar.json").get_json()
    assert own["neighbourhood"] == {"slug": "hoornes", "name": "Hoornes"}
    three = period(own)
    assert three["total"] == 3
    assert three["outside_areas"] == 0
    assert {a["area"] for a in three["areas"]} == area_names(hoornes)
    assert {a["area"]: a["total"] for a in three["areas"]} == {"Hoornes-West": 2, "Hoornes-Oost": 1}
    assert sum(c["count"] for c in own["map"]["cells"]) + own["map"]["not_on_map"] == 3
    assert own["map"]["cells"], "the Hoornes-West cell has enough addresses to be shown"

    default = client.get("/incidenten/openbaar.json").get_json()
    assert default["neighbourhood"]["slug"] == "rijnsoever"
    assert period(default)["total"] == 3
    assert period(default)["outside_areas"] == 1
    assert {a["area"] for a in period(default)["areas"]} == area_names(rijnsoever)
    assert client.get("/rijnsoever/incidenten/openbaar.json").get_json() == default


def test_rijnsoever_picture_is_unchanged_by_incidents_elsewhere(client, app, make_incident):
    make_incident(hours_ago=OLD)
    before = client.get("/incidenten/openbaar.json").get_json()
    with app.app_context():
        from tests.conftest import make_second_neighbourhood

        make_second_neighbourhood()
    make_incident(*HOORNES_WEST, hours_ago=OLD)
    make_incident(*HOORNES_OOST, hours_ago=OLD)
    after = client.get("/incidenten/openbaar.json").get_json()
    assert after == before
    assert period(client.get("/hoornes/incidenten/openbaar.json").get_json())["total"] == 2


def test_public_page_and_map_show_only_the_neighbourhood_and_nothing_exact(client, both, hoornes, rijnsoever):
    page = client.get("/hoornes/incidenten/openbaar")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "in Hoornes zijn gemeld" in html
    assert "Hoornes-West" in html
    assert not any(name in html for name in area_names(rijnsoever))
    assert 'src="/hoornes/incidenten/openbaar/kaart?periode=3m"' in html  # the map of this neighbourhood
    document = client.get("/hoornes/incidenten/openbaar/kaart").get_data(as_text=True)
    assert "Hoornes-Oost" in document
    assert not any(name in document for name in area_names(rijnsoever))
    for url in (
        "/hoornes/incidenten/openbaar",
        "/hoornes/incidenten/openbaar/kaart",
        "/hoornes/incidenten/openbaar.json",
    ):
        body = client.get(url).get_data(as_text=True)
        assert SECRET not in body
        assert "Hoornesweg" not in body
        assert not [s for s in formats(*HOORNES_WEST) if s in body], url


def test_the_cache_never_serves_one_neighbourhoods_map_for_another(app, client, both, hoornes, rijnsoever):
    default_map = client.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    hoornes_map = client.get("/hoornes/incidenten/openbaar/kaart").get_data(as_text=True)
    assert same_ids(default_map) != same_ids(hoornes_map)
    assert client.get("/incidenten/openbaar/kaart").get_data(as_text=True) == default_map  # from the cache
    assert client.get("/hoornes/incidenten/openbaar/kaart").get_data(as_text=True) == hoornes_map
    with app.test_request_context("/incidenten/openbaar/kaart"):  # the cache holds, per neighbourhood, its own map
        for hood in (rijnsoever, hoornes, rijnsoever):
            cached = maps.cached_public_map_document("3m", neighbourhood=hood)
            fresh = maps.public_map_document(public.build_public_picture(neighbourhood=hood))
            assert same_ids(cached) == same_ids(fresh), hood.slug
    # the pictures too, in either order of asking
    assert (
        client.get("/hoornes/incidenten/openbaar.json").get_json() != client.get("/incidenten/openbaar.json").get_json()
    )


def test_a_routing_only_neighbourhood_has_a_public_picture_of_its_areas(client, both, hoornes):
    hoornes.routing_only = True
    db.session.commit()
    data = client.get("/hoornes/incidenten/openbaar.json").get_json()
    assert period(data)["total"] == 3


# --- the wijkagent's page across the gemeente -------------------------------------------------------------------


def test_wijkagent_filters_per_neighbourhood(client, both, make_user, login):
    login(make_user("wijkagent"))
    everything = sorted([*both["rijnsoever"], both["outside"], *both["hoornes"]])
    html = client.get("/incidenten/?periode=3m").get_data(as_text=True)
    assert ids_in_table(html) == everything
    assert '<optgroup label="Hoornes">' in html
    assert '<optgroup label="Rijnsoever">' in html
    assert '<select id="buurt" name="buurt">' in html
    assert "Hoornes-West (Hoornes)" in html  # area names carry their neighbourhood when several are shown
    hoornes_html = client.get("/incidenten/?periode=3m&buurt=hoornes").get_data(as_text=True)
    assert ids_in_table(hoornes_html) == both["hoornes"]
    assert "<optgroup" not in hoornes_html  # one neighbourhood's groups: no grouping needed
    assert "BuurtAlarm Hoornes-Oost" in hoornes_html
    assert "BuurtAlarm Rijnsoever-Noord" not in hoornes_html
    assert "Buurt: Hoornes" in hoornes_html  # the filter in words
    assert 'href="/incidenten/export.csv?periode=3m&amp;buurt=hoornes"' in hoornes_html
    assert ids_in_table(client.get("/incidenten/?periode=3m&buurt=rijnsoever").get_data(as_text=True)) == sorted(
        [*both["rijnsoever"], both["outside"]]
    )
    assert ids_in_table(client.get("/incidenten/?periode=3m&buurt=nergens").get_data(as_text=True)) == everything
    document = client.get("/incidenten/kaart?periode=3m&buurt=hoornes").get_data(as_text=True)
    assert "Hoornes-West" in document
    assert "Rijnsoever-Noord" not in document


def test_a_group_of_another_neighbourhood_is_ignored_in_the_filter(client, both, hoornes, groups, make_user, login):
    login(make_user("wijkagent"))
    html = client.get(f"/incidenten/?periode=3m&buurt=hoornes&groep={groups[3].id}").get_data(as_text=True)
    assert ids_in_table(html) == both["hoornes"]


def test_export_names_the_neighbourhood_spreadsheet_safe(client, both, hoornes, make_user, login):
    login(make_user("wijkagent"))
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/incidenten/export.csv?periode=3m").get_data(as_text=True).lstrip("\ufeff")),
            delimiter=";",
        )
    )
    named = {int(r["id"]): r["buurt"] for r in rows}
    assert {i: named[i] for i in both["hoornes"]} == dict.fromkeys(both["hoornes"], "Hoornes")
    assert {named[i] for i in both["rijnsoever"]} == {"Rijnsoever"}
    assert named[both["outside"]] == "Rijnsoever"  # outside every area: the nearest neighbourhood
    only = client.get("/incidenten/export.geojson?periode=3m&buurt=hoornes").get_json()
    assert sorted(f["id"] for f in only["features"]) == both["hoornes"]
    assert {f["properties"]["buurt"] for f in only["features"]} == {"Hoornes"}
    hoornes.name = "=Hoornes"  # a name that would be a formula in a spreadsheet
    db.session.commit()
    text = client.get("/incidenten/export.csv?periode=3m&buurt=hoornes").get_data(as_text=True)
    assert ";'=Hoornes;" in text
    assert ";=Hoornes;" not in text


# --- roles across neighbourhoods --------------------------------------------------------------------------------


def test_a_coordinator_of_one_neighbourhood_sees_and_moderates_only_its_incidents(
    client, both, hoornes, rijnsoever, make_user, login
):
    login(make_user("coordinator", neighbourhood=rijnsoever))
    other, own = both["hoornes"][0], both["rijnsoever"][0]
    assert client.get(f"/incidenten/{other}").status_code == 403
    assert client.post(f"/incidenten/{other}/verbergen").status_code == 403
    assert client.post(f"/incidenten/{own}/samenvoegen", data={"keep_id": other}).status_code == 403
    assert client.get(f"/incidenten/{own}").status_code == 200
    html = client.get("/incidenten/?periode=3m&buurt=hoornes").get_data(as_text=True)
    assert ids_in_table(html) == sorted([*both["rijnsoever"], both["outside"]])  # Hoornes is not offered
    assert 'name="buurt"' not in html
    assert "Hoornes" not in html
    rows = client.get("/incidenten/export.geojson?periode=3m").get_json()["features"]
    assert sorted(f["id"] for f in rows) == sorted([*both["rijnsoever"], both["outside"]])
    assert client.post(f"/incidenten/{both['outside']}/verbergen").status_code == 302  # nearest: theirs
    assert db.session.get(Incident, other).status == "visible"


def client_of(app, user):
    """A test client of its own, logged in as `user` through the real login form."""
    from tests.conftest import PASSWORD

    own = app.test_client()
    assert own.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return own


def test_hoornes_beheerder_and_coordinator_and_a_gemeente_coordinator(app, both, hoornes, make_user):
    beheerder = client_of(app, make_user("beheerder", groups=[hoornes.groups[0]]))
    assert ids_in_table(beheerder.get("/incidenten/?periode=3m").get_data(as_text=True)) == both["hoornes"]
    assert beheerder.get(f"/incidenten/{both['rijnsoever'][0]}").status_code == 403
    coordinator = client_of(app, make_user("coordinator", neighbourhood=hoornes))
    assert coordinator.post(f"/incidenten/{both['rijnsoever'][0]}/verbergen").status_code == 403
    assert coordinator.post(f"/incidenten/{both['hoornes'][0]}/verbergen").status_code == 302
    gemeente = client_of(app, make_user("coordinator"))  # gemeente-wide
    assert gemeente.get(f"/incidenten/{both['rijnsoever'][0]}").status_code == 200
    assert gemeente.post(f"/incidenten/{both['hoornes'][1]}/verbergen").status_code == 302


# --- reporting anywhere in the gemeente -------------------------------------------------------------------------


def test_reports_are_placed_in_the_neighbourhood_whose_area_they_fall_in(
    app, client, hoornes, groups, make_user, make_resident, login
):
    from buurt.incidents.reports import report_link

    west = next(g for g in hoornes.groups if g.name == "BuurtAlarm Hoornes-West")
    resident = make_resident(west, status=ResidentStatus.ADDED)
    with app.test_request_context():
        link = report_link(resident, external=False)
    response = submit_link(client, link, data=report_data(lat=str(HOORNES_OOST[0]), lon=str(HOORNES_OOST[1])))
    assert reported(response)
    [by_resident] = db.session.scalars(db.select(Incident)).all()
    assert by_resident.group.name == "BuurtAlarm Hoornes-Oost"
    assert by_resident.area.name == "Hoornes-Oost"

    login(make_user("beheerder", groups=[groups[0]]))  # a Rijnsoever beheerder logs what happened in Hoornes
    page = client.get("/incidenten/melden").get_data(as_text=True)
    assert 'data-center="52.2' in page
    response = client.post("/incidenten/melden", data=report_data(lat=str(HOORNES_WEST[0]), lon=str(HOORNES_WEST[1])))
    assert response.status_code == 302
    incident = db.session.scalars(db.select(Incident).order_by(Incident.id.desc())).first()
    assert incident.group_id == west.id
    detail = client.get(response.headers["Location"])  # the one who logged it may open it
    assert detail.status_code == 200
    assert "Hoornes" in detail.get_data(as_text=True)
    assert "Incident verbergen" not in detail.get_data(as_text=True)  # but not moderate it
