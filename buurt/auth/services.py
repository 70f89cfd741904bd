"""Accounts: creating, checking passwords, disabling."""

import logging

from werkzeug.security import check_password_hash, generate_password_hash

from buurt.extensions import db
from buurt.models import Group, Role, User, utcnow

log = logging.getLogger(__name__)

# A real hash to compare against when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountError(Exception):
    """A user-facing problem with an account action (message in Dutch)."""


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # werkzeug's scrypt


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = db.session.scalar(db.select(User).filter_by(email=email.strip().lower()))
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def create_user(
    email: str, name: str, role: Role, password: str | None = None, groups: list[Group] = (), is_demo=False
) -> User:
    """Create an account; the e-mail is stored lower-case and must be unique."""
    email = email.strip().lower()
    if db.session.scalar(db.select(User.id).filter_by(email=email)):
        raise AccountError(f"Er bestaat al een account met e-mailadres {email}.")
    user = User(email=email, name=name, role=Role(role), is_demo=is_demo)
    if password:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    user.groups = list(groups)
    db.session.add(user)
    db.session.commit()
    log.info("account %s created with role %s", user.id, user.role.value)
    return user
