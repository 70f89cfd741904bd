"""Mijn gegevens: request a link, see everything, download it, correct it, delete it."""

import json
import re

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, GroupTask, ResidentStatus, TaskKind, utcnow
from buurt.residents.links import my_data_link
from tests.link_support import open_link, post_link
from tests.residents.conftest import INSIDE, residents, unavailable_geocoder_config


@pytest.fixture
def resident(make_resident, group_by_key):
    lat, lon = INSIDE["rijnsoever-west"]
    return make_resident(
        group_by_key["rijnsoever-west"],
        status=ResidentStatus.ADDED,
        name="Fictief Lid",
        phone_e164="+31687654321",
        email="fictief.lid@example.org",
        postcode="2221XA",
        house_number=1,
        street="Fictieweg1",
        lat=lat,
        lon=lon,
        household_size=3,
    )


def correction(**overrides):
    data = {
        "name": "Fictief Lid",
        "phone": "06 87654321",
        "email": "fictief.lid@example.org",
        "postcode": "2221XA",
        "house_number": "1",
        "addition": "",
        "household_size": "3",
    }
    data.update(overrides)
    return data


def audit_actions():
    return [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]


def test_page_shows_everything_stored_and_is_logged(client, resident):
    response = open_link(client, my_data_link(resident))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for shown in (
        "Fictief Lid",
        "06 87654321",
        "fictief.lid@example.org",
        "Fictieweg1",
        "2221 XA",
        "BuurtAlarm Rijnsoever-West",
        "lid van de WhatsApp-groep",
        "52.21270",
    ):
        assert shown in html
    assert "residents.my_data_view" in audit_actions()


def test_json_download_holds_every_field(client, resident):
    response = post_link(client, my_data_link(resident), "/mijn-gegevens/download")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["name"] == "Fictief Lid"
    assert data["phone"] == "+31687654321"
    assert data["group"] == "BuurtAlarm Rijnsoever-West"
    assert data["status"] == "added"
    assert data["household_size"] == 3
    assert data["consent_privacy_at"]
    from buurt.models import Resident

    columns = {c.name for c in Resident.__table__.columns} - {
        "id",
        "group_id",
        "area_id",
        "border_group_id",
        "added_by_id",
        "is_demo",
        "phone_e164",
        "geocoder_source",
    }
    assert columns <= set(data), columns - set(data)
    assert "residents.my_data_download" in audit_actions()


def test_request_mails_a_link_and_answers_neutrally(client, resident, smtp_server, deliver_mail, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    resident.email_confirmed_at = utcnow()
    db.session.commit()
    known = client.post("/mijn-gegevens", data={"contact": "06 87654321"}).get_data(as_text=True)
    unknown = client.post("/mijn-gegevens", data={"contact": "06 11223344"}).get_data(as_text=True)
    by_mail = client.post("/mijn-gegevens", data={"contact": "FICTIEF.LID@example.org"}).get_data(as_text=True)
    neutral = "Als we een aanmelding met dit nummer of e-mailadres kennen"
    assert neutral in known
    assert neutral in unknown
    assert neutral in by_mail
    assert len(deliver_mail()) == 2
    assert smtp_server.inbox.messages[0]["To"] == "fictief.lid@example.org"
    body = smtp_server.inbox.bodies()[0]
    link = re.search(r"http://localhost/mijn-gegevens/bekijken#\S+", body).group(0)
    assert "Fictief Lid" in open_link(client, link).get_data(as_text=True)
    code = link.split("#", 1)[1]
    assert code in body.splitlines()  # the code on its own line, to paste without JavaScript


def test_request_without_an_email_on_file_sends_nothing(
    client, make_resident, group_by_key, smtp_server, deliver_mail, app
):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    make_resident(group_by_key["rijnsoever-oost"], phone_e164="+31655555555", email=None)
    html = client.post("/mijn-gegevens", data={"contact": "0655555555"}).get_data(as_text=True)
    assert "Als we een aanmelding" in html
    assert deliver_mail() == []


def test_correct_name_and_household(client, resident):
    link = my_data_link(resident)
    data = correction(name="Fictief Verbeterd", household_size="1")
    response = post_link(client, link, "/mijn-gegevens/wijzigen", data)
    assert response.status_code == 200  # the page itself: a redirect would need the token in a URL
    [r] = residents()
    assert (r.name, r.household_size, r.status) == ("Fictief Verbeterd", 1, ResidentStatus.ADDED)
    assert "Uw wijzigingen zijn opgeslagen" in response.get_data(as_text=True)
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.my_data_correct")).one()
    assert entry.details == {"fields": "name,household_size"}


def test_moving_to_another_area_regeocodes_and_tells_the_old_beheerders(client, resident, addresses, group_by_key):
    link = my_data_link(resident)
    response = post_link(client, link, "/mijn-gegevens/wijzigen", correction(postcode="2221XA", house_number="5"))
    assert response.status_code == 200
    [r] = residents()
    assert r.group_id == group_by_key["rijnsoever-oost"].id
    assert r.status == ResidentStatus.PENDING
    assert (r.lat, r.lon) == pytest.approx(INSIDE["rijnsoever-oost"])
    [task] = db.session.scalars(db.select(GroupTask)).all()
    assert task.group_id == group_by_key["rijnsoever-west"].id
    assert task.kind == TaskKind.REMOVE_FROM_WHATSAPP
    assert task.phone_e164 == "+31687654321"


def test_correction_to_an_unknown_or_outside_address_changes_nothing(client, resident, addresses):
    link = my_data_link(resident)
    for data, message in ((correction(house_number="99"), "niet vinden"), (correction(postcode="2221XB"), "buiten")):
        response = post_link(client, link, "/mijn-gegevens/wijzigen", data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    [r] = residents()
    assert (r.postcode, r.house_number) == ("2221XA", 1)


def test_correction_to_a_number_already_signed_up_is_refused(client, resident, make_resident, group_by_key):
    make_resident(group_by_key["rijnsoever-oost"], phone_e164="+31611112222")
    response = post_link(client, my_data_link(resident), "/mijn-gegevens/wijzigen", correction(phone="0611112222"))
    assert response.status_code == 400
    assert "al aangemeld" in response.get_data(as_text=True)
    assert residents()[0].phone_e164 == "+31687654321"


def test_new_phone_of_a_member_means_remove_old_and_add_new(client, resident):
    post_link(client, my_data_link(resident), "/mijn-gegevens/wijzigen", correction(phone="06 87654300"))
    [r] = residents()
    assert r.phone_e164 == "+31687654300"
    assert r.status == ResidentStatus.PENDING
    [task] = db.session.scalars(db.select(GroupTask)).all()
    assert task.phone_e164 == "+31687654321"


def test_delete_leaves_a_task_and_only_anonymous_counts(client, resident, group_by_key):
    link = my_data_link(resident)
    refused = post_link(client, link, "/mijn-gegevens/verwijderen", {})
    assert refused.status_code == 400
    assert "Vink aan" in refused.get_data(as_text=True)
    assert len(residents()) == 1

    response = post_link(client, link, "/mijn-gegevens/verwijderen", {"confirm": "y"})
    assert response.status_code == 200
    assert "Uw gegevens zijn verwijderd" in response.get_data(as_text=True)
    assert residents() == []
    [task] = db.session.scalars(db.select(GroupTask)).all()
    assert task.kind == TaskKind.REMOVE_FROM_WHATSAPP
    assert task.group_id == group_by_key["rijnsoever-west"].id
    assert (task.display_name, task.phone_e164, task.resident_id) == ("Fictief Lid", "+31687654321", None)
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.my_data_delete")).one()
    assert entry.details["group_id"] == group_by_key["rijnsoever-west"].id
    assert entry.details["count"] == 1
    text = str(entry.details)
    for secret in ("Fictief", "8765", "2221", "Fictieweg", "example.org"):
        assert secret not in text
    assert open_link(client, link).status_code == 400  # the link is dead now


def test_delete_of_a_waitlisted_person_makes_no_task(client, make_resident, group_by_key):
    r = make_resident(group_by_key["rijnsoever-oost"], status=ResidentStatus.WAITLIST)
    post_link(client, my_data_link(r), "/mijn-gegevens/verwijderen", {"confirm": "y"})
    assert residents() == []
    assert db.session.scalars(db.select(GroupTask)).all() == []


def test_expired_and_forged_links(app, client, resident):
    link = my_data_link(resident)
    forged = open_link(client, link[:-4] + "AAAA")
    assert forged.status_code == 400
    assert "Deze link klopt niet" in forged.get_data(as_text=True)
    assert "Nieuwe link aanvragen" in forged.get_data(as_text=True)
    app.config["MY_DATA_TOKEN_MAX_AGE"] = -1
    expired = open_link(client, link)
    assert expired.status_code == 400
    assert "Deze link is verlopen." in expired.get_data(as_text=True)
    assert post_link(client, link, "/mijn-gegevens/verwijderen", {"confirm": "y"}).status_code == 400
    assert post_link(client, link, "/mijn-gegevens/download").status_code == 400
    assert client.post("/mijn-gegevens/verwijderen", data={"confirm": "y"}).status_code == 400  # no token
    assert len(residents()) == 1


def test_link_for_a_deleted_and_reused_id_does_not_open_someone_else(client, make_resident, group_by_key):
    first = make_resident(group_by_key["rijnsoever-oost"])
    link = my_data_link(first)
    post_link(client, link, "/mijn-gegevens/verwijderen", {"confirm": "y"})
    make_resident(group_by_key["rijnsoever-oost"], name="Fictief Ander", created_at=first.created_at.replace(year=2020))
    assert open_link(client, link).status_code == 400


class TestUnavailable:
    @pytest.fixture
    def app_config(self):
        return unavailable_geocoder_config()

    def test_new_address_while_the_geocoder_is_down_changes_nothing(self, client, resident):
        data = correction(house_number="77")
        response = post_link(client, my_data_link(resident), "/mijn-gegevens/wijzigen", data)
        assert response.status_code == 400
        assert "niet bereikbaar" in response.get_data(as_text=True)
        assert residents()[0].house_number == 1


def test_my_data_page_offers_the_personal_report_link(client, groups, make_resident):
    resident = make_resident(groups[0], status=ResidentStatus.ADDED)
    html = open_link(client, my_data_link(resident)).get_data(as_text=True)
    assert "Incident melden" in html
    link = html.split('href="/incidenten/melden/bewoner#', 1)[1].split('"', 1)[0]
    report_page = open_link(client, f"/incidenten/melden/bewoner#{link}").get_data(as_text=True)
    assert "U meldt als aangemelde bewoner" in report_page


def test_an_old_link_with_the_token_in_its_path_still_opens_the_page(client, resident):
    """Links mailed before the token moved after '#' redirect to the new link (for up to a day)."""
    token = my_data_link(resident).split("#", 1)[1]
    for old in (f"/mijn-gegevens/{token}", f"/mijn-gegevens/{token}/download"):
        response = client.get(old)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/mijn-gegevens/bekijken#{token}"


def test_an_unconfirmed_address_gets_no_link_when_asked_by_that_address(
    client, resident, smtp_server, deliver_mail, app
):
    """Whoever owns an address a resident mistyped (never confirmed) cannot ask for their data with it;
    asked by the resident's phone number, the link goes to the address on file. The answer is the same."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    assert resident.email_confirmed_at is None
    by_mail = client.post("/mijn-gegevens", data={"contact": "fictief.lid@example.org"}).get_data(as_text=True)
    assert "Als we een aanmelding met dit nummer of e-mailadres kennen" in by_mail
    assert deliver_mail() == []
    client.post("/mijn-gegevens", data={"contact": "06 87654321"})
    assert [m["To"] for m in deliver_mail()] == ["fictief.lid@example.org"]
