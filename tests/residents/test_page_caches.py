"""The lookup answer's map and the street list are built once per revision, and stay true.

The lookup map is rendered once per (areas, highlighted group, language) with the asker's point
left open; each answer puts only its point and view in. The street list is kept per (addresses
revision, areas key). A change made through another app instance (another gunicorn worker) shows
in this one on its next request.
"""

from __future__ import annotations

import html
import json
import math
import re

import pytest

from buurt.areas.services import current_areas
from buurt.extensions import db
from buurt.geo.folium_assets import render_map_document
from buurt.geo.maps import MapArea, areas_map, point_map_template
from buurt.models import Group
from buurt.residents import maps
from buurt.residents.lookup import build_street_list, lookup_address, street_list
from tests.residents.conftest import INSIDE

FOLIUM_ID = re.compile(r"([a-z_]+)_([0-9a-f]{32})(?![0-9a-f])")
MARKER = re.compile(r"L\.marker\(\s*\[([^\]]*)\]")
FIT = re.compile(r"fitBounds\(\s*(\[\[[^\]]*\], \[[^\]]*\]\])")
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.40, 52.20], [4.42, 52.20], [4.42, 52.22], [4.40, 52.22], [4.40, 52.20]]],
}


def same_ids(document: str) -> str:
    """folium names every element with a random hex id: number them in order of appearance."""
    seen: dict[str, str] = {}

    def name(match: re.Match) -> str:
        return seen.setdefault(match.group(0), f"{match.group(1)}_{len(seen)}")

    return FOLIUM_ID.sub(name, document)


def fresh_document(lat: float, lon: float, highlighted: int | None) -> str:
    """The lookup map as the uncached code builds it."""
    from flask import current_app

    from buurt.tiles import tile_source

    shapes = maps.lookup_map_areas(current_areas(), highlighted)
    max_zoom = current_app.config["PUBLIC_MAX_ZOOM"]
    m = areas_map(shapes, point=(lat, lon), point_label="Uw adres", tiles=tile_source(), point_max_zoom=max_zoom)
    return render_map_document(m)


def map_of(response) -> str:
    """The map document inside the answer page (iframe srcdoc), unescaped."""
    page = response.get_data(as_text=True)
    found = re.search(r'srcdoc="([^"]*)"', page)
    assert found, "the answer has no map"
    return html.unescape(found.group(1))


def marker_of(document: str) -> list[float]:
    [point] = MARKER.findall(document)
    return json.loads(f"[{point}]")


# --- the template itself (pure) -------------------------------------------------------------------


@pytest.mark.parametrize("point", [(52.21, 4.41), (52.30, 4.50), (52.10, 4.30)])
def test_the_template_renders_what_areas_map_renders(point):
    areas = [MapArea("a", "Gebied A", SQUARE, lines=("Fictief",), colour="#31a354", highlight=True)]
    template = point_map_template(areas, point_label="Uw adres")
    fresh = render_map_document(areas_map(areas, point=point, point_label="Uw adres"))
    assert same_ids(template.render(*point)) == same_ids(fresh)


def test_without_areas_the_view_is_the_point_alone():
    template = point_map_template([], point_label="Uw adres")
    fresh = render_map_document(areas_map([], point=(52.21, 4.41), point_label="Uw adres"))
    assert same_ids(template.render(52.21, 4.41)) == same_ids(fresh)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "52.1); alert(1); //", "1e400"])
def test_only_finite_numbers_go_in(bad):
    template = point_map_template([MapArea("a", "A", SQUARE)])
    with pytest.raises(ValueError, match=r"finite|could not convert"):
        template.render(bad, 4.41)
    with pytest.raises(ValueError, match=r"finite|could not convert"):
        template.render(52.21, bad)


def test_hostile_text_in_an_area_or_label_is_escaped_once_in_the_cached_document():
    hostile = "</script><script>alert(`${1}`)</script>"
    template = point_map_template([MapArea("a", hostile, SQUARE, lines=(hostile,))], point_label=hostile)
    document = template.render(52.21, 4.41)
    assert "<script>alert(" not in document
    assert "&lt;/script&gt;" in document


# --- the lookup answer's map ----------------------------------------------------------------------------


def test_the_cached_answer_map_equals_a_freshly_built_one(app, client, addresses, group_by_key):
    for key, postcode, number in [("rijnsoever-west", "2221XA", 1), ("rijnsoever-oost", "2221XA", 5)]:
        response = client.post("/welke-groep", data={"postcode": postcode, "house_number": str(number)})
        lat, lon = INSIDE[key]
        with app.test_request_context("/welke-groep", method="POST"):  # the lookup page's map title
            expected = fresh_document(lat, lon, group_by_key[key].id)
        assert same_ids(map_of(response)) == same_ids(expected)


def test_an_address_outside_highlights_the_nearest_group_as_before(app, client, addresses):
    response = client.post("/welke-groep", data={"postcode": "2221XB", "house_number": "1"})
    with app.test_request_context("/welke-groep", method="POST"):
        result = lookup_address("2221XB 1")
        assert result.status == "outside"
        expected = fresh_document(result.lat, result.lon, result.nearest_group.id)
    document = map_of(response)
    assert same_ids(document) == same_ids(expected)
    assert marker_of(document) == [result.lat, result.lon]


def test_two_addresses_in_one_area_share_the_document_but_not_the_point(app, client, make_address):
    lat, lon = INSIDE["rijnsoever-noord"]
    make_address(postcode="2221XD", number=1, lat=lat, lon=lon)
    make_address(postcode="2221XD", number=2, lat=lat + 0.0003, lon=lon - 0.0002)
    first = map_of(client.post("/welke-groep", data={"postcode": "2221XD", "house_number": "1"}))
    second = map_of(client.post("/welke-groep", data={"postcode": "2221XD", "house_number": "2"}))
    assert marker_of(first) == [lat, lon]
    assert marker_of(second) == [lat + 0.0003, lon - 0.0002]
    assert FOLIUM_ID.findall(first) == FOLIUM_ID.findall(second)  # one cached document, two points
    [(south, west), (north, east)] = json.loads(FIT.search(second).group(1))
    assert south <= lat + 0.0003 <= north
    assert west <= lon - 0.0002 <= east
    assert len(app.extensions["buurt.cache.lookup_map"]) == 1


def test_hostile_input_never_reaches_the_page_or_a_map(client, addresses):
    hostile = "</script><script>alert(1)</script>"
    for data in (
        {"street": hostile, "house_number": "1"},
        {"postcode": "2221XA", "house_number": "1", "addition": hostile},
    ):
        page = client.post("/welke-groep", data=data).get_data(as_text=True)
        assert "<script>alert(1)" not in page


def test_an_area_change_in_another_process_shows_on_its_next_answer(app, other_app, addresses, group_by_key):
    other = other_app.test_client()
    data = {"postcode": "2221XA", "house_number": "1"}
    before = map_of(other.post("/welke-groep", data=data))  # the other process caches the document now
    assert "BuurtAlarm Fictief Nieuw" not in before
    group = db.session.get(Group, group_by_key["rijnsoever-west"].id)
    group.name = "BuurtAlarm Fictief Nieuw"
    db.session.commit()
    after = map_of(other.post("/welke-groep", data=data))
    assert "BuurtAlarm Fictief Nieuw" in after
    assert marker_of(after) == list(INSIDE["rijnsoever-west"])


def test_each_language_has_its_own_document(client, addresses):
    data = {"postcode": "2221XA", "house_number": "1"}
    dutch = map_of(client.post("/welke-groep", data=data))
    english = map_of(client.post("/welke-groep?lang=en", data=data))
    assert "Uw adres" in dutch
    assert "Uw adres" not in english


# --- the street list --------------------------------------------------------------------------------------


def test_the_cached_street_list_equals_a_fresh_one_and_is_reused(app, addresses):
    first = street_list()
    assert first == build_street_list()
    assert any(streets for g in first for streets in g.streets)
    assert street_list() == first
    assert len(app.extensions["buurt.cache.street_list"]) == 1


def test_an_import_in_another_process_shows_in_the_street_list(app, other_app, addresses, make_address):
    other = other_app.test_client()
    assert "Nieuwgelegdpad" not in other.get("/welke-groep/straten").get_data(as_text=True)
    lat, lon = INSIDE["rijnsoever-oost"]
    make_address(postcode="2221XE", number=1, lat=lat, lon=lon, street="Nieuwgelegdpad")
    assert "Nieuwgelegdpad" in other.get("/welke-groep/straten").get_data(as_text=True)


def test_an_area_edit_in_another_process_shows_in_the_street_list(app, other_app, addresses, group_by_key):
    other = other_app.test_client()
    assert "BuurtAlarm Fictief Oost" not in other.get("/welke-groep/straten").get_data(as_text=True)
    group = db.session.get(Group, group_by_key["rijnsoever-oost"].id)
    group.name = "BuurtAlarm Fictief Oost"
    db.session.commit()
    assert "BuurtAlarm Fictief Oost" in other.get("/welke-groep/straten").get_data(as_text=True)
