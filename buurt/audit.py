"""Writing the audit log: who viewed or exported personal data, who changed what. Never personal data."""

from flask_login import current_user

from buurt.extensions import db
from buurt.models import AuditEntry


def record(action: str, target_type: str | None = None, target_id: int | None = None, *, commit=False, **details):
    """Add an audit entry for the current user; details must be ids, counts or codes only."""
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    entry = AuditEntry(
        user_id=user_id, action=action, target_type=target_type, target_id=target_id, details=details or None
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry
