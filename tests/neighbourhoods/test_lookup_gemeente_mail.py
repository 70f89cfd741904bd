"""Mails name the resident's neighbourhood (the group's) and its contact address (issue 18, point 3).

Mail is switched on (MAIL_SERVER set, no sender thread): the messages wait in the outbox, where
the test reads them. Fictional people and addresses only.
"""

from __future__ import annotations

import pytest

from buurt.extensions import db
from buurt.models import OutboxMessage, Resident, ResidentStatus, Role
from buurt.residents.digest import send_signup_digest
from tests.neighbourhoods.test_lookup_gemeente import HOORNES_WEST, RIJNSOEVER_WEST, signup_form


@pytest.fixture
def app_config():
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9, "MAIL_TIMEOUT": 1}


def outbox(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(kind=kind).order_by(OutboxMessage.id)))


def test_a_hoornes_signup_is_confirmed_in_the_name_of_hoornes(client, hoornes, make_address):
    make_address(postcode="2299AB", number=1, lat=HOORNES_WEST[0], lon=HOORNES_WEST[1], street="Fictiehoornes")
    make_address(postcode="2299AA", number=1, lat=RIJNSOEVER_WEST[0], lon=RIJNSOEVER_WEST[1], street="Fictieweg")
    form = signup_form("2299AB", email="fictief.hoornes@example.org")
    assert client.post("/aanmelden", data=form).status_code == 302
    other = signup_form("2299AA", phone="06 12345679", email="fictief.rijnsoever@example.org")
    assert client.post("/hoornes/aanmelden", data=other).status_code == 302
    hoornes_mail, rijnsoever_mail = outbox("signup_confirm")
    assert hoornes_mail.subject == "Bevestig uw aanmelding bij BuurtWhatsApp Hoornes"
    assert "U heeft zich aangemeld bij BuurtWhatsApp Hoornes." in hoornes_mail.body
    assert "hoornes@example.org" in hoornes_mail.body
    assert "Rijnsoever" not in hoornes_mail.body
    # the page it was sent from does not matter: the group's neighbourhood does
    assert rijnsoever_mail.subject == "Bevestig uw aanmelding bij BuurtWhatsApp Rijnsoever"
    assert "Hoornes" not in rijnsoever_mail.body


def test_the_digest_names_the_neighbourhood_and_goes_to_its_own_coordinators(
    app, hoornes, rijnsoever, make_resident, make_user
):
    from buurt.models import Group

    group = db.session.scalar(db.select(Group).filter_by(neighbourhood_id=hoornes.id, slug="hoornes-west"))
    make_resident(group, status=ResidentStatus.PENDING)
    own = make_user(Role.COORDINATOR, neighbourhood=hoornes)
    other = make_user(Role.COORDINATOR, neighbourhood=rijnsoever)
    gemeente = make_user(Role.COORDINATOR)
    [line] = send_signup_digest()
    assert line.recipients == 2  # no beheerder yet: Hoornes' coordinator and the gemeente-wide one
    [mail] = outbox("digest")
    assert mail.subject == "Nieuwe aanmeldingen voor BuurtAlarm Hoornes-West (Hoornes)"
    assert "BuurtWhatsApp Hoornes" in mail.body
    assert "Rijnsoever" not in mail.body
    assert own.email in mail.recipients
    assert gemeente.email in mail.recipients
    assert other.email not in mail.recipients
    assert db.session.scalar(db.select(db.func.count(Resident.id))) == 1
