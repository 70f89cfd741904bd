"""Double opt-in by e-mail against an SMTP server on 127.0.0.1, and the beheerders' digest."""

import re

import pytest

from buurt.models import ResidentStatus, Role, utcnow
from buurt.residents.digest import send_signup_digest
from tests.link_support import open_link, post_link
from tests.residents.conftest import form, residents

CONFIRM = "/aanmelden/bevestigen"


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


def link_in(body: str) -> str:
    return re.search(r"http://localhost/\S+", body).group(0)


def test_signup_with_email_waits_for_the_link_then_becomes_pending(client, addresses, smtp_server, deliver_mail):
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    [r] = residents()
    assert r.status == ResidentStatus.UNCONFIRMED
    assert r.email_confirmed_at is None
    assert "Bijna klaar" in client.get("/aanmelden/ontvangen").get_data(as_text=True)

    [message] = deliver_mail()
    assert message["To"] == "fictief@example.org"
    path = link_in(smtp_server.inbox.bodies()[0])
    assert path.startswith("http://localhost/aanmelden/bevestigen#")

    page = open_link(client, path)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200
    assert "Ja, bevestig mijn aanmelding" in page.get_data(as_text=True)
    assert residents()[0].status == ResidentStatus.UNCONFIRMED

    done = post_link(client, path, CONFIRM)
    assert done.status_code == 200
    assert "uw e-mailadres is bevestigd" in done.get_data(as_text=True)
    [r] = residents()
    assert r.status == ResidentStatus.PENDING
    assert r.email_confirmed_at is not None

    again = post_link(client, path, CONFIRM)  # a second click is harmless
    assert again.status_code == 200
    assert residents()[0].status == ResidentStatus.PENDING


def test_group_full_at_confirmation_means_waitlist(
    client, addresses, smtp_server, deliver_mail, group_by_key, make_resident
):
    client.post("/aanmelden", data=form(email="fictief@example.org"))
    deliver_mail()
    west = group_by_key["rijnsoever-west"]
    west.capacity = 1
    make_resident(west, status=ResidentStatus.ADDED)
    html = post_link(client, link_in(smtp_server.inbox.bodies()[0]), CONFIRM).get_data(as_text=True)
    assert "U staat op de wachtlijst" in html
    assert "plaats 1" in html
    assert residents()[0].status == ResidentStatus.WAITLIST


def test_expired_link_gets_a_dutch_message_and_a_way_forward(app, client, addresses, smtp_server, deliver_mail):
    client.post("/aanmelden", data=form(email="fictief@example.org"))
    deliver_mail()
    path = link_in(smtp_server.inbox.bodies()[0])
    app.config["SIGNUP_TOKEN_MAX_AGE"] = -1
    response = post_link(client, path, CONFIRM)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Deze link is verlopen." in html
    assert "Opnieuw aanmelden" in html
    assert residents()[0].status == ResidentStatus.UNCONFIRMED


def test_expired_unconfirmed_signup_does_not_block_a_new_one(app, client, addresses, smtp_server):
    client.post("/aanmelden", data=form(email="fictief@example.org"))
    app.config["SIGNUP_TOKEN_MAX_AGE"] = -1
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    assert len(residents()) == 1


def test_forged_link_gets_a_dutch_message(client, addresses, smtp_server, deliver_mail):
    client.post("/aanmelden", data=form(email="fictief@example.org"))
    deliver_mail()
    path = link_in(smtp_server.inbox.bodies()[0])
    for forged in (path[:-3] + "abc", "/aanmelden/bevestigen#niet-echt"):
        response = open_link(client, forged)
        assert response.status_code == 400
        assert "Deze link klopt niet" in response.get_data(as_text=True)
    assert residents()[0].status == ResidentStatus.UNCONFIRMED


def test_a_my_data_link_is_no_confirmation_link(client, addresses, smtp_server):
    from buurt.residents.links import my_data_link

    client.post("/aanmelden", data=form(email="fictief@example.org"))
    assert post_link(client, my_data_link(residents()[0]), CONFIRM).status_code == 400


def test_digest_tells_beheerders_counts_without_personal_data(
    client, runner, addresses, smtp_server, deliver_mail, make_user, group_by_key, make_resident
):
    west = group_by_key["rijnsoever-west"]
    beheerder = make_user(Role.BEHEERDER, groups=[west], email="beheerder-west@example.org")
    west.capacity = 1
    client.post("/aanmelden", data=form(phone="06 11111111"))  # pending (without e-mail: holds no seat)
    make_resident(west, status=ResidentStatus.PENDING, email_confirmed_at=utcnow(), digest_sent_at=utcnow())
    client.post("/aanmelden", data=form(phone="06 22222222", name="Fictief Wachtend"))  # waitlist
    make_resident(west, status=ResidentStatus.UNCONFIRMED)  # not confirmed: not in the digest

    result = runner.invoke(args=["buurt", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 nieuw, 1 wachtlijst" in result.output
    [message] = smtp_server.inbox.messages
    assert beheerder.email in message["To"]
    body = smtp_server.inbox.bodies()[0]
    assert "1 om toe te voegen" in body
    assert "1 op de wachtlijst" in body
    assert "http://localhost/beheer/" in body
    for secret in ("Fictief", "0611111111", "+31611111111", "2221", "Fictieweg"):
        assert secret not in body
        assert secret not in message["Subject"]

    assert send_signup_digest() == []  # already told
    assert len(deliver_mail()) == 1


def test_group_without_beheerders_goes_to_the_coordinators(client, addresses, smtp_server, deliver_mail, make_user):
    make_user(Role.COORDINATOR, email="coordinator@example.org")
    client.post("/aanmelden", data=form())
    [line] = send_signup_digest()
    assert line.queued
    assert "coordinator@example.org" in deliver_mail()[0]["To"]


class TestWithoutMail:
    @pytest.fixture
    def app_config(self):
        return {"MAIL_SERVER": None}

    def test_no_smtp_no_optin_no_digest_site_still_works(self, client, runner, addresses, make_user, group_by_key):
        make_user(Role.BEHEERDER, groups=[group_by_key["rijnsoever-west"]])
        assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
        [r] = residents()
        assert r.status == ResidentStatus.PENDING
        assert r.email == "fictief@example.org"
        assert send_signup_digest() == []
        assert "Geen MAIL_SERVER" in runner.invoke(args=["buurt", "digest"]).output
        assert residents()[0].digest_sent_at is None
