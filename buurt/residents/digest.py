"""The beheerders' digest: how many new sign-ups wait for them (counts only, never personal data).

Meant for a daily timer on every host (`flask buurt digest --if-due`): one run at a time under the
job lock "digest" (buurt.background.job_lock), and once per local day, read from the audit log's
``residents.digest.run`` entry (counts only), which every host sees.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, render_template
from flask_babel import gettext as _

from buurt import audit
from buurt.areas.occupancy import occupancy
from buurt.background import job_lock
from buurt.extensions import db
from buurt.mail import mail_enabled
from buurt.models import AuditEntry, Group, Resident, ResidentStatus, Role, User, utcnow
from buurt.outbox import queue_mail
from buurt.residents.mailing import mail_names
from buurt.times import to_local
from buurt.urls import external_url

JOB = "digest"  # the job lock's name
RUN_ACTION = "residents.digest.run"  # one audit entry per run (counts only): "already sent today"


def digest_lock(app: Flask, *, wait: bool = False) -> contextlib.AbstractContextManager[bool]:
    """Hold the digest's lock (every process on every host) while the block runs; yields False if
    another process holds it (only with ``wait=False``)."""
    return job_lock(app, JOB, wait=wait)


def last_digest() -> datetime | None:
    """When a digest run last finished (any host), from the audit log."""
    return db.session.scalar(db.select(db.func.max(AuditEntry.at)).where(AuditEntry.action == RUN_ACTION))


def digest_due(now: datetime, last: datetime | None) -> bool:
    """Due once per local day: not when a run already finished today (local time)."""
    return last is None or to_local(last).date() < to_local(now).date()


@dataclass
class DigestLine:
    group_id: int
    group_name: str
    pending: int = 0
    waitlist: int = 0
    needs_review: int = 0
    recipients: int = 0
    queued: bool = False  # the outbox sends it after the commit


def send_signup_digest() -> list[DigestLine]:
    """Queue a mail to each group's beheerders: how many new sign-ups await them (counts only, no personal data).

    Residents counted are stamped (digest_sent_at) in the transaction that queues the mail, so each is
    counted in one digest. No MAIL_SERVER: nothing.
    """
    if not mail_enabled():
        return []
    rows = list(
        db.session.scalars(
            db.select(Resident).where(
                Resident.digest_sent_at.is_(None),
                Resident.group_id.is_not(None),
                Resident.status.in_((ResidentStatus.PENDING, ResidentStatus.WAITLIST)),
            )
        )
    )
    by_group: dict[int, list[Resident]] = {}
    for r in rows:
        by_group.setdefault(r.group_id, []).append(r)
    coordinators = list(db.session.scalars(db.select(User).filter_by(role=Role.COORDINATOR, active=True)))
    console = external_url("beheer.index")
    lines = []
    for group_id, residents in sorted(by_group.items()):
        group = db.session.get(Group, group_id)
        line = DigestLine(
            group_id,
            group.name,
            pending=sum(r.status == ResidentStatus.PENDING for r in residents),
            waitlist=sum(r.status == ResidentStatus.WAITLIST for r in residents),
            needs_review=sum(r.needs_review for r in residents),
        )
        # no beheerder: the coordinators of its neighbourhood (and the gemeente-wide ones)
        recipients = [u.email for u in group.beheerders if u.active] or [
            u.email for u in coordinators if u.neighbourhood_id in (None, group.neighbourhood_id)
        ]
        line.recipients = len(recipients)
        names = mail_names(group_id)
        body = render_template(
            "email/digest.txt", group=group, line=line, occupancy=occupancy([group])[group_id], link=console, **names
        )
        subject = _("Nieuwe aanmeldingen voor %(group)s (%(hood)s)", group=group.name, hood=names["hood_name"])
        if queue_mail(recipients, subject, body, kind="digest", group_id=group_id):
            line.queued = True
            now = utcnow()
            for r in residents:
                r.digest_sent_at = now
            audit.record("residents.digest", "group", group_id, count=len(residents), recipients=len(recipients))
        lines.append(line)
    audit.record(RUN_ACTION, groups=len(lines), queued=sum(line.queued for line in lines))
    db.session.commit()
    return lines
