"""GET /api/v1/areas and POST /api/v1/areas/at: GeoJSON and point lookups, no personal data."""

import json

import pytest
from shapely.geometry import shape

from buurt.models import ResidentStatus

# A point well inside Rijnsoever-Oost and one in Hoornes-West (outside Rijnsoever), both Katwijk.
OOST = (52.2093, 4.4325)
HOORNES = (52.2060, 4.4120)


def test_areas_is_a_feature_collection_with_fill(client, groups, make_resident):
    for _ in range(3):
        make_resident(groups[4], status=ResidentStatus.ADDED)
    data = client.get("/api/v1/areas").get_json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 5
    by_group = {f["properties"]["group"]: f for f in data["features"]}
    oost = by_group[groups[4].name]["properties"]
    assert oost["members"] == 3
    assert oost["capacity"] == 256
    assert oost["fill"] == pytest.approx(3 / 256, abs=1e-4)
    for f in data["features"]:
        assert shape(f["geometry"]).is_valid
    assert "Fictief" not in json.dumps(data)


def test_area_at_finds_the_covering_group(client, groups):
    response = client.post("/api/v1/areas/at", json={"lat": OOST[0], "lon": OOST[1]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "found"
    assert body["group"]["name"] == groups[4].name
    assert body["area"]["key"] == "rijnsoever-oost"


def test_area_at_outside_is_404_with_nearest_group(client):
    response = client.post("/api/v1/areas/at", json={"lat": HOORNES[0], "lon": HOORNES[1]})
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == "outside"
    assert body["nearest_group"]["name"]
    assert body["nearest_distance_m"] > 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"lat": "abc", "lon": 4.42}, "getallen"),
        ({"lat": 52.21}, "getallen"),
        ({"lat": "nan", "lon": 4.42}, "getallen"),
        ({"lat": True, "lon": 4.42}, "getallen"),
        ({"lat": [52.21], "lon": 4.42}, "getallen"),
        ({"lat": "52,2115", "lon": "4,4236x"}, "getallen"),
        ({"lat": OOST[1], "lon": OOST[0]}, "verwisseld"),
        ({"lat": 48.85, "lon": 2.35}, "niet in Nederland"),
        ({"lat": 95, "lon": 4.4}, "tussen"),
        ([52.21, 4.42], "JSON-body"),
    ],
)
def test_area_at_rejects_bad_points_with_a_reason(client, body, reason):
    response = client.post("/api/v1/areas/at", json=body)
    assert response.status_code == 400
    assert reason in response.get_json()["message"]


def test_area_at_takes_a_comma_as_decimal_separator(client, groups):
    response = client.post("/api/v1/areas/at", json={"lat": str(OOST[0]).replace(".", ","), "lon": str(OOST[1])})
    assert response.status_code == 200
    assert response.get_json()["area"]["key"] == "rijnsoever-oost"


def test_a_point_in_the_url_is_refused_and_not_looked_up(client):
    """Issue 13: a home point in a query string would land in every proxy's access log."""
    response = client.get(f"/api/v1/areas/at?lat={OOST[0]}&lon={OOST[1]}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    body = response.get_json()
    assert "group" not in body
    assert "POST" in body["message"]


def test_which_cli_prints_the_group_for_a_point(runner, groups):
    result = runner.invoke(args=["buurt", "which", "--lat", str(OOST[0]), "--lon", str(OOST[1])])
    assert result.exit_code == 0, result.output
    assert groups[4].name in result.output


def test_which_cli_outside_exits_nonzero(runner):
    result = runner.invoke(args=["buurt", "which", "--lat", str(HOORNES[0]), "--lon", str(HOORNES[1])])
    assert result.exit_code == 1
    assert "outside" in result.output
