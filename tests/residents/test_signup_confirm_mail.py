"""The double opt-in mail: how long its link is valid, and whose name it is signed with.

The number of days is a promise (the link stops working after SIGNUP_TOKEN_MAX_AGE), and a resident
of another neighbourhood signing up on the default page must get a mail from their own neighbourhood,
not from the page's.
"""

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, utcnow
from buurt.residents.signup import notify_number_owner
from tests.neighbourhoods.test_lookup_gemeente import HOORNES_WEST, signup_form
from tests.residents.conftest import form, free_port, residents


@pytest.fixture
def app_config():
    """Mail is configured; nothing listens, so the confirmation stays queued in the outbox (sent after the request)."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 1}


def confirmation() -> OutboxMessage:
    db.session.expire_all()
    [message] = db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_confirm")).all()
    return message


@pytest.mark.parametrize(
    ("max_age", "days"),
    [(7 * 24 * 3600, 7), (2 * 24 * 3600 - 1, 1), (3600, 1)],
    ids=["a week", "just under two days", "an hour"],
)
def test_the_mail_says_how_many_whole_days_the_link_is_valid(app, client, addresses, max_age, days):
    app.config["SIGNUP_TOKEN_MAX_AGE"] = max_age
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    message = confirmation()
    assert f"Bevestig uw aanmelding met deze link ({days} dagen geldig):" in message.body
    assert message.subject == "Bevestig uw aanmelding bij BuurtWhatsApp Rijnsoever"


def test_the_mail_is_signed_with_the_residents_own_neighbourhood(app, client, addresses, hoornes, make_address):
    make_address(postcode="2299AB", number=7, lat=HOORNES_WEST[0], lon=HOORNES_WEST[1], street="Fictiehoorn")
    data = signup_form("2299AB", 7, email="fictief@example.org")
    assert client.post("/aanmelden", data=data).status_code == 302  # the default page, a Hoornes address
    [resident] = residents()
    assert resident.group.neighbourhood_id == hoornes.id
    message = confirmation()
    assert message.subject == "Bevestig uw aanmelding bij BuurtWhatsApp Hoornes"
    assert "U heeft zich aangemeld bij BuurtWhatsApp Hoornes." in message.body
    assert "Vragen? Mail hoornes@example.org." in message.body
    assert message.body.rstrip().endswith("BuurtWhatsApp Hoornes")


def test_a_number_owner_is_told_even_when_another_owner_was_told_just_before(app, make_resident, groups):
    """The once-per-period limit on "someone tried your number" is per owner, not for the whole site."""
    confirmed = {"email_confirmed_at": utcnow()}
    first = make_resident(groups[0], email="een@example.org", **confirmed)
    second = make_resident(groups[0], email="twee@example.org", **confirmed)
    assert notify_number_owner(first.id, "signup")
    db.session.commit()
    assert notify_number_owner(second.id, "signup")
    db.session.commit()
    assert not notify_number_owner(first.id, "signup")  # the same owner again within the period: not again
    db.session.commit()
    sent = db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_duplicate")).all()
    assert sorted(m.resident_id for m in sent) == sorted([first.id, second.id])


def test_a_form_sent_twice_is_answered_from_its_token_and_never_tells_the_owner(app, client, addresses):
    """The second tap of one form is the same sign-up, not someone else trying the number: no notice, no
    "number in use" entry, one resident and one confirmation mail."""
    token = "double-tap-token-0123456789abcdef"
    data = form(phone="06 30000005", email="fictief@example.org", once=token)
    assert client.post("/aanmelden", data=data).status_code == 302
    assert app.test_client().post("/aanmelden", data=data).status_code == 302
    db.session.expire_all()
    assert len(residents()) == 1
    assert db.session.scalars(db.select(AuditEntry).filter_by(action="residents.number_in_use")).all() == []
    assert len(db.session.scalars(db.select(OutboxMessage)).all()) == 1
