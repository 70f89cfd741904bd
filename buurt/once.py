"""One-time form tokens: a double tap, or a resubmit after a timeout, answers with the first result.

Each rendered form carries a random token (`OnceForm.once`). The service that handles the post
claims the token as the first write of its transaction: it inserts the token's row (keyed on a
hash, never the raw token), and the primary key lets only one post through. A second post with
the same token hits that key and gets `AlreadySubmitted` with what the first post recorded (ids
and short codes, never personal data), so the view can answer as the first one did.

Why the first write: on PostgreSQL the second INSERT waits for the first post's transaction (and
fails once it commits, or goes through if it rolls back); on SQLite the write lock does the same.
No SAVEPOINT is needed, but a failed claim rolls the whole session back, so nothing written before
it in the same transaction survives. Slow read-only work (geocoding, routing) goes before it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_wtf import FlaskForm
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from buurt.extensions import db
from buurt.models import FormSubmission, utcnow

log = logging.getLogger(__name__)

#: What new_token makes (32 characters), with room for a longer one; anything else is ignored.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_PURPOSE_MAX = 30


def new_token() -> str:
    """A fresh, unguessable form token (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


class OnceForm(FlaskForm):
    """A form whose post is handled once: inherit it and pass `form.once.data` to `claim`.

    `{{ form.hidden_tag() }}` renders the token with the CSRF field. A form shown again with its
    errors keeps the posted token (nothing was stored, so it is still unused).
    """

    once = HiddenField(default=new_token)


class AlreadySubmitted(Exception):
    """This form was posted before; `outcome` is what the first post recorded (or None)."""

    def __init__(self, outcome: dict | None):
        super().__init__("form already submitted")
        self.outcome = outcome


@dataclass(frozen=True)
class Claim:
    """A token claimed in the current transaction: pass it to `record`."""

    key: str
    purpose: str


def _key(token: str | None, purpose: str) -> str | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return hashlib.sha256(f"{purpose}:{token}".encode()).hexdigest()


def claim(token: str | None, purpose: str) -> Claim | None:
    """Claim the token for `purpose` as the FIRST write of the current transaction.

    Returns None when the token is missing or malformed (the caller proceeds, without protection).
    Raises AlreadySubmitted(outcome) when it was used: the session is then rolled back.
    """
    if len(purpose) > _PURPOSE_MAX:
        raise ValueError(f"purpose longer than {_PURPOSE_MAX} characters")
    key = _key(token, purpose)
    if key is None:
        return None
    try:
        db.session.execute(insert(FormSubmission).values(key=key, purpose=purpose, created_at=utcnow()))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        first = db.session.get(FormSubmission, key)
        log.info("form %s posted again", purpose)
        raise AlreadySubmitted(first.outcome if first is not None else None) from None
    return Claim(key=key, purpose=purpose)


def record(claim: Claim | None, **outcome) -> None:
    """Store what this post did (ids and short codes only) in the same transaction; no-op for None."""
    if claim is None:
        return
    db.session.execute(
        update(FormSubmission).where(FormSubmission.key == claim.key).values(outcome=outcome),
        execution_options={"synchronize_session": False},
    )


def previous(token: str | None, purpose: str) -> dict | None:
    """Read-only: the recorded outcome if this token was used for `purpose` ({} if nothing was recorded).

    None when the token is unused, missing or malformed. For an early answer only: a post that
    finds None must still `claim`, which is what settles a race.
    """
    key = _key(token, purpose)
    if key is None:
        return None
    outcome = db.session.execute(db.select(FormSubmission.outcome).where(FormSubmission.key == key)).first()
    if outcome is None:
        return None
    return dict(outcome[0] or {})


def purge(older_than: timedelta = timedelta(days=2)) -> int:
    """Delete tokens used longer ago than `older_than` and commit; returns how many went."""
    cutoff = utcnow() - older_than
    result = db.session.execute(
        delete(FormSubmission).where(FormSubmission.created_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount or 0


__all__ = ["AlreadySubmitted", "Claim", "OnceForm", "claim", "new_token", "previous", "purge", "record"]
