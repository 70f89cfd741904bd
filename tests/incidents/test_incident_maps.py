"""The pure map builders in buurt.geo.incident_maps (no Flask, no database)."""

from __future__ import annotations

import json
import random
import re

from buurt.geo.folium_assets import external_assets
from buurt.geo.incident_maps import (
    IncidentMapLabels,
    IncidentPoint,
    MeldingPoint,
    PublicCellShape,
    incident_map,
    incident_map_document,
    public_incident_map,
    public_incident_map_document,
)

LABELS = IncidentMapLabels(["Brand"] * 10, ["#000000"] * 10, ["jan 2026"], "/incidenten/{id}")


def points(n: int) -> list[IncidentPoint]:
    rng = random.Random(1)
    return [
        IncidentPoint(i, 52.21 + rng.random() / 100, 4.42 + rng.random() / 100, i % 10, 0, 29_000_000 + i)
        for i in range(n)
    ]


def payload(html: str) -> dict:
    return json.loads(re.search(r"window\.BUURT_INCIDENTS = (\{.*?\});</script>", html).group(1))


def test_ten_thousand_incidents_stay_small_and_use_no_marker_per_point():
    html = incident_map_document(incident_map(points(10_000), LABELS))
    assert len(html.encode()) < 1_000_000
    assert "L.marker(" not in html
    assert html.count("L.markerClusterGroup(") == 1
    assert len(payload(html)["points"]) == 10_000
    assert external_assets(html) == []
    assert "jquery" not in html.lower()  # this map needs no jQuery or Font Awesome


def test_labels_cannot_break_out_of_the_script():
    evil = IncidentMapLabels(
        ["</script><script>alert(1)</script>"] * 10, ["#000000"] * 10, ["<!--"], "/incidenten/{id}"
    )
    html = incident_map_document(incident_map(points(3), evil))
    assert "</script><script>alert(1)" not in html
    assert payload(html)["categories"][0] == "</script><script>alert(1)</script>"


def test_melding_titles_are_escaped():
    html = incident_map_document(
        incident_map([], LABELS, meldingen=[MeldingPoint(52.21, 4.42, "<img src=x onerror=alert(1)>", "1 jan")])
    )
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_public_map_caps_zoom_and_draws_only_cells():
    ring = [(4.42, 52.21), (4.422, 52.21), (4.422, 52.2113), (4.42, 52.2113), (4.42, 52.21)]
    m = public_incident_map(
        [PublicCellShape(ring, 3, ("3 × Brand",))],
        [],
        max_zoom=15,
        title_of={"cell": "{n} meldingen"},
        legend_title="Legenda",
        legend=[("#fde68a", "1")],
    )
    html = public_incident_map_document(m)
    assert ".setMaxZoom(15)" in html
    assert "3 meldingen" in html
    assert "L.markerClusterGroup" not in html
    assert "L.heatLayer" not in html
