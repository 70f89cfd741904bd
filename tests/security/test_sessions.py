"""Staff sessions end on the server (issue 12, finding 6).

Before: the session was only a signed cookie, so a copy made before logging out still downloaded
a member CSV from another browser, and the 8 h lifetime slid with every request. Each test drives
real requests through the test client; a "copied cookie" is the session cookie of one client set
on a second client.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from buurt.auth import services
from buurt.auth.sessions import SESSION_KEY
from buurt.extensions import db
from buurt.models import ResidentStatus, Role, UserSession, utcnow
from tests.conftest import PASSWORD

NEW_PASSWORD = "een heel nieuw wachtwoord"


@pytest.fixture
def beheerder(make_user, groups, make_resident):
    """A beheerder of the first group, which has one member (so the CSV has a row)."""
    make_resident(groups[0], status=ResidentStatus.ADDED)
    return make_user(Role.BEHEERDER, groups=[groups[0]])


def _log_in(app, user, password=PASSWORD):
    client = app.test_client()
    response = client.post("/inloggen", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _csv_status(client, group) -> int:
    return client.get(f"/beheer/groep/{group.id}/leden.csv").status_code


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/inloggen" in response.headers["Location"]


def _cookie_data(app, client) -> dict:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)


def _rows(user) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(UserSession).filter_by(user_id=user.id).order_by(UserSession.id)))


def test_a_cookie_copied_before_logout_no_longer_downloads_the_member_csv(app, beheerder, groups):
    browser = _log_in(app, beheerder)
    copy = _copy_of(app, browser)
    assert _csv_status(copy, groups[0]) == 200  # the copy works while the login is open: the control

    response = browser.post("/uitloggen")
    assert response.status_code == 302

    assert _is_sent_to_login(copy.get(f"/beheer/groep/{groups[0].id}/leden.csv"))
    assert _is_sent_to_login(copy.get("/beheer/"))
    assert _is_sent_to_login(browser.get("/beheer/"))
    assert [row.ended_at is not None for row in _rows(beheerder)] == [True]


def test_logging_out_in_one_browser_leaves_the_other_login_alone(app, beheerder, groups):
    laptop, phone = _log_in(app, beheerder), _log_in(app, beheerder)
    laptop.post("/uitloggen")
    assert _csv_status(phone, groups[0]) == 200
    assert _is_sent_to_login(laptop.get("/beheer/"))


def test_password_change_ends_every_other_session_and_renews_this_one(app, beheerder, groups):
    browser, other = _log_in(app, beheerder), _log_in(app, beheerder)
    before_change = _copy_of(app, browser)

    response = browser.post(
        "/account/wachtwoord", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302

    assert _csv_status(browser, groups[0]) == 200  # the one who changed it stays in ...
    assert _is_sent_to_login(other.get("/beheer/"))  # ... the other device is out ...
    assert _is_sent_to_login(before_change.get("/beheer/"))  # ... and so is the old cookie of this one
    open_rows = [row for row in _rows(beheerder) if row.ended_at is None]
    assert len(open_rows) == 1


def test_password_reset_ends_every_session(app, beheerder, groups):
    other = _log_in(app, beheerder)
    token = services.reset_token(beheerder)
    browser = app.test_client()
    response = browser.post(
        "/wachtwoord-herstellen", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "token": token}
    )
    assert response.status_code == 302

    assert _is_sent_to_login(other.get("/beheer/"))
    assert _csv_status(browser, groups[0]) == 200  # the reset logs this browser in with a new session


def test_disabling_an_account_ends_its_sessions(app, beheerder):
    browser = _log_in(app, beheerder)
    services.set_active(beheerder, False)
    assert all(row.ended_at is not None for row in _rows(beheerder))
    services.set_active(beheerder, True)  # switched on again: the old login does not come back
    assert _is_sent_to_login(browser.get("/beheer/"))


def _age(user, *, created: timedelta | None = None, seen: timedelta | None = None) -> None:
    """Move the user's open session back in time (as if it began / was last used that long ago)."""
    values = {}
    if created is not None:
        values["created_at"] = utcnow() - created
    if seen is not None:
        values["last_seen_at"] = utcnow() - seen
    db.session.execute(db.update(UserSession).where(UserSession.user_id == user.id).values(**values))
    db.session.commit()


def test_a_login_ends_after_its_absolute_lifetime_however_busy(app, beheerder):
    browser = _log_in(app, beheerder)
    max_age = app.config["LOGIN_MAX_AGE"]
    _age(beheerder, created=timedelta(seconds=max_age - 120), seen=timedelta(0))
    assert browser.get("/beheer/").status_code == 200  # just inside the lifetime
    _age(beheerder, created=timedelta(seconds=max_age + 1), seen=timedelta(0))
    assert _is_sent_to_login(browser.get("/beheer/"))  # used a moment ago, but too old
    assert _rows(beheerder)[0].ended_at is not None


def test_a_login_ends_after_the_idle_timeout(app, beheerder):
    browser = _log_in(app, beheerder)
    idle = app.config["LOGIN_IDLE_TIMEOUT"]
    _age(beheerder, seen=timedelta(seconds=idle - 120))
    assert browser.get("/beheer/").status_code == 200  # used within the timeout: still in ...
    assert utcnow() - _rows(beheerder)[0].last_seen_at < timedelta(seconds=60)  # ... and seen again now
    _age(beheerder, seen=timedelta(seconds=idle + 1))
    assert _is_sent_to_login(browser.get("/beheer/"))


def test_last_seen_is_written_at_most_once_a_minute(app, beheerder):
    browser = _log_in(app, beheerder)
    _age(beheerder, seen=timedelta(seconds=30))
    seen = _rows(beheerder)[0].last_seen_at
    browser.get("/beheer/")
    assert _rows(beheerder)[0].last_seen_at == seen  # 30 s ago: no write
    _age(beheerder, seen=timedelta(seconds=90))
    browser.get("/beheer/")
    assert utcnow() - _rows(beheerder)[0].last_seen_at < timedelta(seconds=60)


def test_the_database_holds_only_a_hash_of_the_token(app, beheerder):
    browser = _log_in(app, beheerder)
    token = _cookie_data(app, browser)[SESSION_KEY]
    (row,) = _rows(beheerder)
    assert len(token) >= 40
    assert token not in row.token_hash


def test_a_signed_cookie_without_a_server_side_session_is_not_a_login(app, beheerder):
    """What a session cookie used to be (user id + password fingerprint, validly signed) is not enough."""
    serializer = app.session_interface.get_signing_serializer(app)
    forged = app.test_client()
    old_style = {"_user_id": beheerder.get_id(), "_fresh": True, "_permanent": True}
    forged.set_cookie("session", serializer.dumps(old_style))
    assert _is_sent_to_login(forged.get("/beheer/"))


def test_a_remember_cookie_is_not_a_way_around_the_session(app, beheerder):
    """The site sets no "remember me" cookie; a validly signed one must not log anyone in either."""
    with app.test_request_context():
        value = encode_cookie(beheerder.get_id())
    client = app.test_client()
    client.set_cookie("remember_token", value)
    assert _is_sent_to_login(client.get("/beheer/"))


def test_logging_in_again_clears_the_users_dead_sessions(app, beheerder):
    _log_in(app, beheerder).post("/uitloggen")
    _log_in(app, beheerder).post("/uitloggen")
    _log_in(app, beheerder)
    assert [row.ended_at for row in _rows(beheerder)] == [None]
