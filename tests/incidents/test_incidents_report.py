"""Reporting: residents' signed link and beheerders; validation and edge cases."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.incidents.reports import report_link
from buurt.models import AuditEntry, Incident, ResidentStatus, utcnow
from buurt.times import to_local
from tests.incidents.conftest import INSIDE, OUTSIDE, jpeg_with_gps, report_data, reported
from tests.link_support import open_link, submit_link
from tests.ops.photo_support import stored_names


def incidents():
    return list(db.session.scalars(db.select(Incident).order_by(Incident.id)))


def test_resident_reports_with_their_link(client, resident, resident_link):
    page = open_link(client, resident_link)
    assert page.status_code == 200
    assert 'Bel eerst <a href="tel:112">112</a>' in page.get_data(as_text=True)
    response = submit_link(client, resident_link, data=report_data(person_top="Rode jas", vehicle_plate="XX-999-X"))
    assert reported(response)  # the thank-you page is the answer: no redirect, no token in a URL
    [incident] = incidents()
    assert incident.reporter_resident_id == resident.id
    assert incident.reporter_user_id is None
    assert incident.group_id == resident.group_id  # Noord point in the Noord group
    assert incident.area.key == "rijnsoever-noord"
    assert incident.details == {"person": {"top": "Rode jas"}, "vehicle": {"plate": "XX-999-X"}}
    assert incident.police_called is False
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="incidents.report")).target_id == incident.id


def test_police_called_and_local_time_are_stored(client, resident_link):
    data = report_data(police_called="ja", occurred_date="2026-07-01", occurred_time="23:30")
    now = utcnow()
    if now < to_local(now).replace(year=2026, month=7, day=2).astimezone(now.tzinfo):
        pytest.skip("test date in the future on this clock")
    assert reported(submit_link(client, resident_link, data=data))
    [incident] = incidents()
    assert incident.police_called is True
    # 23:30 Dutch summer time is 21:30 UTC
    assert (incident.occurred_at.hour, incident.occurred_at.minute) == (21, 30)


def test_future_time_is_refused(client, resident_link):
    moment = to_local(utcnow() + timedelta(hours=3))
    data = report_data(occurred_date=moment.strftime("%Y-%m-%d"), occurred_time=moment.strftime("%H:%M"))
    response = submit_link(client, resident_link, data=data)
    assert response.status_code == 200
    assert "in de toekomst" in response.get_data(as_text=True)
    assert incidents() == []


def test_too_old_is_refused(client, resident_link):
    moment = to_local(utcnow() - timedelta(days=400))
    data = report_data(occurred_date=moment.strftime("%Y-%m-%d"), occurred_time="12:00")
    response = submit_link(client, resident_link, data=data)
    assert response.status_code == 200
    assert "meer dan een jaar" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value"), [("occurred_date", "31-02-2026"), ("occurred_time", "25:99"), ("category", "")]
)
def test_malformed_fields_give_a_dutch_error_not_a_500(client, resident_link, field, value):
    response = submit_link(client, resident_link, data=report_data(**{field: value}))
    assert response.status_code == 200
    assert incidents() == []


def test_resident_cannot_report_outside_all_areas(client, resident_link):
    response = submit_link(client, resident_link, data=report_data(lat=str(OUTSIDE[0]), lon=str(OUTSIDE[1])))
    assert response.status_code == 200
    assert "buiten de gebieden" in response.get_data(as_text=True)
    assert incidents() == []


def test_beheerder_may_report_outside_the_areas_flagged(client, groups, make_user, login):
    login(make_user("beheerder", groups=[groups[0]]))
    response = client.post("/incidenten/melden", data=report_data(lat=str(OUTSIDE[0]), lon=str(OUTSIDE[1])))
    assert response.status_code == 302
    [incident] = incidents()
    assert incident.area_id is None
    assert incident.group_id is None
    assert incident.reporter_user_id is not None
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "buiten de gebieden" in detail


@pytest.mark.parametrize(("lat", "lon"), [("48.85", "2.35"), ("nan", "4.4"), ("abc", "4.4"), ("4.42", "52.21")])
def test_point_outside_the_netherlands_or_garbage_is_refused(client, resident_link, lat, lon):
    response = submit_link(client, resident_link, data=report_data(lat=lat, lon=lon))
    assert response.status_code == 200
    assert incidents() == []


def test_location_by_address(client, resident_link, make_address):
    make_address(postcode="2221ZZ", number=7, lat=INSIDE["rijnsoever-oost"][0], lon=INSIDE["rijnsoever-oost"][1])
    response = submit_link(client, resident_link, data=report_data(lat="", lon="", address="Fictieweg 7"))
    assert reported(response), response.get_data(as_text=True)
    [incident] = incidents()
    assert incident.area.key == "rijnsoever-oost"
    assert incident.location_label == "Fictieweg"  # the street, not the house number


def test_unknown_address_or_no_location(client, resident_link):
    response = submit_link(client, resident_link, data=report_data(lat="", lon="", address="Bestaatnietweg 3"))
    assert response.status_code == 200
    assert "kennen we niet" in response.get_data(as_text=True)
    response = submit_link(client, resident_link, data=report_data(lat="", lon="", address=""))
    assert "vul een adres in of klik op de kaart" in response.get_data(as_text=True)
    assert incidents() == []


def test_script_in_text_is_stored_as_text_and_escaped(client, resident_link, groups, make_user, login):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data = report_data(description=evil, person_top=evil)
    assert reported(submit_link(client, resident_link, data=data))
    [incident] = incidents()
    assert incident.description == evil
    login(make_user("wijkagent"))
    for path in (f"/incidenten/{incident.id}", "/incidenten/?periode=7d", "/incidenten/kaart?periode=7d"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
    assert "&lt;script&gt;" in client.get(f"/incidenten/{incident.id}").get_data(as_text=True)


def test_description_length_is_capped(client, resident_link, app):
    limit = app.config["INCIDENT_DESCRIPTION_MAX"]
    response = submit_link(client, resident_link, data=report_data(description="x" * (limit + 1)))
    assert response.status_code == 200
    assert f"Maximaal {limit} tekens" in response.get_data(as_text=True)


def test_oversized_upload_is_refused_with_a_dutch_message(client, resident_link, app):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    data = report_data(photo=(io.BytesIO(jpeg_with_gps((400, 400)) + b"\0" * 2000), "foto.jpg"))
    response = submit_link(client, resident_link, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "te groot" in response.get_data(as_text=True)
    assert incidents() == []


def test_request_over_max_content_length_gets_the_dutch_413(client, resident_link, app):
    app.config["MAX_CONTENT_LENGTH"] = 5000
    data = report_data(photo=(io.BytesIO(b"\xff" * 10_000), "foto.jpg"))
    response = submit_link(client, resident_link, data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "te groot" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4 fictief", "foto.jpg"),  # not an image, with an image name
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "foto.png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "foto.gif"),  # an image, but not an accepted type
        (b"\xff\xd8\xff\xe0 truncated jpeg", "foto.jpg"),
    ],
)
def test_non_image_upload_is_refused(client, resident_link, app, content, name):
    before = stored_names(app)
    data = report_data(photo=(io.BytesIO(content), name))
    response = submit_link(client, resident_link, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "geen foto" in response.get_data(as_text=True)
    assert incidents() == []
    assert stored_names(app) == before  # nothing half-written


def test_photo_is_stored_under_a_random_name(client, resident_link, app):
    data = report_data(photo=(io.BytesIO(jpeg_with_gps()), "Mijn Huis Fictieweg 1.jpg"))
    assert reported(submit_link(client, resident_link, data=data, content_type="multipart/form-data"))
    [incident] = incidents()
    assert incident.photo_filename.endswith(".jpg")
    assert "Fictieweg" not in incident.photo_filename
    assert len(incident.photo_filename) == 36
    assert incident.photo_mime == "image/jpeg"


@pytest.mark.parametrize("status", [ResidentStatus.UNCONFIRMED, ResidentStatus.REMOVED])
def test_link_of_unconfirmed_or_removed_resident_does_not_work(client, app, groups, make_resident, status):
    someone = make_resident(groups[0], status=status)
    with app.test_request_context():
        link = report_link(someone, external=False)
    response = open_link(client, link)
    assert response.status_code == 403
    assert "alleen aangemelde bewoners" in response.get_data(as_text=True)
    assert submit_link(client, link, data=report_data()).status_code == 403
    assert incidents() == []


def test_forged_or_expired_link_is_refused(client, resident_link, app):
    assert open_link(client, resident_link + "x").status_code == 403
    assert open_link(client, "/incidenten/melden/bewoner#niet-een-token").status_code == 403
    assert client.post("/incidenten/melden/bewoner", data=report_data()).status_code == 403  # no token
    app.config["REPORT_TOKEN_MAX_AGE"] = -1
    response = open_link(client, resident_link)
    assert response.status_code == 403
    assert "verlopen" in response.get_data(as_text=True)


def test_report_link_is_not_a_my_data_link(client, app, resident):
    from buurt.tokens import make_token

    with app.test_request_context():
        other = make_token("my_data", {"r": resident.id})
    assert open_link(client, f"/incidenten/melden/bewoner#{other}").status_code == 403


def test_wijkagent_and_anonymous_cannot_use_the_staff_form(client, make_user, login):
    assert client.get("/incidenten/melden").status_code == 302  # to the login page
    login(make_user("wijkagent"))
    assert client.get("/incidenten/melden").status_code == 403
    assert client.post("/incidenten/melden", data=report_data()).status_code == 403
    assert incidents() == []


def test_report_link_is_under_site_url_whatever_host_the_request_came_with(client, app, resident):
    app.config["SITE_URL"] = "https://buurt.example.invalid/"
    with app.test_request_context("/", base_url="http://evil.example.invalid"):
        link = report_link(resident)
    assert link.startswith("https://buurt.example.invalid/incidenten/melden/bewoner#")
    assert "evil" not in link
    path = link.removeprefix("https://buurt.example.invalid")
    assert client.get(path, headers={"Host": "evil.example.invalid"}).status_code == 200
