"""Area proposals are inactive generations in the database: any process can show, confirm or discard them."""

import json
from datetime import timedelta

import pytest
import shapely
from shapely.geometry import box, mapping, shape

from buurt.areas import files, proposals
from buurt.areas.imports import ProposalGone
from buurt.extensions import db
from buurt.geo.polygons import area_m2
from buurt.models import BoundaryGeneration, Neighbourhood, Role, utcnow
from tests.conftest import PASSWORD, make_test_app


def _moved_boundary() -> dict:
    """The current areas with a strip of Midden Noord given to West (no resident lives there)."""
    doc = files.current_collection()
    features = {f["id"]: f for f in doc["features"]}
    west, north = shape(features["rijnsoever-west"]["geometry"]), shape(features["rijnsoever-midden-noord"]["geometry"])
    minx, miny, maxx, maxy = north.bounds
    strip = shapely.intersection(north, box(minx, miny, minx + (maxx - minx) * 0.4, maxy))
    features["rijnsoever-west"]["geometry"] = mapping(shapely.union(west, strip))
    features["rijnsoever-midden-noord"]["geometry"] = mapping(shapely.difference(north, strip))
    return json.loads(json.dumps(doc))


def _log_in(app, client, email: str) -> None:
    with app.app_context():
        response = client.post("/inloggen", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR)


def test_a_proposal_is_an_inactive_generation(groups, coordinator):
    doc = _moved_boundary()
    proposal = proposals.save_proposal(
        json.dumps(doc).encode(), source="nieuw.geojson", user_id=coordinator.id, note="Herindeling"
    )
    db.session.expire_all()
    row = db.session.get(BoundaryGeneration, proposal.id)
    assert (row.number, row.is_current, row.activated_at, row.is_proposal) == (None, False, None, True)
    assert row.document == doc
    assert row.areas == []
    assert (row.source, row.note, row.created_by_id) == ("nieuw.geojson", "Herindeling", coordinator.id)
    assert files.current_generation(row.neighbourhood).number == 1  # nothing changed
    assert proposals.load_proposal(proposal.id).id == proposal.id


def test_saved_through_one_app_confirmed_through_another(app, tmp_path, groups, coordinator):
    """No file on one host: a second app (another process, another instance folder) confirms it."""
    doc = _moved_boundary()
    proposal_id = proposals.save_proposal(doc, source="nieuw.geojson", user_id=coordinator.id).id
    email, coordinator_id = coordinator.email, coordinator.id
    db.session.close()  # this process keeps no transaction open while the other one writes
    other = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    assert other.instance_path != app.instance_path
    client = other.test_client()
    try:
        _log_in(other, client, email)
        with other.app_context():
            assert client.get(f"/beheer/gebieden/voorstel/{proposal_id}").status_code == 200
            response = client.post(f"/beheer/gebieden/voorstel/{proposal_id}/bevestigen")
            assert response.status_code == 302
            assert response.headers["Location"].endswith(f"/beheer/gebieden/{proposal_id}")
    finally:
        with other.app_context():  # the other app's own pool: closed here, not by a later test's GC
            db.session.remove()
            db.engine.dispose()

    db.session.expire_all()
    generation = db.session.get(BoundaryGeneration, proposal_id)  # the same row, now the current generation
    assert generation.number == 2
    assert generation.is_current
    assert generation.activated_at is not None
    assert generation.document is None
    assert generation.created_by_id == coordinator_id
    assert files.current_generation(generation.neighbourhood).id == proposal_id
    assert db.session.scalar(db.select(BoundaryGeneration).filter_by(number=1)).is_current is False
    wanted = {f["id"]: shape(f["geometry"]) for f in doc["features"]}
    stored = {a.key: shape(a.geometry) for a in generation.areas}
    assert stored.keys() == wanted.keys()
    for key, geometry in wanted.items():
        # the same areas; the import nodes them into one exact coverage (issue 17), which closes the
        # hairline channel the test's own union of West and the strip leaves (West arrives as a
        # MultiPolygon, is stored as one Polygon), so they are equal up to that, not vertex by vertex
        assert area_m2(shapely.symmetric_difference(stored[key], geometry)) < 1.0, key  # the channel: 0.24 m²
    assert proposals.load_proposal(proposal_id) is None  # activated: no longer a proposal


def test_confirm_twice_the_first_wins(groups, coordinator):
    proposal_id = proposals.save_proposal(_moved_boundary(), user_id=coordinator.id).id
    result = proposals.confirm_proposal(proposal_id, coordinator.id)
    assert (result.generation_id, result.number) == (proposal_id, 2)
    with pytest.raises(ProposalGone):
        proposals.confirm_proposal(proposal_id, coordinator.id)
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 2


def test_an_expired_proposal_is_gone(client, login, groups, coordinator):
    old = proposals.save_proposal(_moved_boundary(), user_id=coordinator.id)
    old.created_at = utcnow() - proposals.PROPOSAL_MAX_AGE - timedelta(minutes=1)
    db.session.commit()
    old_id = old.id
    login(coordinator)
    assert client.get(f"/beheer/gebieden/voorstel/{old_id}").status_code == 404
    assert db.session.get(BoundaryGeneration, old_id) is None  # deleted, not just hidden
    stale = proposals.save_proposal(_moved_boundary(), user_id=coordinator.id)
    stale.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    proposals.save_proposal(_moved_boundary(), user_id=coordinator.id)  # saving clears expired ones
    db.session.expire_all()
    waiting = list(db.session.scalars(db.select(BoundaryGeneration).where(BoundaryGeneration.activated_at.is_(None))))
    assert len(waiting) == 1
    assert waiting[0].created_at > utcnow() - timedelta(hours=1)


def test_a_discarded_proposal_404s(client, login, groups, coordinator):
    proposal_id = proposals.save_proposal(_moved_boundary(), user_id=coordinator.id).id
    login(coordinator)
    url = f"/beheer/gebieden/voorstel/{proposal_id}"
    assert client.get(url).status_code == 200
    response = client.post(url + "/annuleren")
    assert response.status_code == 302
    assert db.session.get(BoundaryGeneration, proposal_id) is None
    assert client.get(url).status_code == 404
    assert client.get(url + "/kaart").status_code == 404
    assert client.post(url + "/bevestigen").status_code == 404
    assert client.post(url + "/annuleren").status_code == 404


def test_an_activated_generation_is_not_a_proposal(client, login, groups, coordinator):
    current = files.current_generation(groups[0].neighbourhood)
    login(coordinator)
    url = f"/beheer/gebieden/voorstel/{current.id}"
    assert client.get(url).status_code == 404
    assert client.post(url + "/bevestigen").status_code == 404
    assert client.post(url + "/annuleren").status_code == 404
    assert proposals.discard_proposal(current.id) is False
    with pytest.raises(ProposalGone):
        proposals.confirm_proposal(current.id, coordinator.id)
    db.session.expire_all()
    assert db.session.get(BoundaryGeneration, current.id).is_current


def test_a_proposal_of_another_neighbourhood_is_refused_to_this_ones_coordinator(
    app, client, login, groups, make_user, coordinator
):
    """A coordinator of Rijnsoever gets 403 on another neighbourhood's proposal (issue 18); a
    gemeente-wide one plans it against that neighbourhood, never against the default one."""
    elsewhere = Neighbourhood(slug="elders", name="Elders", municipality="Fictiedorp")
    db.session.add(elsewhere)
    db.session.commit()
    proposal_id = proposals.save_proposal(_moved_boundary(), neighbourhood=elsewhere, user_id=coordinator.id).id
    login(make_user(Role.COORDINATOR, neighbourhood=groups[0].neighbourhood))
    url = f"/beheer/gebieden/voorstel/{proposal_id}"
    assert client.get(url).status_code == 403
    assert client.post(url + "/bevestigen").status_code == 403
    assert client.post(url + "/annuleren").status_code == 403
    assert db.session.get(BoundaryGeneration, proposal_id) is not None
    assert proposals.load_proposal(proposal_id, neighbourhood=elsewhere).id == proposal_id
    assert proposals.load_proposal(proposal_id) is None  # not the default neighbourhood's
    gemeente = app.test_client()
    _log_in(app, gemeente, coordinator.email)
    page = gemeente.get(url)
    assert page.status_code == 422  # planned against Elders, which has no groups yet (Rijnsoever's would fit)
    assert "Buurt: Elders" in page.get_data(as_text=True)


def test_history_and_exports_ignore_proposals(client, login, runner, groups, coordinator):
    proposal = proposals.save_proposal(_moved_boundary(), source="voorstel-bron.geojson", user_id=coordinator.id)
    login(coordinator)
    html = client.get("/beheer/gebieden").get_data(as_text=True)
    assert "Generatie 1" in html
    assert "voorstel-bron.geojson" not in html
    assert f'href="/beheer/gebieden/{proposal.id}"' not in html
    for path in ("", "/kaart", ".geojson"):
        assert client.get(f"/beheer/gebieden/{proposal.id}{path}").status_code == 404
    assert files.current_generation(proposal.neighbourhood).number == 1
    result = runner.invoke(args=["buurt", "areas", "export"])
    assert json.loads(result.output)["generatie"] == 1
    assert runner.invoke(args=["buurt", "areas", "export", "--generation", "2"]).exit_code != 0
    result = runner.invoke(args=["buurt", "areas", "import", "-", "--dry-run"], input=json.dumps(_moved_boundary()))
    assert "generatie 2" in result.output  # a proposal takes no number


def test_invalid_data_is_not_stored(groups):
    from buurt.geo.polygons import AreaValidationError

    with pytest.raises(AreaValidationError):
        proposals.save_proposal(b"{kapot")
    with pytest.raises(AreaValidationError):
        proposals.save_proposal(b"[1, 2]")
    assert db.session.scalar(db.select(db.func.count(BoundaryGeneration.id))) == 1
