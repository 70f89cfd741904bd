"""One-time form tokens already used: a double tap or a resubmit answers with the first result.

The row's key is a hash of purpose and token, so the raw token (which sits in the user's page) is
never stored; `outcome` holds ids and short codes of what the first submit did, never personal data.
Rows are only needed for as long as a page can be resubmitted; `flask buurt purge` removes old ones.
"""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db
from buurt.models.base import UTCDateTime, utcnow


class FormSubmission(db.Model):
    """One form post that went through: sha256(f"{purpose}:{token}") and what it produced."""

    __tablename__ = "form_submission"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))  # e.g. "melding.create", "incident.report"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    outcome: Mapped[dict | None] = mapped_column(JSON)  # e.g. {"melding_id": 12}
