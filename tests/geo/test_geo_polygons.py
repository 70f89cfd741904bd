"""polygons: parsing, validation messages (Dutch, with place), overlaps, gaps, output."""

import json

import pytest
import shapely
from shapely.geometry import MultiPolygon, box, shape

from buurt.geo.polygons import (
    AreaFeature,
    AreaValidationError,
    area_m2,
    check_tiling,
    parse_area_collection,
    to_feature_collection,
)


def problems_of(data, **kwargs):
    with pytest.raises(AreaValidationError) as caught:
        parse_area_collection(data, **kwargs)
    return caught.value.problems


def square(lon, lat, size=0.01):
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def feature(name, geometry, **properties):
    return {"type": "Feature", "properties": {"naam": name, **properties}, "geometry": geometry}


def test_parses_literal_squares_with_keys_names_and_properties(areas_from):
    areas = areas_from("squares_2x2.geojson")
    assert [area.key for area in areas] == ["nw", "ne", "sw", "se"]
    assert [area.name for area in areas] == ["Noordwest", "Noordoost", "Zuidwest", "Zuidoost"]
    assert areas[0].geometry.equals(box(4.40, 52.21, 4.41, 52.22))
    assert areas[0].properties == {"key": "nw", "naam": "Noordwest"}


def test_key_defaults_to_feature_id_then_name():
    data = collection(
        {**feature("Met id", {"type": "Polygon", "coordinates": [square(4.40, 52.20)]}), "id": "g1"},
        feature("Zonder id", {"type": "Polygon", "coordinates": [square(4.41, 52.20)]}),
    )
    assert [area.key for area in parse_area_collection(data)] == ["g1", "Zonder id"]


def test_accepts_text_bytes_and_a_single_feature():
    one = feature("Een", {"type": "Polygon", "coordinates": [square(4.40, 52.20)]})
    assert parse_area_collection(json.dumps(one))[0].name == "Een"
    assert parse_area_collection(json.dumps(collection(one)).encode())[0].name == "Een"


def test_geometry_is_oriented_2d_and_keeps_holes(areas_from):
    (ring,) = areas_from("ring_with_hole.geojson")
    assert len(ring.geometry.interiors) == 1
    assert ring.geometry.exterior.is_ccw
    data = collection(feature("Z", {"type": "Polygon", "coordinates": [[[x, y, 1.0] for x, y in square(4.4, 52.2)]]}))
    assert not parse_area_collection(data)[0].geometry.has_z


def test_multipolygon_area(areas_from):
    areas = areas_from("multipolygon.geojson")
    assert isinstance(areas[0].geometry, MultiPolygon)
    assert len(areas[0].geometry.geoms) == 2


def test_bowtie_is_rejected_with_dutch_reason_and_place(geojson):
    (problem,) = problems_of(geojson("bowtie.geojson"), key_property="key")
    assert problem.code == "invalid_geometry"
    assert "'Vlinderdas' (nr. 2)" in problem.message
    assert "zelfdoorsnijding" in problem.message
    assert "bij 52.20500, 4.40500" in problem.message
    assert (problem.lat, problem.lon) == (pytest.approx(52.205), pytest.approx(4.405))
    assert problem.feature_index == 1


def test_swapped_lat_lon_is_rejected_with_a_hint(geojson):
    (problem,) = problems_of(geojson("swapped.geojson"), key_property="key")
    assert problem.code == "swapped_coordinates"
    assert "'Omgedraaid'" in problem.message
    assert "lijken lat/lon verwisseld" in problem.message


def test_outside_the_netherlands_is_rejected_without_swap_hint():
    paris = collection(feature("Parijs", {"type": "Polygon", "coordinates": [square(2.35, 48.85)]}))
    (problem,) = problems_of(paris)
    assert problem.code == "outside_netherlands"
    assert "buiten Nederland" in problem.message
    assert "verwisseld" not in problem.message


@pytest.mark.parametrize(
    ("data", "code", "text"),
    [
        ("{niet json", "not_json", "geen geldige GeoJSON"),
        (b"\xff\xfe", "not_json", "geen geldige GeoJSON"),
        ('{"type": "Point", "coordinates": [4.4, 52.2]}', "not_feature_collection", "FeatureCollection"),
        ('{"type": "FeatureCollection"}', "not_feature_collection", "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "no_features", "geen gebieden"),
    ],
)
def test_rejects_documents_that_are_not_area_collections(data, code, text):
    (problem,) = problems_of(data)
    assert problem.code == code
    assert text in problem.message


def test_rejects_too_large_files_before_parsing():
    (problem,) = problems_of(b" " * 2000, max_bytes=1000)
    assert problem.code == "too_large"
    assert "te groot" in problem.message


def test_collects_every_feature_problem_at_once():
    data = collection(
        feature("Punt", {"type": "Point", "coordinates": [4.4, 52.2]}),
        feature("Leeg", {"type": "Polygon", "coordinates": []}),
        feature("", {"type": "Polygon", "coordinates": [square(4.40, 52.20)]}),
        feature("Dubbel", {"type": "Polygon", "coordinates": [square(4.41, 52.20)]}),
        feature("dubbel", {"type": "Polygon", "coordinates": [square(4.42, 52.20)]}),
        feature("Kapot", {"type": "Polygon", "coordinates": [[[4.4, 52.2], [4.5]]]}),
        feature("Geen geometrie", None),
    )
    codes = [(problem.code, problem.feature_index) for problem in problems_of(data)]
    assert codes == [
        ("geometry_type", 0),
        ("empty", 1),
        ("missing_name", 2),
        ("duplicate_name", 4),
        ("invalid_coordinates", 5),
        ("geometry_type", 6),
    ]


def test_duplicate_keys_are_rejected():
    data = collection(
        feature("A", {"type": "Polygon", "coordinates": [square(4.40, 52.20)]}, key="k"),
        feature("B", {"type": "Polygon", "coordinates": [square(4.41, 52.20)]}, key="k"),
    )
    (problem,) = problems_of(data, key_property="key")
    assert problem.code == "duplicate_key"


def test_overlap_names_the_pair_and_the_surface(geojson):
    (problem,) = problems_of(geojson("overlap.geojson"), key_property="key")
    expected = area_m2(box(4.405, 52.20, 4.41, 52.21))
    assert problem.code == "overlap"
    assert "'Links' en 'Rechts'" in problem.message
    assert f"{expected:,.0f}".replace(",", ".") + " m²" in problem.message
    assert 370_000 < expected < 390_000


def test_overlap_below_tolerance_is_accepted():
    sliver = 0.0000005  # 3.4 cm wide, 1112 m long: about 38 m²
    data = collection(
        feature("A", {"type": "Polygon", "coordinates": [square(4.40, 52.20)]}),
        feature("B", {"type": "Polygon", "coordinates": [square(4.41 - sliver, 52.20)]}),
    )
    assert len(parse_area_collection(data, overlap_tolerance_m2=50)) == 2
    assert problems_of(data)[0].code == "overlap"


def test_shared_edges_are_not_overlaps(areas_from):
    assert len(areas_from("squares_2x2.geojson")) == 4


def test_tiling_without_gaps(areas_from):
    areas = areas_from("squares_2x2.geojson")
    assert check_tiling(areas) == []
    assert check_tiling(areas, outline=box(4.40, 52.20, 4.42, 52.22)) == []


def test_gap_between_areas_is_reported_with_surface_and_place(areas_from):
    (problem,) = check_tiling(areas_from("gap.geojson"))
    assert problem.code == "gap"
    assert f"{area_m2(box(4.41, 52.21, 4.42, 52.22)):,.0f}".replace(",", ".") in problem.message
    assert box(4.41, 52.21, 4.42, 52.22).contains(shapely.Point(problem.lon, problem.lat))


def test_hole_in_a_single_area_is_a_gap(areas_from):
    (problem,) = check_tiling(areas_from("ring_with_hole.geojson"))
    assert problem.code == "gap"


def test_outline_not_covered_and_areas_outside_it(areas_from):
    areas = areas_from("squares_2x2.geojson")
    problems = check_tiling(areas, outline=box(4.40, 52.20, 4.43, 52.22))
    assert [problem.code for problem in problems] == ["uncovered"]
    assert "valt in geen enkel gebied" in problems[0].message

    problems = check_tiling(areas, outline=box(4.40, 52.20, 4.42, 52.215))
    assert [(problem.code, problem.feature_index) for problem in problems] == [
        ("outside_outline", 0),
        ("outside_outline", 1),
    ]
    assert "'Noordwest'" in problems[0].message


def test_gap_tolerance_ignores_slivers():
    sliver = 0.0000005  # about 38 m²
    areas = [
        AreaFeature("a", "A", box(4.40, 52.20, 4.41, 52.21)),
        AreaFeature("b", "B", box(4.41 + sliver, 52.20, 4.42, 52.21)),
    ]
    outline = box(4.40, 52.20, 4.42, 52.21)
    assert check_tiling(areas, outline=outline, gap_tolerance_m2=50) == []
    assert check_tiling(areas, outline=outline)[0].code == "uncovered"


def test_float_noise_does_not_hide_a_gap():
    # 52.20 + 0.02 != 52.22 in floating point; the overlay grid absorbs that.
    cells = [(i, j) for i in range(3) for j in range(3) if (i, j) != (1, 1)]
    areas = [
        AreaFeature(f"{i}{j}", f"{i}{j}", box(4.40 + 0.01 * i, 52.20 + 0.01 * j, 4.41 + 0.01 * i, 52.21 + 0.01 * j))
        for i, j in cells
    ]
    assert [problem.code for problem in check_tiling(areas)] == ["gap"]


def test_rijnsoever_buurten_tile_their_union(rijnsoever_buurten):
    union = shapely.union_all([area.geometry for area in rijnsoever_buurten])
    assert check_tiling(rijnsoever_buurten, outline=union) == []
    total = sum(area_m2(area.geometry) for area in rijnsoever_buurten)
    assert total == pytest.approx(1_170_000, rel=0.01)
    for area in rijnsoever_buurten:
        assert area_m2(area.geometry) == pytest.approx(area.properties["area_m2_generalized"], rel=0.001)


def test_feature_collection_round_trip(areas_from):
    areas = areas_from("multipolygon.geojson")
    document = to_feature_collection(areas)
    assert [feature["id"] for feature in document["features"]] == ["twee-delen", "midden"]
    assert document["features"][0]["properties"]["naam"] == "Twee delen"
    json.dumps(document)  # plain JSON types only
    again = parse_area_collection(document)
    for before, after in zip(areas, again, strict=True):
        assert before.geometry.equals(after.geometry)


def test_feature_collection_rounds_to_six_decimals():
    area = AreaFeature("x", "X", box(4.401234567, 52.2, 4.41, 52.21))
    geometry = to_feature_collection([area])["features"][0]["geometry"]
    assert geometry["type"] == "Polygon"
    assert 4.401235 in [point[0] for point in geometry["coordinates"][0]]
    assert shape(geometry).is_valid


def test_area_m2_in_rd():
    assert area_m2(box(4.40, 52.20, 4.41, 52.21)) == pytest.approx(683 * 1112, rel=0.01)
