"""Server-side staff sessions: a login lasts only as long as its row in ``user_session``.

Flask's session is a signed cookie, so on its own a copy of it stays valid for as long as it is
fresh: logging out in one browser did not stop a copy working in another (issue 12). Now the
cookie carries a random token, and the row (holding only the token's SHA-256) decides:

- logging out ends the row, so every copy of the cookie stops working;
- a password change or reset and disabling the account end every row of the user (the browser
  that changed the password gets a new session with a new token);
- a login ends LOGIN_MAX_AGE after it began, however active, and after LOGIN_IDLE_TIMEOUT
  without a request.

This replaces Flask-Login's ``session_protection``: "strong" was silently downgraded to a
freshness flag by permanent sessions, and binding a login to the visitor's IP address logs out
a phone that moves from wifi to 4G. ``last_seen_at`` is written at most once a minute per session,
so a busy beheerder costs SQLite one small write a minute, not one per request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, update

from buurt.extensions import db
from buurt.models import User, UserSession, utcnow

log = logging.getLogger(__name__)

#: where the token lives in Flask's (signed) session cookie
SESSION_KEY = "auth.session"
#: last_seen_at is only written when it is older than this (idle timeouts are far longer)
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return timedelta(seconds=config["LOGIN_MAX_AGE"]), timedelta(seconds=config["LOGIN_IDLE_TIMEOUT"])


def _is_over(row: UserSession, now: datetime) -> bool:
    max_age, idle = _limits()
    return now - row.created_at > max_age or now - row.last_seen_at > idle


def start_session(user: User) -> str:
    """Open a session for `user` and commit; the token goes in the cookie (SESSION_KEY).

    The user's ended and expired rows are removed first, so the table holds about one row per
    device in use.
    """
    now = utcnow()
    max_age, idle = _limits()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(
                UserSession.ended_at.is_not(None),
                UserSession.created_at < now - max_age,
                UserSession.last_seen_at < now - idle,
            ),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    db.session.commit()
    return token


def end_session(token: object) -> None:
    """End the session with this token (logging out); nothing happens for an unknown token."""
    if not isinstance(token, str) or not token:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """End every open session of `user` in the caller's transaction (the caller commits)."""
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    ).rowcount
    log.info("%d session(s) of account %s ended", ended, user.id)


def user_for_session(token: object, user_id: str) -> User | None:
    """The user of an open, fresh session with this token, or None (Flask-Login's user_loader).

    `user_id` is what Flask-Login stored at login (User.get_id, which changes with the password):
    it must still match the row's user. May commit (ending an expired row, or the once-a-minute
    last_seen_at), so it runs at the start of a request, before a view has changed anything
    (buurt.auth.views.load_login_first).
    """
    if not isinstance(token, str) or not token:
        return None
    row = db.session.scalar(db.select(UserSession).filter_by(token_hash=_digest(token)))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if _is_over(row, now):
        row.ended_at = now
        db.session.commit()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or user.get_id() != user_id:
        return None
    return user
