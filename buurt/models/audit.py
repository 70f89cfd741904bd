"""Audit log: who looked at or exported personal data, and who changed what. No personal data in it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One action. `details` holds ids and counts only, never names, addresses or numbers."""

    # the rows about one record: Mijn gegevens lists them, erasing a resident strips their id
    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "residents.view", "export.vcard"
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict | None] = mapped_column(JSON)
