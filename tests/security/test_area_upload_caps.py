"""Area uploads are capped before any geometry is built: size, nesting depth, areas and vertices.

Issue 12, finding 10: a 10,000-deep nested file gave a 500 (RecursionError in json.loads), and a valid
1.8 MB file of the real areas densified to 80,000 vertices kept the worker busy 34 s (check_tiling's
overlays grow faster than linearly) until gunicorn killed it. Files are built from the real data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import box, mapping, shape

from buurt.extensions import db
from buurt.geo.polygons import MAX_JSON_DEPTH, AreaValidationError, json_depth, parse_area_collection
from buurt.models import BoundaryGeneration, Role

REAL = Path(__file__).resolve().parents[2] / "buurt" / "data" / "rijnsoever_areas.geojson"


def densified(vertices: int) -> bytes:
    """The real Rijnsoever areas with about `vertices` vertices in all on the same edges (still valid)."""
    document = json.loads(REAL.read_text())
    geoms = [shape(feature["geometry"]) for feature in document["features"]]
    step = sum(geom.length for geom in geoms) / vertices
    for feature, geom in zip(document["features"], geoms, strict=True):
        dense = shapely.transform(shapely.segmentize(geom, step), lambda c: c.round(7))
        feature["geometry"] = json.loads(json.dumps(mapping(dense)))
    return json.dumps(document, separators=(",", ":")).encode()


def upload(client, data: bytes, name: str = "gebieden.geojson"):
    """POST the file as a browser does. The body is built here: werkzeug's test client spools a body over
    500 kB to a temporary file it never closes (a ResourceWarning in a later test)."""
    boundary = "buurt-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/geo+json\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post("/beheer/gebieden/nieuw", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def proposals() -> list[BoundaryGeneration]:
    return list(db.session.scalars(db.select(BoundaryGeneration).filter(BoundaryGeneration.activated_at.is_(None))))


@pytest.fixture
def coordinator(client, login, make_user, groups):
    login(make_user(Role.COORDINATOR))


def test_the_real_cbs_areas_still_import(client, coordinator):
    response = upload(client, REAL.read_bytes())
    assert response.status_code == 302
    assert len(proposals()) == 1


def test_80000_vertices_are_refused_with_the_limit(client, app, coordinator):
    data = densified(80_000)
    assert len(data) < app.config["AREA_UPLOAD_MAX_BYTES"]  # within the size limit: the vertices decide
    response = upload(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "hoekpunten; er mogen er hoogstens 20.000 zijn" in page
    assert "een gebied mag er hoogstens 5.000 hebben" in page
    assert "Vereenvoudig de randen" in page
    assert proposals() == []


def test_just_under_the_caps_is_accepted(client, app, coordinator):
    """The caps refuse what is over them, not what is near them: 4,000 vertices in each of the 5 areas."""
    document = json.loads(REAL.read_text())
    for feature in document["features"]:
        geom = shape(feature["geometry"])
        dense = shapely.transform(shapely.segmentize(geom, geom.length / 3990), lambda c: c.round(7))
        feature["geometry"] = json.loads(json.dumps(mapping(dense)))
    counts = [shapely.get_num_coordinates(shape(f["geometry"])) for f in document["features"]]
    assert max(counts) <= app.config["AREA_MAX_VERTICES_PER_AREA"]
    assert 19_000 < sum(counts) <= app.config["AREA_MAX_VERTICES"]
    assert upload(client, json.dumps(document).encode()).status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"type": "FeatureCollection", "features": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b"{" + b'"a":{' * 5_000 + b"}" * 5_001,
    ],
    ids=["arrays", "in-features", "objects"],
)
def test_deep_nesting_is_a_clear_message_not_a_500(client, coordinator, data):
    response = upload(client, data)
    assert response.status_code == 200
    assert f"meer dan {MAX_JSON_DEPTH} niveaus diep genest" in response.get_data(as_text=True)
    assert proposals() == []


def test_deep_properties_in_a_valid_file_are_refused(client, coordinator):
    document = json.loads(REAL.read_text())
    nested: list = []
    for _ in range(MAX_JSON_DEPTH):
        nested = [nested]
    document["features"][0]["properties"]["extra"] = nested
    response = upload(client, json.dumps(document).encode())
    assert "niveaus diep genest" in response.get_data(as_text=True)


def test_too_many_areas_are_refused_before_their_geometry_is_read(client, app, coordinator):
    limit = app.config["AREA_MAX_FEATURES"]
    features = [
        {
            "type": "Feature",
            "properties": {"naam": f"Vak {i}"},
            "geometry": mapping(box(4.40 + i * 1e-4, 52.20, 4.40 + (i + 1) * 1e-4, 52.2001)),
        }
        for i in range(limit + 1)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    response = upload(client, data)
    page = response.get_data(as_text=True)
    assert f"bevat {limit + 1} gebieden; er mogen hoogstens {limit} in één bestand" in page
    assert proposals() == []


def test_depth_ignores_brackets_inside_strings():
    assert json_depth(b'{"naam": "[[[[{{{{\\"[[[["}') == 1
    assert json_depth(b"[[1, [2]], {}]") == 3
    assert json_depth(b"") == 0


def test_caps_hold_for_every_caller_of_the_parser():
    """The CLI import and stored proposals use parse_area_collection too (defaults without Flask)."""
    with pytest.raises(AreaValidationError) as caught:
        parse_area_collection(densified(30_000))
    assert {problem.code for problem in caught.value.problems} >= {"too_many_vertices"}
