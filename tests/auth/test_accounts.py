"""Login, sessions, password reset by e-mail, password change and the `users` CLI."""

import re

import pytest

from buurt.auth import services
from buurt.extensions import db
from buurt.models import Role, User
from tests.conftest import PASSWORD
from tests.link_support import open_link, post_link

NEW_PASSWORD = "een nieuw lang wachtwoord"


def _in_fresh_context(app, fn):
    with app.app_context():
        return fn()


def test_login_wrong_password_gives_dutch_message(client, make_user):
    user = make_user(Role.BEHEERDER)
    response = client.post("/inloggen", data={"email": user.email, "password": "fout wachtwoord"})
    assert response.status_code == 200
    assert "horen niet bij elkaar" in response.get_data(as_text=True)


def test_login_page_renders_with_reset_link(client):
    html = client.get("/inloggen").get_data(as_text=True)
    assert 'name="password"' in html
    assert "/wachtwoord-vergeten" in html


def test_login_lands_by_role_and_respects_safe_next(client, make_user, groups):
    beheerder = make_user(Role.BEHEERDER, groups=[groups[0]])
    response = client.post("/inloggen?next=/beheer/gebieden", data={"email": beheerder.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/beheer/gebieden")


def test_login_refuses_offsite_next(app, make_user):
    user = make_user(Role.COORDINATOR)
    client = app.test_client()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        with app.app_context():
            response = client.post(f"/inloggen?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/beheer/"


def test_disabled_account_cannot_log_in_and_loses_its_session(app, make_user):
    user = make_user(Role.COORDINATOR)
    client = app.test_client()
    with app.app_context():
        client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
        assert client.get("/beheer/").status_code == 200
    services.set_active(user, False)
    with app.app_context():
        assert client.get("/beheer/").status_code == 302
        response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 200


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user(Role.COORDINATOR)
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        with app.app_context():
            c.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    with app.app_context():
        response = first.post(
            "/account/wachtwoord",
            data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        assert response.status_code == 302
    with app.app_context():
        assert first.get("/beheer/").status_code == 200  # the one who changed it stays in
    with app.app_context():
        assert second.get("/beheer/").status_code == 302  # the other device is logged out


def test_password_change_checks_current_and_strength(client, login, make_user):
    user = make_user(Role.COORDINATOR)
    login(user)
    html = client.post(
        "/account/wachtwoord", data={"current": "verkeerd", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    ).get_data(as_text=True)
    assert "huidige wachtwoord klopt niet" in html
    html = client.post(
        "/account/wachtwoord", data={"current": PASSWORD, "password": "kort", "confirm": "kort"}
    ).get_data(as_text=True)
    assert "minstens 10 tekens" in html


def test_session_is_permanent_with_lifetime(app, client, login, make_user):
    login(make_user(Role.COORDINATOR))
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.expires is not None
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 8 * 3600


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


def _reset_link(smtp_server) -> str:
    body = smtp_server.inbox.bodies()[-1]
    link = re.search(r"http://localhost/wachtwoord-herstellen#\S+", body).group(0)
    assert link.split("#", 1)[1] in body.splitlines()  # the code on its own line, to paste without JavaScript
    return link


def test_password_reset_by_mail_works_once(app, make_user, smtp_server, deliver_mail):
    user = make_user(Role.BEHEERDER)
    client = app.test_client()
    with app.app_context():
        response = client.post("/wachtwoord-vergeten", data={"email": user.email.upper()})
    assert response.status_code == 302
    assert len(deliver_mail()) == 1
    assert smtp_server.inbox.messages[0]["To"] == user.email
    link = _reset_link(smtp_server)
    with app.app_context():
        assert "Nieuw wachtwoord nog een keer" in open_link(client, link).get_data(as_text=True)
        data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        response = post_link(client, link, "/wachtwoord-herstellen", data)
        assert response.status_code == 302
    db.session.expire_all()
    assert services.authenticate(user.email, NEW_PASSWORD) is not None
    with app.app_context():  # the used link is dead: the password it was bound to changed
        response = open_link(client, link)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/wachtwoord-vergeten")


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(app, client, deliver_mail):
    response = client.post("/wachtwoord-vergeten", data={"email": "niemand@example.org"}, follow_redirects=True)
    assert "Als dit adres bij een account hoort" in response.get_data(as_text=True)
    assert deliver_mail() == []


def test_broken_and_expired_reset_links(app, client, make_user, monkeypatch):
    user = make_user(Role.BEHEERDER)
    response = client.get("/wachtwoord-herstellen/kapot", follow_redirects=True)  # an old link: the open page
    assert response.status_code == 200
    assert (
        client.post("/wachtwoord-herstellen", data={"open": "1"}).headers["Location"].endswith("/wachtwoord-vergeten")
    )
    response = open_link(client, "/wachtwoord-herstellen#kapot")
    assert "klopt niet" in client.get(response.headers["Location"]).get_data(as_text=True)
    token = services.reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = open_link(client, f"/wachtwoord-herstellen#{token}")
    assert "verlopen" in client.get(response.headers["Location"]).get_data(as_text=True)
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "token": token}
    assert client.post("/wachtwoord-herstellen", data=data).status_code == 302  # the expired link sets nothing
    assert services.authenticate(user.email, NEW_PASSWORD) is None


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_users_create_with_password_prompt(runner, groups):
    result = runner.invoke(
        args=["buurt", "users", "create", "Nieuw@Example.org", "--role", "beheerder", "--group", groups[0].slug],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="nieuw@example.org"))
    assert user.role == Role.BEHEERDER
    assert [g.id for g in user.groups] == [groups[0].id]
    assert services.authenticate("nieuw@example.org", NEW_PASSWORD) is not None


def test_cli_users_create_with_link_list_disable(runner, groups):
    result = runner.invoke(args=["buurt", "users", "create", "coord@example.org", "--role", "coordinator", "--link"])
    assert result.exit_code == 0, result.output
    assert "/wachtwoord-herstellen#" in result.output
    result = runner.invoke(args=["buurt", "users", "list"])
    assert "coord@example.org" in result.output
    assert "coordinator" in result.output
    result = runner.invoke(args=["buurt", "users", "disable", "coord@example.org"])
    assert result.exit_code == 0
    assert db.session.scalar(db.select(User.active).filter_by(email="coord@example.org")) is False
    result = runner.invoke(args=["buurt", "users", "disable", "niemand@example.org"])
    assert result.exit_code != 0
    assert "Geen account" in result.output


def test_cli_users_create_errors_are_dutch(runner, groups, make_user):
    make_user(Role.ADMIN, email="dubbel@example.org")
    result = runner.invoke(args=["buurt", "users", "create", "dubbel@example.org", "--role", "admin", "--link"])
    assert result.exit_code != 0
    assert "bestaat al" in result.output
    result = runner.invoke(
        args=["buurt", "users", "create", "x@example.org", "--role", "beheerder", "--group", "Nergens"]
    )
    assert result.exit_code != 0
    assert "bestaat niet" in result.output
    result = runner.invoke(
        args=["buurt", "users", "create", "y@example.org", "--role", "wijkagent", "--group", groups[0].slug, "--link"]
    )
    assert result.exit_code != 0
    assert "Alleen een beheerder" in result.output
    result = runner.invoke(args=["buurt", "users", "create", "z@example.org", "--role", "admin"], input="kort\nkort\n")
    assert result.exit_code != 0
    assert "minstens" in result.output
