"""A double tap or a resubmit of a melding form stores once and answers with the first result."""

from __future__ import annotations

from buurt.extensions import db
from buurt.models import AuditEntry, FormSubmission, Melding
from tests.concurrency import run_at_once
from tests.conftest import PASSWORD, token_in
from tests.meldingen.test_views import form_data


def meldingen() -> list[Melding]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Melding).order_by(Melding.id)))


def closings() -> int:
    return len(db.session.scalars(db.select(AuditEntry).filter_by(action="melding.close")).all())


def logged_in_client(app, user):
    client = app.test_client()
    with app.app_context():
        assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def test_the_same_form_posted_twice_stores_one_melding(client, login, coordinator):
    login(coordinator)
    token = token_in(client.get("/meldingen/nieuw").get_data(as_text=True))
    first = client.post("/meldingen/nieuw", data=form_data(once=token))
    second = client.post("/meldingen/nieuw", data=form_data(once=token))
    [melding] = meldingen()
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/meldingen/{melding.id}")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Deze melding was al opgeslagen." in page
    assert len(db.session.scalars(db.select(AuditEntry).filter_by(action="melding.create")).all()) == 1
    [row] = db.session.scalars(db.select(FormSubmission)).all()
    assert row.outcome == {"melding_id": melding.id}


def test_each_new_form_gets_its_own_token(client, login, coordinator):
    login(coordinator)
    for _ in range(2):
        token = token_in(client.get("/meldingen/nieuw").get_data(as_text=True))
        assert client.post("/meldingen/nieuw", data=form_data(once=token)).status_code == 302
    assert len(meldingen()) == 2


def test_without_a_token_every_post_is_stored(client, login, coordinator):
    login(coordinator)
    for _ in range(2):
        assert client.post("/meldingen/nieuw", data=form_data()).status_code == 302
    assert len(meldingen()) == 2


def test_a_form_with_errors_keeps_its_unused_token(client, login, coordinator):
    login(coordinator)
    token = token_in(client.get("/meldingen/nieuw").get_data(as_text=True))
    refused = client.post("/meldingen/nieuw", data=form_data(once=token, radius_m="20"))
    assert refused.status_code == 422
    assert token_in(refused.get_data(as_text=True)) == token
    assert client.post("/meldingen/nieuw", data=form_data(once=token)).status_code == 302
    assert len(meldingen()) == 1


def test_two_posts_of_one_form_at_once_store_one_melding(app, coordinator):
    clients = [logged_in_client(app, coordinator) for _ in range(2)]
    with app.app_context():
        token = token_in(clients[0].get("/meldingen/nieuw").get_data(as_text=True))

    def post(client):
        response = client.post("/meldingen/nieuw", data=form_data(once=token))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response.headers["Location"]

    locations = run_at_once(app, [post, post], clients=clients)
    [melding] = meldingen()
    assert len(locations) == 2
    assert all(loc.endswith(f"/meldingen/{melding.id}") for loc in locations)


def test_the_close_form_posted_twice_closes_once(client, login, coordinator, make_melding):
    melding = make_melding()
    login(coordinator)
    token = token_in(client.get(f"/meldingen/{melding.id}").get_data(as_text=True))
    data = {"result": "gevonden", "note": "Opgelost.", "once": token}
    first = client.post(f"/meldingen/{melding.id}/afmelden", data=data)
    second = client.post(f"/meldingen/{melding.id}/afmelden", data=data, follow_redirects=True)
    assert first.status_code == 302
    assert "Deze melding is al afgemeld." in second.get_data(as_text=True)
    assert closings() == 1
    [row] = db.session.scalars(db.select(FormSubmission).filter_by(purpose="melding.close")).all()
    assert row.outcome == {"melding_id": melding.id}


def test_two_posts_of_one_close_form_at_once_close_once(app, coordinator, make_melding):
    melding_id = make_melding().id
    clients = [logged_in_client(app, coordinator) for _ in range(2)]
    with app.app_context():
        token = token_in(clients[0].get(f"/meldingen/{melding_id}").get_data(as_text=True))

    def post(client):
        data = {"result": "niet_gevonden", "note": "", "once": token}
        return client.post(f"/meldingen/{melding_id}/afmelden", data=data, follow_redirects=True).get_data(as_text=True)

    pages = run_at_once(app, [post, post], clients=clients)
    db.session.expire_all()
    assert closings() == 1
    assert sum("Deze melding is al afgemeld." in p for p in pages) == 1
    assert not db.session.get(Melding, melding_id).is_open
