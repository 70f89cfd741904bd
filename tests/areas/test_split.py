"""Split proposals: straight cut with balanced counts, on literal squares and on a real group."""

import io
import json

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from buurt.areas.split import SplitImpossible, propose_split
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.models import BoundaryGeneration, Group, ResidentStatus, Role

SQUARE = box(4.410, 52.205, 4.420, 52.211)  # about 680 x 670 m


def test_balanced_split_of_a_square():
    rng = np.random.default_rng(3)
    lats = np.concatenate([rng.uniform(52.2052, 52.2058, 30), rng.uniform(52.2100, 52.2108, 31)])
    lons = rng.uniform(4.4105, 4.4195, 61)
    result = propose_split(SQUARE, lats, lons)
    assert result.imbalance <= 1
    assert result.count_a + result.count_b == 61
    assert abs(area_m2(result.part_a) + area_m2(result.part_b) - area_m2(SQUARE)) < 5
    assert area_m2(shapely.intersection(result.part_a, result.part_b)) < 1
    assert result.gap_m > 100  # the cut runs through the empty middle, away from the houses


def test_too_few_members_splits_by_surface():
    result = propose_split(SQUARE, [], [])
    assert result.by_surface
    assert abs(area_m2(result.part_a) - area_m2(result.part_b)) / area_m2(SQUARE) < 0.01


def test_tiny_area_cannot_be_split():
    with pytest.raises(SplitImpossible):
        propose_split(box(4.41, 52.2, 4.41001, 52.20001), [], [])


def _fill(make_resident, group, n, seed=2):
    from shapely.geometry import shape

    from buurt.areas.services import current_areas

    geom = shape(next(a for a in current_areas().areas if a.group_id == group.id).geometry)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = geom.bounds
    made = 0
    while made < n:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if geom.contains(shapely.Point(lon, lat)):
            make_resident(group, status=ResidentStatus.ADDED, lat=lat, lon=lon, street="Fictieweg")
            made += 1


def _editor_form(page: str) -> dict[str, str]:
    """The editor's form as the page fills it (the fields of a split)."""
    from tests.areas.test_editor import _field

    return {name: _field(page, name) for name in ("bewerking", "gebied_a", "lijn", "nieuwe_naam", "nieuwe_groep")}


def test_split_flow_through_preview_and_confirm(client, login, make_user, groups, make_resident):
    group = groups[1]
    _fill(make_resident, group, 40)
    login(make_user(Role.COORDINATOR))
    html = client.get(f"/beheer/groep/{group.id}/splitsen").get_data(as_text=True)
    assert f"{group.name} 2" in html
    assert 'class="split-counts"' in html
    doc = client.get(f"/beheer/groep/{group.id}/splitsen/kaart").get_data(as_text=True)
    assert "map-legend" in doc
    # "Gebruik dit voorstel" opens the map editor with the cut drawn; posted unchanged it is the proposal
    assert f'href="/beheer/gebieden/bewerken?splits={group.id}"' in html
    editor = client.get(f"/beheer/gebieden/bewerken?splits={group.id}").get_data(as_text=True)
    response = client.post("/beheer/gebieden/bewerken", data=_editor_form(editor))
    assert response.status_code == 302
    assert "/gebieden/voorstel/" in response.headers["Location"]
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nieuwe groep" in preview
    assert 'class="moves"' in preview
    assert 'name="confirm_moves"' in preview  # half of the 40 move: more than AREA_IMPORT_MAX_MOVE_SHARE
    refused = client.post(response.headers["Location"] + "/bevestigen")
    assert refused.headers["Location"].endswith(response.headers["Location"])
    assert db.session.scalar(db.select(Group).filter_by(slug=f"{group.slug}-2")) is None
    confirm = client.post(response.headers["Location"] + "/bevestigen", data={"confirm_moves": "y"})
    assert confirm.status_code == 302
    db.session.expire_all()
    new = db.session.scalar(db.select(Group).filter_by(slug=f"{group.slug}-2"))
    assert new.name == f"{group.name} 2"
    counts = [
        db.session.scalar(
            db.select(db.func.count()).where(db.text("group_id = :g")).params(g=g_id).select_from(db.text("resident"))
        )
        for g_id in (group.id, new.id)
    ]
    assert sum(counts) == 40
    assert abs(counts[0] - counts[1]) <= 2
    assert db.session.scalar(db.select(BoundaryGeneration).filter_by(is_current=True)).number == 2


def test_beheerder_cannot_split(client, login, make_user, groups):
    login(make_user(Role.BEHEERDER, groups=[groups[1]]))
    assert client.get(f"/beheer/groep/{groups[1].id}/splitsen").status_code == 403


# --- browser-free upload flow ----------------------------------------------------------------------


def test_upload_shows_problems_then_preview_then_confirm(client, login, make_user, groups):
    from buurt.areas import files

    login(make_user(Role.COORDINATOR))
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"naam": "Omgedraaid"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[52.2, 4.4], [52.21, 4.4], [52.21, 4.41], [52.2, 4.4]]],
                },
            }
        ],
    }
    response = client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(json.dumps(bad).encode()), "fout.geojson")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "lat/lon verwisseld" in html
    limit = client.application.config["AREA_UPLOAD_MAX_BYTES"]
    client.application.config["AREA_UPLOAD_MAX_BYTES"] = 1000  # small bodies stay in memory in the test client
    response = client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(b" " * 2000), "groot.geojson")},
        content_type="multipart/form-data",
    )
    client.application.config["AREA_UPLOAD_MAX_BYTES"] = limit
    assert "te groot" in response.get_data(as_text=True)
    good = json.dumps(files.current_collection()).encode()
    response = client.post(
        "/beheer/gebieden/nieuw",
        data={"file": (io.BytesIO(good), "goed.geojson"), "note": "Herindeling"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "Niemand verandert van groep" in html
    assert "Herindeling" in html
    assert "gestippeld" in client.get(preview + "/kaart").get_data(as_text=True)
    assert client.post(preview + "/bevestigen").status_code == 302
    assert client.get(preview).status_code == 404  # used up
    html = client.get("/beheer/gebieden").get_data(as_text=True)
    assert "Generatie 1" in html
    assert "Generatie 2" in html
    assert "oud (alleen lezen)" in html
    assert client.get("/beheer/gebieden/1").status_code == 200
    assert client.get("/beheer/gebieden/1/kaart").status_code == 200
