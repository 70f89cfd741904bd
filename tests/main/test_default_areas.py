"""The shipped default: 5 areas that tile the 4 CBS buurten of Rijnsoever, no gap, no overlap."""

import json
from pathlib import Path

import shapely
from shapely.geometry import shape

from buurt.geo.polygons import area_m2, check_tiling, find_overlaps, parse_area_collection
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood

DATA = Path(__file__).resolve().parents[2] / "buurt" / "data"


def _load(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_five_areas_tile_rijnsoever_without_gap_or_overlap():
    areas = parse_area_collection(_load("rijnsoever_areas.geojson"), key_property="key")
    assert len(areas) == 5
    outline = next(f for f in _load("rijnsoever_2024.geojson")["features"] if f["properties"]["naam"] == "Rijnsoever")
    assert find_overlaps(areas) == []
    assert check_tiling(areas, outline=shape(outline["geometry"])) == []
    union = shapely.union_all([a.geometry for a in areas])
    assert abs(area_m2(union) - area_m2(shape(outline["geometry"]))) < 1000  # m², rounding of the cut


def test_areas_cover_exactly_the_four_rijnsoever_buurten():
    buurten = [f for f in _load("katwijk_buurten_2024.geojson")["features"] if f["properties"]["in_rijnsoever"]]
    assert sorted(f["properties"]["buurtnaam"] for f in buurten) == [
        "Rijnsoever-Midden",
        "Rijnsoever-Noord",
        "Rijnsoever-Oost",
        "Rijnsoever-West",
    ]
    areas = _load("rijnsoever_areas.geojson")["features"]
    assert sum(f["properties"]["huishoudens"] for f in areas) == 3145
    midden = shape(next(f for f in buurten if f["properties"]["buurtnaam"] == "Rijnsoever-Midden")["geometry"])
    halves = [shape(f["geometry"]) for f in areas if f["properties"]["buurtcode"] == "BU05370106"]
    assert len(halves) == 2
    assert abs(area_m2(halves[0]) - area_m2(halves[1])) / area_m2(midden) < 0.01


def test_init_is_idempotent(runner, app):
    from buurt.extensions import db

    before = [db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (Neighbourhood, Group, Area)]
    assert before == [1, 5, 5]
    db.session.remove()
    # `init` runs migrations; the test schema was made with create_all, so stamp it first
    import flask_migrate

    flask_migrate.stamp()
    for _ in range(2):
        result = runner.invoke(args=["buurt", "init"])
        assert result.exit_code == 0, result.output
        assert "behouden" in result.output
    after = [db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (Neighbourhood, Group, Area)]
    assert after == before
    assert db.session.scalar(db.select(db.func.count()).select_from(BoundaryGeneration)) == 1
