"""Accounts: creating, checking passwords, password reset links, disabling.

Hasher: werkzeug's ``generate_password_hash`` (scrypt, maintained with Flask, salted; the
parameters travel inside the hash so a later werkzeug can raise them without a migration).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache

from flask import current_app, render_template
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from buurt import audit
from buurt.auth.sessions import end_all_sessions
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.models import Group, Role, User, utcnow
from buurt.outbox import queue_mail
from buurt.tokens import InvalidToken, make_token, read_token
from buurt.urls import personal_link

log = logging.getLogger(__name__)


# A real hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
@cache
def _dummy_hash() -> str:
    """Made on first use, not at import (scrypt is deliberately slow)."""
    return generate_password_hash("not-a-password")


RESET_PURPOSE = "reset"


class AccountError(UserError):
    """A user-facing problem with an account action (message in Dutch)."""


class WrongPassword(AccountError):
    """The current password given does not match."""


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # werkzeug's scrypt


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).filter_by(email=normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def check_password_strength(password: str) -> None:
    """Raise AccountError when a new password is too weak (length is what counts)."""
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", 10)
    if len(password or "") < minimum:
        raise AccountError(_("Kies een wachtwoord van minstens %(n)d tekens.", n=minimum))
    if len(password) > 200:
        raise AccountError(_("Dit wachtwoord is te lang (hoogstens 200 tekens)."))
    if len(set(password)) < 4:
        raise AccountError(_("Dit wachtwoord is te eenvoudig. Gebruik bijvoorbeeld een zin van een paar woorden."))


def find_groups(names: Sequence[str]) -> list[Group]:
    """Groups by slug or name (case-insensitive); AccountError naming the one not found."""
    groups = list(db.session.scalars(db.select(Group)))
    found = []
    for name in names:
        wanted = name.strip().casefold()
        match = next((g for g in groups if wanted in (g.slug.casefold(), g.name.casefold())), None)
        if match is None:
            raise AccountError(f"Groep '{name}' bestaat niet. Bestaande groepen: {', '.join(g.slug for g in groups)}.")
        found.append(match)
    return found


def create_user(
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    groups: Sequence[Group] = (),
    is_demo=False,
    neighbourhood_id: int | None = None,
) -> User:
    """Create an account; the e-mail is stored lower-case and must be unique.

    ``neighbourhood_id`` scopes a coordinator to one neighbourhood (None: gemeente-wide).
    """
    email = normalize_email(email)
    if not email or "@" not in email:
        raise AccountError(f"'{email}' is geen e-mailadres.")
    if db.session.scalar(db.select(User.id).filter_by(email=email)):
        raise AccountError(f"Er bestaat al een account met e-mailadres {email}.")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"Onbekende rol '{role}'. Kies uit: {', '.join(r.value for r in Role)}.") from None
    user = User(
        email=email, name=name or email.split("@")[0], role=role, is_demo=is_demo, neighbourhood_id=neighbourhood_id
    )
    if password:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    user.groups = list(groups)
    db.session.add(user)
    db.session.commit()
    log.info("account %s created with role %s", user.id, user.role.value)
    return user


def set_password(user: User, password: str) -> None:
    """Store a new password; every other session and every reset link of this user stops working."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_all_sessions(user)  # this browser's caller starts a new one (buurt.auth.views._start_session)
    db.session.commit()
    log.info("password changed for account %s", user.id)


def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise WrongPassword(_("Het huidige wachtwoord klopt niet."))
    set_password(user, new)


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_all_sessions(user)
    db.session.commit()
    log.info("account %s %s", user.id, "enabled" if active else "disabled")


def list_users() -> list[User]:
    return list(db.session.scalars(db.select(User).order_by(User.role, User.email)))


def beheerder_choices() -> list[User]:
    """Active accounts with the beheerder role (for the group settings form)."""
    return list(
        db.session.scalars(db.select(User).filter_by(role=Role.BEHEERDER, active=True).order_by(User.name, User.email))
    )


# --- password reset ------------------------------------------------------------------------------


def reset_token(user: User) -> str:
    """A signed link token bound to the current password: it dies once the password changes."""
    return make_token(RESET_PURPOSE, {"u": user.id, "f": user.credential_fingerprint(RESET_PURPOSE)})


def reset_url(user: User) -> str:
    """The absolute reset link under SITE_URL (also from the CLI)."""
    return personal_link("auth.reset_password", reset_token(user))  # the token after '#': in no log


def user_from_reset_token(token: str) -> User:
    """The user a reset link belongs to; AccountError (Dutch) when broken, expired or used."""
    try:
        data = read_token(RESET_PURPOSE, token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except InvalidToken as error:
        if error.expired:
            raise AccountError(_("Deze link is verlopen. Vraag hieronder een nieuwe aan.")) from None
        raise AccountError(_("Deze link klopt niet. Vraag hieronder een nieuwe aan.")) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("f") != user.credential_fingerprint(RESET_PURPOSE):
        raise AccountError(_("Deze link is al gebruikt of niet meer geldig. Vraag hieronder een nieuwe aan."))
    return user


def send_reset_mail(email: str) -> bool:
    """Queue a mail with a reset link when the address belongs to an active account (the outbox sends it
    after the commit); the caller says the same either way.

    Both branches do the same work (render the mail, sign a link, write and commit one row), so the
    answer's timing does not tell whether the address has an account (issue 12, finding 8).
    """
    user = user_by_email(email)
    known = user is not None and user.active
    hours = max(current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600, 1)
    stand_in = user if known else User(id=0, email="", name="", password_hash="")
    body = render_template("email/password_reset.txt", name=stand_in.name, url=reset_url(stand_in), hours=hours)
    queued = known and queue_mail(
        user.email, _("Nieuw wachtwoord kiezen"), body, kind="password_reset", user_id=user.id
    )
    audit.record("auth.reset_request", count=int(bool(queued)), commit=True)
    log.info("password reset asked: %s", "mail queued" if queued else "no mail (unknown or disabled address)")
    return bool(queued)
