"""The beheerders' queue actions: added, not reachable, back in the queue, off the waitlist,
removed, border decisions, WhatsApp to-dos done, and the undo of a mistaken "Toegevoegd" or "Gedaan".

Every status change goes through buurt.residents.lifecycle as one conditional UPDATE whose rowcount
says whether this click had the effect, so two beheerders clicking at once change a resident once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from buurt import audit
from buurt.areas import services as areas
from buurt.areas.occupancy import lock_seats, occupancy_of
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.models import AuditEntry, Group, GroupTask, RemovalReason, Resident, ResidentStatus, User, utcnow
from buurt.residents import lifecycle
from buurt.residents.links import my_data_link

S = ResidentStatus


class ActionRefused(UserError):
    """A console action that cannot be done (Dutch message, shown as a flash)."""


def _resident(group: Group, resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.group_id != group.id:
        raise ActionRefused(_("Deze aanmelding hoort niet (meer) bij deze groep. Ververs de pagina."))
    return resident


def mark_added(group: Group, resident_id: int, user: User) -> bool:
    """Pending -> added (once, however many beheerders click). False when someone else was first.

    Under the group's seat lock: twelve clicks at once with room for one member admit one. A verified
    sign-up holds its seat already and needs room among the members; an unverified one (anyone can
    type a number) takes a seat now, so it needs a free seat: members plus verified sign-ups below
    the cap (buurt.areas.occupancy). Adding is the beheerder's check that makes it verified.
    """
    lock_seats(group.id)
    seats = occupancy_of(group.id)
    if seats.members >= seats.capacity:
        db.session.rollback()  # let go of the seat lock
        raise ActionRefused(
            _("De groep is vol (%(n)d leden). Verhoog de capaciteit of splits de groep eerst.", n=seats.capacity)
        )
    if not _verified_now(group, resident_id) and seats.is_full:
        db.session.rollback()
        raise ActionRefused(
            _(
                "De groep is vol: alle plaatsen zijn bezet door leden en bevestigde aanmeldingen. "
                "Deze aanmelding is niet bevestigd en wacht tot er plaats is."
            )
        )
    was_review = bool(db.session.scalar(db.select(Resident.needs_review).where(Resident.id == resident_id)))
    now = utcnow()  # added_at == updated_at: "nothing changed since" for the undo (lifecycle.undo_added)
    done = lifecycle.transition(
        resident_id,
        [S.PENDING],
        S.ADDED,
        in_group=group.id,
        added_at=now,
        updated_at=now,
        added_by_id=user.id,
        needs_review=False,
    )
    if done:
        # the review flag is a code, not personal data: the undo puts it back
        audit.record("resident.added", "resident", resident_id, group=group.id, **({"review": 1} if was_review else {}))
    db.session.commit()
    return done


def _verified_now(group: Group, resident_id: int) -> bool:
    """Read after the seat lock (not from the session's copy): a confirmation may just have landed.
    True when the resident is not (or no longer) a pending sign-up of this group: the UPDATE decides then."""
    row = db.session.execute(
        db.select(Resident.email_confirmed_at).where(
            Resident.id == resident_id, Resident.group_id == group.id, Resident.status == S.PENDING
        )
    ).first()
    return row is None or row.email_confirmed_at is not None


def _act(group: Group, resident_id: int, sources: list[S], target: S, action: str, **values) -> bool:
    """One lifecycle transition in this group, audited when this click made it, committed."""
    done = lifecycle.transition(resident_id, sources, target, in_group=group.id, **values)
    if done:
        audit.record(action, "resident", resident_id, group=group.id)
    db.session.commit()
    return done


def mark_not_reachable(group: Group, resident_id: int, user: User) -> bool:
    return _act(group, resident_id, [S.PENDING], S.NOT_REACHABLE, "resident.not_reachable")


def requeue(group: Group, resident_id: int, user: User) -> bool:
    """Not reachable -> back in the queue (try again)."""
    return _act(group, resident_id, [S.NOT_REACHABLE], S.PENDING, "resident.requeued")


def remove(group: Group, resident_id: int, reason: RemovalReason | str, note: str, user: User) -> bool:
    """Remove from the group with a reason; a member also gets a 'remove in WhatsApp' task."""
    resident = _resident(group, resident_id)
    was = S(resident.status)
    reason = RemovalReason(reason) if reason in set(lifecycle.BEHEERDER_REASONS) else RemovalReason.OTHER
    done = lifecycle.transition(
        resident_id,
        lifecycle.REMOVABLE,
        S.REMOVED,
        in_group=group.id,
        removed_at=utcnow(),
        removal_reason=reason,
        removal_note=(note or "").strip()[:1000] or None,
        needs_review=False,
    )
    if done:
        if was == S.ADDED:
            lifecycle.remove_from_whatsapp(resident, group.id, reason)
        audit.record("resident.removed", "resident", resident_id, group=group.id, reason=reason.value)
    db.session.commit()
    return done


def move_up(group: Group, resident_id: int, user: User) -> bool:
    """Waitlist -> pending, when the group has room (under the seat lock, like every seat decision)."""
    lock_seats(group.id)
    if occupancy_of(group.id).room <= 0:
        db.session.rollback()  # let go of the seat lock
        raise ActionRefused(_("Er is nog geen plaats in de groep; de aanmelding blijft op de wachtlijst."))
    return _act(group, resident_id, [S.WAITLIST], S.PENDING, "resident.moved_up")


def approve_border(group: Group, resident_id: int, user: User) -> bool:
    """A border sign-up stays in this group (no status change)."""
    result = db.session.execute(
        update(Resident)
        .where(Resident.id == resident_id, Resident.group_id == group.id, Resident.needs_review.is_(True))
        .values(needs_review=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        audit.record("resident.border_approved", "resident", resident_id, group=group.id)
    db.session.commit()
    return result.rowcount == 1


def move_to_neighbour(group: Group, resident_id: int, user: User) -> Group:
    """A border sign-up goes to the neighbouring group (waitlist there when it is full)."""
    resident = _resident(group, resident_id)
    if resident.status not in (S.PENDING, S.WAITLIST) or not resident.border_group_id:
        raise ActionRefused(_("Deze aanmelding kan niet naar een buurgroep."))
    target = db.session.get(Group, resident.border_group_id)
    if target is None or not target.is_active:
        raise ActionRefused(_("De buurgroep bestaat niet meer."))
    area_id = next((info.id for info in areas.current_areas().areas if info.group_id == target.id), None)
    status = lifecycle.queue_status(target.id)
    done = lifecycle.transition(
        resident_id,
        [S.PENDING, S.WAITLIST],
        status,
        in_group=group.id,
        group_id=target.id,
        area_id=area_id,
        border_group_id=group.id,
        needs_review=False,
    )
    if not done:
        db.session.rollback()
        raise ActionRefused(_("Iemand anders heeft deze aanmelding net verwerkt. Ververs de pagina."))
    audit.record("resident.moved_group", "resident", resident_id, from_group=group.id, to_group=target.id)
    db.session.commit()
    return target


def complete_task(group: Group, task_id: int, user: User) -> bool:
    """Mark a WhatsApp task done and erase the personal data it carried (complete_task_undoable)."""
    return complete_task_undoable(group, task_id, user) is not None


def my_data_link_for(group: Group, resident_id: int) -> str:
    """A "Mijn gegevens" link for a resident of this group, to pass on when they have no e-mail."""
    resident = _resident(group, resident_id)
    link = my_data_link(resident)
    audit.record("resident.my_data_link", "resident", resident_id, group=group.id)
    db.session.commit()
    return link


# --- undo -------------------------------------------------------------------------------------------------


def undo_since() -> datetime:
    """The earliest click that can still be undone (BEHEER_UNDO_MINUTES ago)."""
    return utcnow() - timedelta(minutes=current_app.config["BEHEER_UNDO_MINUTES"])


def _too_late() -> ActionRefused:
    minutes = current_app.config["BEHEER_UNDO_MINUTES"]
    return ActionRefused(
        ngettext(
            "Ongedaan maken kan tot %(num)d minuut na de klik. Die tijd is voorbij; er is niets veranderd.",
            "Ongedaan maken kan tot %(num)d minuten na de klik. Die tijd is voorbij; er is niets veranderd.",
            minutes,
        )
    )


def undo_added(group: Group, resident_id: int, user: User) -> bool:
    """A mistaken "Toegevoegd": the resident is back in the queue exactly as before (audited).

    Refused (ActionRefused, a Dutch sentence) after the undo window, or when anything changed since.
    """
    since = undo_since()
    resident = _resident(group, resident_id)
    added = db.session.scalar(
        db.select(AuditEntry)
        .where(
            AuditEntry.action == "resident.added",
            AuditEntry.target_type == "resident",
            AuditEntry.target_id == resident_id,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    review = bool(added and (added.details or {}).get("review"))
    if lifecycle.undo_added(resident_id, group.id, added_since=since, needs_review=review):
        audit.record("resident.added_undone", "resident", resident_id, group=group.id)
        db.session.commit()
        return True
    db.session.rollback()
    db.session.refresh(resident)
    if resident.status == S.ADDED and resident.added_at is not None and resident.added_at < since:
        raise _too_late()
    raise ActionRefused(
        _("Dit kan niet meer ongedaan worden gemaakt: er is intussen iets veranderd aan deze aanmelding.")
    )


@dataclass(frozen=True, slots=True)
class DoneTask:
    """What "Gedaan" erased from a task, for its undo (held in a signed form field, never in the database)."""

    task_id: int
    done_at: str  # ISO timestamp: "nothing changed since"
    display_name: str | None
    phone_e164: str | None
    resident_id: int | None

    def as_token_data(self) -> dict:
        return {
            "t": self.task_id,
            "d": self.done_at,
            "n": self.display_name,
            "p": self.phone_e164,
            "r": self.resident_id,
        }

    @classmethod
    def from_token_data(cls, data: dict) -> DoneTask:
        return cls(int(data["t"]), str(data["d"]), data.get("n"), data.get("p"), data.get("r"))


def complete_task_undoable(group: Group, task_id: int, user: User) -> DoneTask | None:
    """complete_task, returning what it erased (for the undo) when this click did it, else None."""
    task = db.session.get(GroupTask, task_id)
    if task is None or task.group_id != group.id or task.done_at is not None:
        return None
    before = (task.display_name, task.phone_e164, task.resident_id)
    now = utcnow()
    result = db.session.execute(
        update(GroupTask)
        .where(GroupTask.id == task_id, GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
        .values(done_at=now, done_by_id=user.id, display_name=None, phone_e164=None, resident_id=None)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    audit.record("task.done", "group_task", task_id, group=group.id)
    db.session.commit()
    return DoneTask(task_id, now.isoformat(), *before)


def _task_changed() -> ActionRefused:
    return ActionRefused(_("Dit kan niet meer ongedaan worden gemaakt: er is intussen iets veranderd aan deze taak."))


def undo_task(group: Group, done: DoneTask, user: User) -> bool:
    """A mistaken "Gedaan": the task is open again with its name and number (audited).

    Only while the task is still done as that click left it, within the undo window."""
    task = db.session.get(GroupTask, done.task_id)
    if task is None or task.group_id != group.id:
        raise ActionRefused(_("Deze taak bestaat niet meer."))
    done_at = datetime.fromisoformat(done.done_at)
    if task.done_at != done_at or task.display_name is not None or task.phone_e164 is not None:
        raise _task_changed()
    if done_at < undo_since():
        raise _too_late()
    resident_id = done.resident_id
    if resident_id is not None and db.session.get(Resident, resident_id) is None:
        resident_id = None  # the resident has gone since; the to-do keeps what it needs
    result = db.session.execute(
        update(GroupTask)
        .where(GroupTask.id == task.id, GroupTask.group_id == group.id, GroupTask.done_at == done_at)
        .values(
            done_at=None,
            done_by_id=None,
            display_name=done.display_name,
            phone_e164=done.phone_e164,
            resident_id=resident_id,
        )
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise _task_changed()
    audit.record("task.done_undone", "group_task", task.id, group=group.id)
    db.session.commit()
    return True
