"""A sign-up never waits on the mail server: the confirmation mail is queued and sent after the commit."""

import re

import pytest

from buurt.extensions import db
from buurt.models import OutboxMessage, ResidentStatus
from buurt.outbox import deliver_due
from tests.conftest import relay_answers
from tests.link_support import post_link
from tests.residents.conftest import form, free_port, residents


@pytest.fixture
def app_config(silent_smtp_server):
    """The relay accepts the connection and never answers."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": silent_smtp_server.port, "MAIL_TIMEOUT": 1}


def test_signup_with_a_relay_that_never_answers_is_stored_and_mailed_once_it_answers(
    app, client, addresses, silent_smtp_server, smtp_server
):
    response = client.post("/aanmelden", data=form(email="fictief@example.org"))
    assert response.status_code == 302
    [resident] = residents()
    assert resident.status == ResidentStatus.UNCONFIRMED
    assert silent_smtp_server.connections() == 0  # the request never talked SMTP
    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (message.kind, message.resident_id) == ("signup_confirm", resident.id)
    assert "onderweg" in client.get("/aanmelden/ontvangen").get_data(as_text=True)

    report = deliver_due()  # the sender meets the silent relay: a failure, tried again later
    assert (report.sent, report.retrying) == (0, 1)
    assert silent_smtp_server.wait_for(1) == 1
    db.session.expire_all()
    retry_at = db.session.get(OutboxMessage, message.id).next_attempt_at

    relay_answers(app, smtp_server)  # the relay answers again
    assert deliver_due(now=retry_at).sent == 1
    assert deliver_due(now=retry_at).attempted == 0
    [received] = smtp_server.inbox.messages
    assert received["To"] == "fictief@example.org"
    assert received["Message-ID"] == message.message_id
    link = re.search(r"http://localhost/aanmelden/bevestigen#\S+", smtp_server.inbox.bodies()[0]).group(0)
    assert post_link(client, link, "/aanmelden/bevestigen").status_code == 200
    assert residents()[0].status == ResidentStatus.PENDING


def test_a_confirmation_that_can_never_arrive_puts_the_signup_in_the_queue(app, client, addresses):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: every attempt fails at once
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    assert residents()[0].status == ResidentStatus.UNCONFIRMED
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    assert deliver_due().gave_up == 1
    [resident] = residents()
    assert resident.status == ResidentStatus.PENDING
    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    assert message.gave_up_at is not None
    assert message.recipients is None


def test_a_sign_up_looked_up_later_whose_confirmation_never_arrived_goes_in_the_queue(app, client, make_address):
    """Stored "to geocode" with an e-mail; the confirmation mail is given up before the address is
    found. Once found, the sign-up must not wait for a link that will never come."""
    from buurt.residents.signup import geocode_pending
    from tests.residents.conftest import INSIDE, unavailable_geocoder_config

    app.config.update(unavailable_geocoder_config())
    app.config["MAIL_PORT"] = free_port()  # nothing listens there: every attempt fails at once
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    assert residents()[0].status == ResidentStatus.TO_GEOCODE
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    assert deliver_due().gave_up == 1
    assert residents()[0].status == ResidentStatus.TO_GEOCODE  # nothing to decide yet

    lat, lon = INSIDE["rijnsoever-west"]
    make_address(postcode="2221XA", number=1, lat=lat, lon=lon, street="Fictieweg1")
    assert geocode_pending().placed == 1
    assert residents()[0].status == ResidentStatus.PENDING
