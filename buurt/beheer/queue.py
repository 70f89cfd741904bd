"""The beheerders' queue actions: added, not reachable, back in the queue, off the waitlist,
removed, border decisions, WhatsApp to-dos done.

Every status change goes through buurt.residents.lifecycle as one conditional UPDATE whose rowcount
says whether this click had the effect, so two beheerders clicking at once change a resident once.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import update

from buurt import audit
from buurt.areas import services as areas
from buurt.areas.occupancy import lock_seats, occupancy_of
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.models import Group, GroupTask, RemovalReason, Resident, ResidentStatus, User, utcnow
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
    return _act(
        group,
        resident_id,
        [S.PENDING],
        S.ADDED,
        "resident.added",
        added_at=utcnow(),
        added_by_id=user.id,
        needs_review=False,
    )


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
    """Mark a WhatsApp task done and erase the personal data it carried."""
    result = db.session.execute(
        update(GroupTask)
        .where(GroupTask.id == task_id, GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
        .values(done_at=utcnow(), done_by_id=user.id, display_name=None, phone_e164=None, resident_id=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        audit.record("task.done", "group_task", task_id, group=group.id)
    db.session.commit()
    return result.rowcount == 1


def my_data_link_for(group: Group, resident_id: int) -> str:
    """A "Mijn gegevens" link for a resident of this group, to pass on when they have no e-mail."""
    resident = _resident(group, resident_id)
    link = my_data_link(resident)
    audit.record("resident.my_data_link", "resident", resident_id, group=group.id)
    db.session.commit()
    return link
