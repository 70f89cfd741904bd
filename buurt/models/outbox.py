"""The mail outbox: a message is a row written in the same transaction as the change it reports.

A sender (buurt.outbox) delivers it after the commit, so no request ever waits on SMTP and no
change is ever without its mail (or a mail without its change). Recipients and body are personal
data: they are erased once the message is sent or given up; kind, references and timestamps stay
for the beheerders' view ("3 of 5 groups mailed").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow

_UNSENT = "sent_at IS NULL AND gave_up_at IS NULL"


class OutboxMessage(db.Model):
    """One plain-text mail waiting to go out, going out, sent, or given up."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # the sender's query: unsent messages by due time (a partial index stays as small as the backlog)
        Index("ix_outbox_message_due", "next_attempt_at", sqlite_where=text(_UNSENT), postgresql_where=text(_UNSENT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # "signup_confirm", "melding", ... (a code, never text)
    recipients: Mapped[str | None] = mapped_column(Text)  # JSON list of addresses; None once sent/given up
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # may hold personal links; None once sent/given up
    message_id: Mapped[str] = mapped_column(String(255), unique=True)  # RFC 5322 Message-ID, same on every try
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a sender's lease while it sends
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(100))  # exception class name, never its text

    # What the message is about. Deleting the resident, account or melding deletes its mail too.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    melding_id: Mapped[int | None] = mapped_column(ForeignKey("melding.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id", ondelete="SET NULL"), index=True)

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def is_given_up(self) -> bool:
        return self.gave_up_at is not None
