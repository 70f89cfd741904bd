"""Per-process caches stay true across processes: two app instances (two gunicorn workers, or two
machines) on one database. A change made through one shows in the other on its next request."""

from buurt.beheer.settings import update_settings
from buurt.extensions import db
from buurt.models import Group, Neighbourhood

POINT = {"lat": "52.2115", "lon": "4.4236"}  # inside the default areas


def _group_at_point(client) -> dict:
    response = client.post("/api/v1/areas/at", json=POINT)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["group"]


def _area_properties(client, group_id: int) -> dict:
    features = client.get("/api/v1/areas").get_json()["features"]
    return next(f["properties"] for f in features if f["properties"]["group_id"] == group_id)


def test_a_rename_in_one_process_shows_in_the_other_on_its_next_request(app, other_app, make_address):
    make_address(postcode="2221ZZ", number=7, lat=float(POINT["lat"]), lon=float(POINT["lon"]))
    other = other_app.test_client()
    before = _group_at_point(other)  # the other process builds and caches its area index now
    group = db.session.get(Group, before["id"])
    assert before["name"] == group.name

    update_settings(group, name="BuurtAlarm Fictief Hernoemd", capacity=300, invite_link=None, beheerder_ids=None)

    assert _group_at_point(other)["name"] == "BuurtAlarm Fictief Hernoemd"
    lookup = other.post("/api/v1/lookup", json={"postcode": "2221ZZ", "huisnummer": "7"}).get_json()
    assert lookup["group"]["name"] == "BuurtAlarm Fictief Hernoemd"
    properties = _area_properties(other, group.id)
    assert (properties["group"], properties["capacity"]) == ("BuurtAlarm Fictief Hernoemd", 300)


def test_a_new_contact_address_shows_in_the_other_process(app, other_app, make_address):
    make_address(postcode="2221ZZ", number=8, lat=float(POINT["lat"]), lon=float(POINT["lon"]))
    with other_app.app_context():
        from buurt.residents.lookup import lookup_address

        assert lookup_address("2221ZZ 8").contact_email == app.config["CONTACT_EMAIL"]
    hood = db.session.scalar(db.select(Neighbourhood))
    hood.contact_email = "nieuw-contact@example.org"
    db.session.commit()
    with other_app.app_context():
        assert lookup_address("2221ZZ 8").contact_email == "nieuw-contact@example.org"


def test_the_cache_is_reused_while_nothing_changed(app, other_app):
    from buurt.areas.services import current_areas

    with other_app.app_context():
        first = current_areas()
        assert current_areas() is first  # no rebuild per request
    group = db.session.scalar(db.select(Group).order_by(Group.id))
    group.name = group.name + " (nieuw)"
    db.session.commit()
    with other_app.app_context():
        rebuilt = current_areas()
        assert rebuilt is not first
        assert any(a.group_name.endswith("(nieuw)") for a in rebuilt.areas)


def test_a_bulk_update_also_bumps_the_revision(app):
    from sqlalchemy import update

    from buurt.caching import read_revision

    before = read_revision(db.session)
    db.session.execute(update(Group).where(Group.id == 1).values(capacity=200))
    db.session.commit()
    assert read_revision(db.session) == before + 1


def test_saving_a_proposal_leaves_the_caches_alone(app):
    from buurt.areas import proposals
    from buurt.areas.files import current_collection
    from buurt.caching import read_revision

    before = read_revision(db.session)
    proposal = proposals.save_proposal(current_collection(), source="test", user_id=None, note="")
    assert read_revision(db.session) == before
    proposals.discard_proposal(proposal.id)
    assert read_revision(db.session) == before


def test_a_corrected_address_shows_in_the_other_process(app, other_app, make_address):
    from shapely.geometry import shape

    from buurt.areas.services import current_areas
    from buurt.models import Address

    first, second = current_areas().areas[:2]
    inside = [shape(a.geometry).representative_point() for a in (first, second)]
    address = make_address(postcode="2221ZZ", number=9, lat=inside[0].y, lon=inside[0].x)
    other = other_app.test_client()
    query = {"postcode": "2221ZZ", "huisnummer": "9"}
    assert other.post("/api/v1/lookup", json=query).get_json()["group"]["id"] == first.group_id

    row = db.session.get(Address, address.id)  # a corrected BAG position, imported by another process
    row.lat, row.lon = inside[1].y, inside[1].x
    db.session.commit()

    assert other.post("/api/v1/lookup", json=query).get_json()["group"]["id"] == second.group_id
