"""A double tap or a resubmit of the incident report form stores one incident and answers as the first post."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from buurt import once
from buurt.extensions import db
from buurt.incidents import reports
from buurt.models import FormSubmission, Incident, IncidentCategory, utcnow
from buurt.times import to_local
from tests.concurrency import run_at_once
from tests.conftest import token_in
from tests.incidents.conftest import INSIDE, jpeg_with_gps, report_data, reported
from tests.link_support import open_link, submit_link
from tests.ops.photo_support import stored_names


def incidents() -> list[Incident]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Incident).order_by(Incident.id)))


def stored_photos(app) -> int:
    return len(stored_names(app))


def test_resident_report_posted_twice_stores_one_incident(client, resident_link):
    token = token_in(open_link(client, resident_link).get_data(as_text=True))
    first = submit_link(client, resident_link, data=report_data(once=token))
    second = submit_link(client, resident_link, data=report_data(once=token))
    assert reported(first)
    assert reported(second)  # the same answer as the first post: thanks, nothing stored twice
    [incident] = incidents()
    [row] = db.session.scalars(db.select(FormSubmission)).all()
    assert row.purpose == "incident.report"
    assert row.outcome == {"incident_id": incident.id}


def test_beheerder_report_resubmitted_goes_where_the_first_went(client, groups, make_user, login):
    login(make_user("beheerder", groups=[groups[3]]))
    token = token_in(client.get("/incidenten/melden").get_data(as_text=True))
    first = client.post("/incidenten/melden", data=report_data(once=token))
    second = client.post("/incidenten/melden", data=report_data(once=token), follow_redirects=True)
    [incident] = incidents()
    assert first.headers["Location"].endswith(f"/incidenten/{incident.id}")
    assert second.request.path == f"/incidenten/{incident.id}"
    assert f"Incident #{incident.id} opgeslagen." in second.get_data(as_text=True)


def test_without_a_token_every_report_is_stored(client, resident_link):
    for _ in range(2):
        assert reported(submit_link(client, resident_link, data=report_data()))
    assert len(incidents()) == 2


def test_a_refused_report_keeps_its_token_for_the_corrected_post(client, resident_link):
    token = token_in(open_link(client, resident_link).get_data(as_text=True))
    future = to_local(utcnow() + timedelta(hours=3))
    refused = submit_link(
        client,
        resident_link,
        data=report_data(once=token, occurred_date=future.strftime("%Y-%m-%d"), occurred_time=future.strftime("%H:%M")),
    )
    assert refused.status_code == 200
    assert token_in(refused.get_data(as_text=True)) == token
    assert reported(submit_link(client, resident_link, data=report_data(once=token)))
    assert len(incidents()) == 1


def test_a_second_claim_stores_no_second_photo(app, resident):
    """The service claims the token before it writes the photo: a resubmit leaves no orphan file."""
    token, before = once.new_token(), stored_photos(app)
    data = reports.ReportInput(
        category=IncidentCategory.FIETSDIEFSTAL,
        occurred_at=utcnow() - timedelta(hours=1),
        lat=INSIDE["rijnsoever-noord"][0],
        lon=INSIDE["rijnsoever-noord"][1],
        photo=jpeg_with_gps(),
    )
    with app.test_request_context():
        first = reports.report_incident(data, resident=resident, once=token)
        with pytest.raises(once.AlreadySubmitted) as raised:
            reports.report_incident(data, resident=resident, once=token)
    assert raised.value.outcome == {"incident_id": first.id}
    assert [i.id for i in incidents()] == [first.id]
    assert stored_photos(app) == before + 1


def test_two_posts_of_one_report_form_at_once_store_one_incident(app, resident_link):
    clients = [app.test_client() for _ in range(2)]
    with app.app_context():
        token = token_in(open_link(clients[0], resident_link).get_data(as_text=True))
    data = report_data(once=token)

    def post(client):
        response = submit_link(client, resident_link, data={**data, "photo": (io.BytesIO(jpeg_with_gps()), "f.jpg")})
        assert reported(response), response.get_data(as_text=True)[:500]
        return response.status_code

    before = stored_photos(app)
    answers = run_at_once(app, [post, post], clients=clients)
    assert len(incidents()) == 1
    assert answers == [200, 200]
    assert stored_photos(app) == before + 1
