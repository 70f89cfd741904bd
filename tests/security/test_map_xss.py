"""Names never run as code in a map (issue 12, finding 1).

folium puts tooltip text inside a JavaScript template literal and Leaflet shows it with innerHTML;
layer names and GeoJSON tooltip values also end up in innerHTML. Every builder is fed one hostile
name in every string it takes, then every map route is rendered with hostile group, area and
street names: no executable form of the name may be left in the document.
"""

from __future__ import annotations

import html as htmllib
import io
import json
import re

import pytest

from buurt.extensions import db
from buurt.geo.coverage import Cell, comparison_map, coverage_map
from buurt.geo.folium_assets import render_map_document
from buurt.geo.incident_maps import (
    IncidentMapLabels,
    IncidentPoint,
    MeldingPoint,
    OutlineArea,
    PublicCellShape,
    incident_map,
    incident_map_document,
    public_incident_map,
)
from buurt.geo.maps import LegendItem, LegendSection, MapArea, areas_map, point_map_template, tooltip_html
from buurt.meldingen.maps import MapGroup, routing_map
from buurt.models import Incident, IncidentCategory, Role, utcnow
from tests.security.hostile_names import store_hostile_names

#: Each part breaks out of a different context if the name is not encoded for it:
#: a backtick ends folium's template literal, ${...} runs inside it, \x3c becomes "<" in it,
#: </script> ends the script element, "> and <img> break out of an attribute or into markup.
IN_SCRIPT = "H`+alert(1)+`${alert(2)}\\x3cimg src=y onerror=alert(3)\\x3e"
IN_MARKUP = '</script><script>alert(4)</script>"><img src=x onerror=alert(5)>\\'
HOSTILE = IN_SCRIPT + IN_MARKUP
#: For str.format templates (a translated "{count} leden {label}"): the same, braces doubled.
HOSTILE_FORMAT = HOSTILE.replace("{", "{{").replace("}", "}}")

#: What the hostile name must never leave behind (raw, or JSON-escaped as folium's tojson does).
EXECUTABLE = (
    "`+alert(1)",
    "${alert(2)}",
    "\\x3cimg",
    "<script>alert(4)",
    "<img src=x",
    "\\u003cimg",
    "\\u003cscript",
    "\\u003c/script",
)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[4.41, 52.21], [4.42, 52.21], [4.42, 52.215], [4.41, 52.215], [4.41, 52.21]]],
}
RING = [(4.411, 52.211), (4.412, 52.211), (4.412, 52.212), (4.411, 52.212), (4.411, 52.211)]


def without_incident_data(document: str) -> str:
    """The document minus window.BUURT_INCIDENTS: that JSON is read with textContent, never as HTML."""
    return re.sub(r"window\.BUURT_INCIDENTS = \{.*?\};</script>", "", document, flags=re.S)


def assert_inert(document: str, *, shown: bool = True) -> None:
    found = [form for form in EXECUTABLE if form in document]
    assert found == [], f"executable forms of a hostile name in the map: {found}"
    if shown:
        # encoded, not dropped: the browser shows the name as typed
        assert "&#36;{alert(2)}" in document or "&amp;#36;{alert(2)}" in document


def area(name: str = HOSTILE, **fields) -> MapArea:
    return MapArea(key="k", name=name, geometry=SQUARE, lines=(HOSTILE, "gewone regel"), fill=0.3, **fields)


# --- the pure builders ------------------------------------------------------------------------------


def test_map_text_encodes_for_html_inside_a_template_literal():
    from buurt.geo.maps import map_text

    assert map_text("a`b${c}\\d<e>&\"'") == "a&#96;b&#36;{c}&#92;d&lt;e&gt;&amp;&quot;&#x27;"
    assert map_text("Rijnsoever-Noord") == "Rijnsoever-Noord"


def test_tooltip_html_leaves_nothing_executable():
    assert_inert(tooltip_html(HOSTILE, (HOSTILE,)))


def test_areas_map_with_hostile_names():
    m = areas_map(
        [area()],
        legend_title=HOSTILE,
        legend=[LegendItem("#ffffff", HOSTILE)],
        point=(52.212, 4.415),
        point_label=HOSTILE,
    )
    assert_inert(render_map_document(m))


def test_lookup_map_template_with_hostile_names():
    template = point_map_template([area(highlight=True)], point_label=HOSTILE)
    assert_inert(template.render(52.212, 4.415))


def test_coverage_map_with_hostile_names_labels_and_layers():
    cell = Cell(geometry=SQUARE, lat=52.212, lon=4.415, count=7, label=HOSTILE)
    m = coverage_map(
        [area(), area(name="Tweede " + HOSTILE)],
        [cell],
        [cell],
        legend=[LegendSection(HOSTILE, (LegendItem("#ffffff", HOSTILE),))],
        density_layer_name=HOSTILE,
        density_tip=HOSTILE_FORMAT + " {count} {label}",
        pending_layer_name=HOSTILE,
        pending_tip=HOSTILE_FORMAT + " {count} {label}",
    )
    assert_inert(render_map_document(m))


def test_comparison_map_with_hostile_names():
    m = comparison_map([area()], [area()], legend=[LegendSection(HOSTILE, (LegendItem("#ffffff", HOSTILE),))])
    assert_inert(render_map_document(m))


def test_incident_map_with_hostile_names():
    labels = IncidentMapLabels(
        categories=[HOSTILE],
        colours=["#ff0000"],
        months=[HOSTILE],
        detail_url="/incidenten/{id}",
        open_label=HOSTILE,
        all_months=HOSTILE,
        slider_label=HOSTILE,
        clusters=HOSTILE,
        heatmap=HOSTILE,
        meldingen=HOSTILE,
        areas=HOSTILE,
    )
    m = incident_map(
        [IncidentPoint(1, 52.212, 4.415, 0, 0, 28_000_000)],
        labels,
        meldingen=[MeldingPoint(52.212, 4.416, HOSTILE, HOSTILE)],
        areas=[OutlineArea(HOSTILE, SQUARE)],
    )
    document = incident_map_document(m)
    assert_inert(without_incident_data(document))
    data = re.search(r"window\.BUURT_INCIDENTS = (\{.*?\});</script>", document, flags=re.S).group(1)
    assert "<" not in data  # the JSON cannot end the script element
    assert json.loads(data)["categories"] == [HOSTILE]  # shown with textContent: kept as typed


def test_public_incident_map_with_hostile_names():
    m = public_incident_map(
        [PublicCellShape(RING, 2, (HOSTILE,))],
        [OutlineArea(HOSTILE, SQUARE)],
        max_zoom=16,
        title_of={"cell": HOSTILE_FORMAT + " {n}", "areas": HOSTILE},
        legend_title=HOSTILE,
        legend=[("#ffffff", HOSTILE)],
    )
    assert_inert(render_map_document(m))


def test_melding_routing_map_with_hostile_names():
    labels = dict.fromkeys(("inside", "distance", "neighbour", "target", "radius", "point"), HOSTILE)
    groups = [MapGroup(HOSTILE, (SQUARE,), 0.0, False, HOSTILE), MapGroup(HOSTILE, (SQUARE,), 120.0, True, HOSTILE)]
    assert_inert(render_map_document(routing_map(52.212, 4.415, 300, groups, labels)))


# --- every map route, with hostile names stored where people can set them --------------------------


@pytest.fixture
def hostile_names(app, groups, make_resident, make_address):
    """Hostile group names, area names and a hostile street with members and open sign-ups."""
    for n, group in enumerate(groups):
        group.name = f"G{n} {HOSTILE}"[:120]
    store_hostile_names(groups, make_resident, make_address, in_script=IN_SCRIPT, in_markup=IN_MARKUP)
    return groups


def _upload(client, groups) -> str:
    from buurt.areas import files

    doc = files.current_collection()
    for n, feature in enumerate(doc["features"]):
        feature["properties"]["naam"] = f"U{n} {IN_MARKUP if n % 2 else IN_SCRIPT}"
    doc["features"][0]["properties"]["groep"] = "nieuwe-groep"
    doc["features"][0]["properties"]["groepsnaam"] = "N " + HOSTILE
    response = client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(json.dumps(doc).encode()), "vijandig.geojson")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True).split("<h1>", 1)[1][:3000]
    return response.headers["Location"] + "/kaart"


def test_every_map_route_keeps_hostile_names_inert(client, login, make_user, hostile_names):
    from buurt.meldingen.location import Location
    from buurt.meldingen.services import create_melding

    groups = hostile_names
    coordinator = make_user(Role.COORDINATOR)
    now = utcnow()
    incident = Incident(
        category=IncidentCategory.FIETSDIEFSTAL,
        occurred_at=now,
        reported_at=now,
        lat=52.2127,
        lon=4.413965,
        description=HOSTILE,
        group_id=groups[0].id,
    )
    db.session.add(incident)
    db.session.commit()
    melding = create_melding(
        user=coordinator,
        received_text=HOSTILE,
        category="woninginbraak",
        occurred_at=now.replace(tzinfo=None),
        location=Location(lat=52.2127, lon=4.413965, label=HOSTILE, street=HOSTILE, kind="kaart"),
        radius_m=300,
    )

    documents = {"home": client.get("/kaart/dekking").get_data(as_text=True)}
    documents["public incidents"] = client.get("/incidenten/openbaar/kaart").get_data(as_text=True)
    page = client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"}).get_data(as_text=True)
    documents["lookup"] = htmllib.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    login(coordinator)
    documents["coverage"] = client.get("/beheer/dekking/kaart").get_data(as_text=True)
    documents["coverage focus"] = client.get(f"/beheer/dekking/kaart?groep={groups[1].id}").get_data(as_text=True)
    documents["generation"] = client.get("/beheer/gebieden/1/kaart").get_data(as_text=True)
    documents["split"] = client.get(f"/beheer/groep/{groups[1].id}/splitsen/kaart").get_data(as_text=True)
    documents["proposal"] = client.get(_upload(client, groups)).get_data(as_text=True)
    documents["melding"] = client.get(f"/meldingen/{melding.id}/kaart").get_data(as_text=True)
    documents["incidents"] = without_incident_data(client.get("/incidenten/kaart").get_data(as_text=True))
    for name, document in documents.items():
        assert "leaflet" in document, name
        try:
            assert_inert(document)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


def test_a_tooltip_or_layer_name_that_skipped_map_text_is_refused():
    """The guard in render_map_document: a future builder that forgets map_text fails loudly."""
    import folium

    from buurt.geo.folium_assets import UnsafeMapText, make_map

    for add in (
        lambda m: folium.Marker([52.21, 4.41], tooltip="Groep ${alert(1)}").add_to(m),
        lambda m: folium.FeatureGroup(name="<img src=x onerror=alert(1)>").add_to(m),
        lambda m: folium.GeoJson(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"tip": "<b>x</b>"}, "geometry": SQUARE}],
            },
            tooltip=folium.GeoJsonTooltip(fields=["tip"]),
        ).add_to(m),
    ):
        m = make_map(location=[52.21, 4.41])
        add(m)
        with pytest.raises(UnsafeMapText):
            render_map_document(m)
    m = make_map(location=[52.21, 4.41])
    folium.Marker([52.21, 4.41], tooltip=tooltip_html(HOSTILE, ())).add_to(m)
    assert_inert(render_map_document(m))
