"""Signing up with an e-mail address while the mail server is configured but down (issue 19, point 1).

The confirmation mail is only queued at sign-up (the request never talks SMTP); the outbox keeps
trying and, once it gives the mail up, the sign-up must not stay unconfirmed for ever (waiting for a
link that never comes, never seen by a beheerder, purged later): it goes into the queue the
beheerders of its group see, or on its waitlist when the group is full.
"""

from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, Role, utcnow
from buurt.models import ResidentStatus as S
from buurt.outbox import deliver_due
from buurt.residents.links import my_data_link
from tests.link_support import open_link
from tests.residents.conftest import form, free_port, residents


@pytest.fixture
def app_config():
    """Mail configured, on a 127.0.0.1 port where nothing listens: every delivery fails at once."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 1}


@pytest.fixture
def console(client, login, make_user, west):
    """The console of Rijnsoever-West as one of its beheerders sees it."""
    login(make_user(Role.BEHEERDER, groups=[west]))
    return lambda: client.get(f"/beheer/groep/{west.id}").get_data(as_text=True)


def _list(html: str, name: str) -> str:
    """The part of the console page with the list `name` (pending, waitlist)."""
    start = html.index(f'data-list="{name}"')
    return html[start : html.index("</ol>", start)]


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).filter_by(action=action)))


def test_a_signup_with_the_mail_server_down_reaches_the_beheerders_queue(app, client, west, console):
    response = client.post("/aanmelden", data=form(name="Fictief Onbereikbaar", email="fictief@example.org"))
    assert response.status_code == 302
    [resident] = residents()
    assert (resident.status, resident.group_id, resident.email_confirmed_at) == (S.UNCONFIRMED, west.id, None)
    told = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "Bijna klaar: bevestig uw e-mailadres" in told
    assert "pas daarna ziet een beheerder uw aanmelding" in told
    assert "Fictief Onbereikbaar" not in console()  # unconfirmed: not in the beheerders' queue yet

    report = deliver_due()  # the server is down: tried again later, nothing decided yet
    assert (report.sent, report.retrying, report.gave_up) == (0, 1, 0)
    assert residents()[0].status == S.UNCONFIRMED
    assert _audit("residents.confirmation_undeliverable") == []

    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    app.config["MAIL_GIVE_UP_AFTER"] = 0  # the outbox stops trying at its next attempt
    assert deliver_due(now=message.next_attempt_at).gave_up == 1
    [resident] = residents()
    assert resident.status == S.PENDING  # in the queue, without a confirmed address
    assert resident.email_confirmed_at is None
    [entry] = _audit("residents.confirmation_undeliverable")
    assert (entry.target_id, entry.details["status"]) == (resident.id, "pending")
    queue = _list(console(), "pending")
    assert "Fictief Onbereikbaar" in queue
    assert "data-unverified" in queue  # the beheerder sees that nobody confirmed the address

    own = open_link(client, my_data_link(resident)).get_data(as_text=True)
    assert "aangemeld; een beheerder voegt u toe" in own  # what "Mijn gegevens" tells the resident now
    assert deliver_due(now=utcnow() + timedelta(days=1)).attempted == 0  # a given-up mail is not tried again


def test_a_signup_with_the_mail_server_down_waits_on_the_waitlist_of_a_full_group(
    app, client, west, console, make_resident
):
    west.capacity = 1
    make_resident(west, status=S.PENDING, email_confirmed_at=utcnow())  # verified: holds the one seat
    assert client.post("/aanmelden", data=form(name="Fictief Wachtend", email="fictief@example.org")).status_code == 302
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    assert deliver_due().gave_up == 1
    new = [r for r in residents() if r.name == "Fictief Wachtend"]
    assert [r.status for r in new] == [S.WAITLIST]
    [entry] = _audit("residents.confirmation_undeliverable")
    assert entry.details["status"] == "waitlist"
    assert "Fictief Wachtend" in _list(console(), "waitlist")
    own = open_link(client, my_data_link(new[0])).get_data(as_text=True)
    assert "op de wachtlijst · plaats 1 op de wachtlijst" in own


def test_a_given_up_mail_leaves_a_signup_that_is_no_longer_unconfirmed_alone(app, client, west, make_resident):
    """The resident confirmed meanwhile (an earlier mail got through), or was removed: no second decision."""
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    [resident] = residents()
    resident.status = S.REMOVED
    db.session.commit()
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    assert deliver_due().gave_up == 1
    assert residents()[0].status == S.REMOVED
    assert _audit("residents.confirmation_undeliverable") == []


def test_a_given_up_mail_of_a_signup_not_placed_yet_waits_for_its_address(app, client):
    """Stored "to geocode" (no group yet): the queue decision waits for the address (geocode_pending)."""
    from tests.residents.conftest import unavailable_geocoder_config

    app.config.update(unavailable_geocoder_config())
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    told = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "Uw aanmelding is bewaard" in told
    assert "Er is ook een e-mail naar u onderweg" in told
    [resident] = residents()
    assert (resident.status, resident.group_id) == (S.TO_GEOCODE, None)
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    assert deliver_due().gave_up == 1
    assert residents()[0].status == S.TO_GEOCODE
    [message] = db.session.scalars(db.select(OutboxMessage)).all()
    assert message.gave_up_at is not None
