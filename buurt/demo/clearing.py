"""`flask buurt demo --clear`: remove exactly the demo records, never real ones."""

from __future__ import annotations

import logging

from sqlalchemy import delete, or_, select, update

from buurt.demo.gemeente import remove_demo_neighbourhoods
from buurt.extensions import db
from buurt.models import (
    Address,
    AuditEntry,
    BoundaryGeneration,
    GroupTask,
    Incident,
    Melding,
    MeldingTarget,
    Resident,
    User,
    group_beheerders,
)

log = logging.getLogger(__name__)


def clear_demo() -> dict[str, int]:
    """Delete every demo record, and the audit entries and tasks that point at them; real data stays.

    Also the neighbourhoods `demo --gemeente` added, with their groups and areas (see
    buurt.demo.gemeente; one that real records depend on is kept). One transaction. References
    from real records to demo ones (a real incident reported by a demo account, say) are set to
    NULL, never deleted.
    """
    demo_users = select(User.id).where(User.is_demo.is_(True))
    demo_residents = select(Resident.id).where(Resident.is_demo.is_(True))
    demo_incidents = select(Incident.id).where(Incident.is_demo.is_(True))
    demo_meldingen = select(Melding.id).where(Melding.is_demo.is_(True))
    demo_targets = select(MeldingTarget.id).where(MeldingTarget.melding_id.in_(demo_meldingen))
    demo_addresses = select(Address.id).where(Address.is_demo.is_(True))
    pointed_at = {
        Resident.__tablename__: demo_residents,
        Incident.__tablename__: demo_incidents,
        Melding.__tablename__: demo_meldingen,
        MeldingTarget.__tablename__: demo_targets,
        User.__tablename__: demo_users,
        Address.__tablename__: demo_addresses,
    }
    session = db.session
    counts: dict[str, int] = {}
    try:
        audit_filter = or_(
            AuditEntry.user_id.in_(demo_users),
            *((AuditEntry.target_type == name) & AuditEntry.target_id.in_(ids) for name, ids in pointed_at.items()),
        )
        counts["audit"] = _delete(delete(AuditEntry).where(audit_filter))
        counts["tasks"] = _delete(
            delete(GroupTask).where(or_(GroupTask.is_demo.is_(True), GroupTask.resident_id.in_(demo_residents)))
        )
        # Real records keep existing when they point at demo ones (the database would do the
        # same with its ON DELETE SET NULL rules; done here so it never depends on them).
        session.execute(update(GroupTask).where(GroupTask.done_by_id.in_(demo_users)).values(done_by_id=None))
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.reporter_resident_id.in_(demo_residents))
            .values(reporter_resident_id=None)
        )
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.reporter_user_id.in_(demo_users))
            .values(reporter_user_id=None)
        )
        session.execute(
            update(Incident)
            .where(Incident.is_demo.is_(False), Incident.merged_into_id.in_(demo_incidents))
            .values(merged_into_id=None)
        )
        session.execute(update(Incident).where(Incident.is_demo.is_(True)).values(merged_into_id=None))
        for column in (MeldingTarget.forwarded_by_id, MeldingTarget.close_forwarded_by_id):
            session.execute(update(MeldingTarget).where(column.in_(demo_users)).values({column: None}))
        for column in (Melding.created_by_id, Melding.closed_by_id):
            session.execute(
                update(Melding).where(Melding.is_demo.is_(False), column.in_(demo_users)).values({column: None})
            )
        session.execute(
            update(Resident)
            .where(Resident.is_demo.is_(False), Resident.added_by_id.in_(demo_users))
            .values(added_by_id=None)
        )
        session.execute(
            update(BoundaryGeneration)
            .where(BoundaryGeneration.created_by_id.in_(demo_users))
            .values(created_by_id=None)
        )
        counts["melding_targets"] = _delete(delete(MeldingTarget).where(MeldingTarget.melding_id.in_(demo_meldingen)))
        counts["meldingen"] = _delete(delete(Melding).where(Melding.is_demo.is_(True)))
        counts["incidents"] = _delete(delete(Incident).where(Incident.is_demo.is_(True)))
        counts["residents"] = _delete(delete(Resident).where(Resident.is_demo.is_(True)))
        session.execute(delete(group_beheerders).where(group_beheerders.c.user_id.in_(demo_users)))
        counts["users"] = _delete(delete(User).where(User.is_demo.is_(True)))
        counts["addresses"] = _delete(delete(Address).where(Address.is_demo.is_(True)))
        counts["neighbourhoods"], kept, audit_rows = remove_demo_neighbourhoods()
        counts["audit"] += audit_rows
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.expire_all()
    if counts["addresses"]:
        from buurt.addresses.services import invalidate_register

        invalidate_register()  # this process's register snapshot must not answer with removed addresses
    if kept:
        log.warning("demo neighbourhoods kept because real records depend on them: %s", ", ".join(kept))
    log.info("demo data cleared: %s", counts)
    return counts


def _delete(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0
