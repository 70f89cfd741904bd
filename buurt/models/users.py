"""Accounts of beheerders, coordinators, wijkagenten and admins (residents have no password)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from buurt.extensions import db
from buurt.models.areas import group_beheerders
from buurt.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from buurt.models.areas import Group


class Role(StrEnum):
    """What an account may do; the rules live in buurt/auth/permissions.py."""

    BEHEERDER = "beheerder"  # beheerder of the groups in User.groups
    COORDINATOR = "coordinator"  # all groups of User.neighbourhood; without one: all of the gemeente
    WIJKAGENT = "wijkagent"  # read-only: incidents, meldingen and maps, never the member list
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person who logs in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    # A coordinator's neighbourhood (buurt.auth.permissions.coordinates); None: gemeente-wide
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhood.id"))
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    groups: Mapped[list[Group]] = relationship(secondary=group_beheerders, back_populates="beheerders")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        return self.active

    def credential_fingerprint(self, purpose: str) -> str:
        """A short keyed digest of the password hash: it changes whenever the password does.

        Put in the session id (so a password change ends every other session) and in reset
        links (so a used link dies). Keyed with SECRET_KEY, so it says nothing about the hash.
        """
        from flask import current_app

        key = f"{current_app.config['SECRET_KEY']}:{purpose}".encode()
        return hmac.new(key, (self.password_hash or "-").encode(), hashlib.sha256).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login: "<id>:<fingerprint>", see buurt.auth.views.load_user
        return f"{self.id}:{self.credential_fingerprint('session')}"


class UserSession(db.Model):
    """One login: the server-side half of a staff session (buurt.auth.sessions).

    The session cookie carries a random token; this row carries only its SHA-256, so a copy of the
    database does not let anyone log in. A session counts only while its row is open (no
    ``ended_at``), younger than LOGIN_MAX_AGE and used within LOGIN_IDLE_TIMEOUT: logging out,
    a password change or reset and disabling the account end the row, and with it every copy of
    the cookie.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
