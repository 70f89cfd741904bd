"""The retention rule: sign-ups never confirmed or never added, and removed members, go after RETENTION_DAYS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_

from buurt import audit
from buurt.extensions import db
from buurt.models import Resident, ResidentStatus, utcnow
from buurt.residents import lifecycle

S = ResidentStatus
#: What the retention rule removes; see stale_signups.
PURGED_STATUSES = (S.UNCONFIRMED, S.TO_GEOCODE, S.PENDING, S.NOT_REACHABLE, S.REMOVED)


@dataclass
class PurgeReport:
    """What the retention rule removes (or would remove), counted per status."""

    by_status: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    applied: bool = False

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def stale_signups(now: datetime | None = None) -> list[Resident]:
    """Sign-ups the retention rule removes: never confirmed or never added, older than RETENTION_DAYS.

    - UNCONFIRMED, TO_GEOCODE: counted from the sign-up;
    - PENDING and NOT_REACHABLE (never added): counted from the confirmation, or the sign-up;
    - REMOVED (left the group): counted from the removal (the privacy statement promises it).
    WAITLIST is kept: those people confirmed and wait for room, as promised on the site; a
    beheerder removes them from the waitlist when they no longer want to wait.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    started = func.coalesce(Resident.email_confirmed_at, Resident.created_at)
    query = db.select(Resident).where(
        Resident.is_demo.is_(False),
        or_(
            Resident.status.in_((S.UNCONFIRMED, S.TO_GEOCODE)) & (Resident.created_at < cutoff),
            Resident.status.in_((S.PENDING, S.NOT_REACHABLE)) & (started < cutoff),
            (Resident.status == S.REMOVED) & (func.coalesce(Resident.removed_at, Resident.updated_at) < cutoff),
        ),
    )
    return list(db.session.scalars(query.order_by(Resident.id)))


def purge_stale_signups(apply: bool = False) -> PurgeReport:
    """Remove (apply=True) or list (dry run) what the retention rule covers. Logged without personal data."""
    report = PurgeReport(applied=apply)
    for resident in stale_signups():
        report.by_status[resident.status.value] = report.by_status.get(resident.status.value, 0) + 1
        report.ids.append(resident.id)
        if apply:
            lifecycle.unlink_tasks(resident)
            db.session.delete(resident)
    if apply:
        audit.record("residents.purge", count=report.total, **{f"n_{k}": v for k, v in report.by_status.items()})
        db.session.commit()
    else:
        db.session.rollback()
    return report
