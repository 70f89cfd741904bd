"""What deleting means, per kind of record: one place, used by "Mijn gegevens → verwijderen",
by the retention rules (buurt.retention) and by a beheerder's "Verwijderen" of an incident.

- ``anonymise_incident``: a report keeps what the counts need (category, local day, area, group,
  and the centre of its public grid cell, PUBLIC_GRID_M) and loses the rest: description, details,
  photo (file and fields), street, exact point, the time of day and who reported it.
- ``delete_incident``: the row and its photo file (``delete_incident_by_staff``: a beheerder's
  "Verwijderen", audited).
- ``forget_resident``: a resident row goes, and with it every trace that names or points at the
  person: their reports are anonymised, audit rows lose the resident id, WhatsApp to-dos lose the
  link (they keep name and number only while a beheerder still has to act on them; an open "add"
  to-do goes), their mail
  goes from the outbox, and the online geocoder's cache row for their address goes (register
  addresses are public data and stay).
"""

from __future__ import annotations

import logging
from datetime import UTC

from flask import current_app
from sqlalchemy import delete, event, func, or_, update
from sqlalchemy.orm import Session

from buurt import audit
from buurt.addresses.services import ONLINE_SOURCES
from buurt.extensions import db
from buurt.incidents.blur import cell_centre, cell_indices
from buurt.models import Address, AuditEntry, GroupTask, Incident, OutboxMessage, Resident, TaskKind, utcnow
from buurt.photostore import PhotoStoreUnavailable, photo_store
from buurt.times import local_midnight, to_local

log = logging.getLogger(__name__)

_DOOMED = "buurt.retention.doomed_photos"  # in Session.info: photo files to remove once the commit succeeds


def remove_photo_after_commit(name: str | None) -> None:
    """The photo goes from the photo store (buurt.photostore) when this transaction commits (a
    rollback keeps it, with its row)."""
    if name:
        db.session.info.setdefault(_DOOMED, []).append((name, photo_store(current_app)))


def _after_commit(session: Session) -> None:
    for name, store in session.info.pop(_DOOMED, ()):
        try:
            store.delete(name)
        except PhotoStoreUnavailable:  # the rows are gone already; the commit must not fail now
            log.error("photo of an erased incident left in the store (%s)", store.describe())


def _after_rollback(session: Session) -> None:
    session.info.pop(_DOOMED, None)


def init_app(app) -> None:
    """Photo files follow the transaction that erased them (called from buurt.retention.schedule.init_app)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def public_cell_point(lat: float, lon: float) -> tuple[float, float]:
    """The centre (lat, lon) of the public grid cell (PUBLIC_GRID_M, RD New) a point lies in."""
    cell_m = float(current_app.config["PUBLIC_GRID_M"])
    cols, rows = cell_indices([lat], [lon], cell_m)
    return cell_centre(int(cols[0]), int(rows[0]), cell_m)


def anonymise_incident(incident: Incident) -> bool:
    """Erase what could point at a person; keep category, day, area and group. False if already done."""
    if incident.anonymised_at is not None:
        return False
    remove_photo_after_commit(incident.photo_filename)
    incident.photo_filename = incident.photo_mime = None
    incident.description = ""
    incident.details = None
    incident.location_label = None
    incident.reporter_resident_id = None
    incident.reporter_user_id = None
    incident.lat, incident.lon = public_cell_point(incident.lat, incident.lon)
    incident.occurred_at = local_midnight(to_local(incident.occurred_at).date()).astimezone(UTC)
    incident.anonymised_at = utcnow()
    return True


def delete_incident(incident: Incident) -> None:
    """The row and its photo file; reports merged into it stay (their link is cleared by the database)."""
    db.session.execute(
        update(Incident)
        .where(Incident.merged_into_id == incident.id)
        .values(merged_into_id=None)
        .execution_options(synchronize_session=False)
    )
    remove_photo_after_commit(incident.photo_filename)
    db.session.delete(incident)


def delete_incident_by_staff(incident: Incident) -> None:
    """A beheerder's or coordinator's "Verwijderen": the report and its photo go at once; audited (ids only)."""
    audit.record("incidents.delete", "incident", incident.id, group=incident.group_id)
    delete_incident(incident)
    db.session.commit()


def forget_resident(resident: Resident) -> None:
    """Delete a resident and every trace that names them (see the module docstring); no commit.

    A "remove from WhatsApp" to-do the caller created for them (``link_resident=False``) keeps the
    name and number the beheerder needs; that is the only copy left, erased when the task is done
    or after RETENTION_TASK_OPEN_DAYS.
    """
    for incident in db.session.scalars(db.select(Incident).filter_by(reporter_resident_id=resident.id)):
        anonymise_incident(incident)
    strip_audit_ids("resident", resident.id)
    # An open "add to WhatsApp" to-do must not add someone who is gone; the other to-dos about them
    # (remove an old number, leave a group) keep name and number, without the link.
    db.session.execute(
        delete(GroupTask)
        .where(
            GroupTask.resident_id == resident.id,
            GroupTask.kind == TaskKind.ADD_TO_WHATSAPP,
            GroupTask.done_at.is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(GroupTask)
        .where(GroupTask.resident_id == resident.id)
        .values(resident_id=None)
        .execution_options(synchronize_session="fetch")
    )
    mail_to = [OutboxMessage.resident_id == resident.id]
    if resident.email:
        # mail queued without the link (it holds the address in its recipients until sent)
        mail_to.append(
            OutboxMessage.recipients.is_not(None)  # sent mail has none: only unsent rows are searched
            & func.lower(OutboxMessage.recipients).contains(resident.email.lower(), autoescape=True)
        )
    db.session.execute(delete(OutboxMessage).where(or_(*mail_to)).execution_options(synchronize_session="fetch"))
    if resident.postcode and resident.house_number:
        db.session.execute(
            delete(Address)
            .where(
                Address.postcode == resident.postcode,
                Address.house_number == resident.house_number,
                Address.house_letter == (resident.house_letter or "").upper(),
                Address.house_addition == (resident.house_addition or "").upper(),
                Address.source.in_(ONLINE_SOURCES),
            )
            .execution_options(synchronize_session="fetch")
        )
    db.session.delete(resident)


def strip_audit_ids(target_type: str, target_id: int) -> None:
    """Audit rows about one record lose its id (action, time and who acted stay)."""
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id == target_id)
        .values(target_id=None)
        .execution_options(synchronize_session="fetch")
    )


def scrub_database_files() -> None:
    """After an erasure is committed: no copy of the erased values stays in the database files.

    SQLite runs with ``secure_delete`` (buurt.extensions), so freed space in the database file is
    zeroed; but the write-ahead log still holds the pages as they were before, until a checkpoint
    copies the new pages back and the log is truncated. This does that now instead of "some time
    later". Best effort: a reader that holds an old snapshot at this moment keeps its pages, and
    the next automatic checkpoint finishes the job. PostgreSQL keeps dead rows until (auto)vacuum;
    see docs/retention.md.
    """
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with bind.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
