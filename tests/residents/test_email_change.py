"""A new e-mail address in Mijn gegevens (left over from issue 12, for issue 13's right to correction).

A resident who confirmed their address holds a place in the queue (buurt.areas.occupancy counts
confirmed sign-ups). Changing the address used to clear the confirmation: the place was gone, and
no mail went to the new address to confirm it. Now the new address waits, gets its own link, and
becomes theirs when they open it; the old one is used until then and the place stays.
"""

from __future__ import annotations

import re

import pytest

from buurt.areas.occupancy import occupancy_of
from buurt.extensions import db
from buurt.models import OutboxMessage, Resident, ResidentStatus, utcnow
from buurt.residents.links import my_data_link
from tests.link_support import open_link, post_link
from tests.residents.test_my_data import correction


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@pytest.fixture
def waiting(app, make_resident, group_by_key, addresses):
    """A confirmed sign-up waiting to be added: it holds a place."""
    group = group_by_key["rijnsoever-noord"]
    resident = make_resident(
        group,
        status=ResidentStatus.PENDING,
        name="Fictief Lid",
        phone_e164="+31687654321",
        email="fictief.lid@example.org",
        email_confirmed_at=utcnow(),
        postcode="2221XA",
        house_number=1,
        street="Fictieweg1",
        household_size=3,
    )
    with app.test_request_context():
        link = my_data_link(resident)
    return resident.id, group.id, link


def occupied(group_id: int) -> int:
    return occupancy_of(group_id).occupied


def test_a_new_address_waits_for_its_own_link_and_the_place_stays(client, waiting, deliver_mail):
    resident_id, group_id, link = waiting
    before = occupied(group_id)
    assert open_link(client, link).status_code == 200
    page = post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="nieuw.adres@example.org"))
    assert page.status_code == 200
    assert "Nieuw adres nieuw.adres@example.org" in page.get_data(as_text=True)

    resident = db.session.get(Resident, resident_id)
    assert (resident.email, resident.email_pending) == ("fictief.lid@example.org", "nieuw.adres@example.org")
    assert resident.email_confirmed_at is not None
    assert occupied(group_id) == before  # the place stays

    [mail] = deliver_mail()
    assert mail["To"] == "nieuw.adres@example.org"
    body = mail.get_body(("plain",)).get_content()
    [change_link] = re.findall(r"http\S+/mijn-gegevens/nieuw-adres#\S+", body)
    answer = open_link(client, change_link)
    assert answer.status_code == 200
    assert "uw e-mailadres is bevestigd" in answer.get_data(as_text=True)
    db.session.expire_all()
    resident = db.session.get(Resident, resident_id)
    assert (resident.email, resident.email_pending) == ("nieuw.adres@example.org", None)
    assert occupied(group_id) == before

    assert open_link(client, change_link).status_code == 400  # used: nothing waits any more


def test_a_link_to_an_address_changed_again_no_longer_works(client, waiting, deliver_mail):
    _, _, link = waiting
    open_link(client, link)
    post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="eerste@example.org"))
    post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="tweede@example.org"))
    links = {m["To"]: re.findall(r"http\S+#\S+", m.get_body(("plain",)).get_content())[0] for m in deliver_mail()}
    assert set(links) == {"eerste@example.org", "tweede@example.org"}
    assert open_link(client, links["eerste@example.org"]).status_code == 400
    assert open_link(client, links["tweede@example.org"]).status_code == 200


def test_without_a_confirmed_address_the_address_is_simply_replaced(client, make_resident, group_by_key, app):
    resident = make_resident(group_by_key["rijnsoever-noord"], status=ResidentStatus.ADDED, email="oud@example.org")
    with app.test_request_context():
        link = my_data_link(resident)
    own = {
        "name": resident.name,
        "phone": "0" + resident.phone_e164[3:],
        "postcode": resident.postcode,
        "house_number": str(resident.house_number),
        "household_size": str(resident.household_size),
    }
    open_link(client, link)
    post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="nieuw@example.org", **own))
    db.session.expire_all()
    changed = db.session.get(Resident, resident.id)
    assert (changed.email, changed.email_pending, changed.email_confirmed_at) == ("nieuw@example.org", None, None)
    change_mails = db.select(db.func.count(OutboxMessage.id)).where(OutboxMessage.kind == "email_change")
    assert db.session.scalar(change_mails) == 0


def test_removing_the_address_keeps_the_place(client, waiting, deliver_mail):
    resident_id, group_id, link = waiting
    before = occupied(group_id)
    open_link(client, link)
    assert post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="")).status_code == 200
    db.session.expire_all()
    resident = db.session.get(Resident, resident_id)
    assert (resident.email, resident.email_pending) == (None, None)
    assert occupied(group_id) == before
    assert deliver_mail() == []


def test_typing_the_old_address_back_cancels_the_waiting_one(client, waiting, deliver_mail):
    resident_id, _, link = waiting
    open_link(client, link)
    post_link(client, link, "/mijn-gegevens/wijzigen", correction(email="nieuw.adres@example.org"))
    [mail] = deliver_mail()
    [change_link] = re.findall(r"http\S+#\S+", mail.get_body(("plain",)).get_content())
    post_link(client, link, "/mijn-gegevens/wijzigen", correction())  # the old address again
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).email_pending is None
    assert open_link(client, change_link).status_code == 400
