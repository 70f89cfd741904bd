"""A resident's lifecycle: every change of ``Resident.status`` goes through this module.

The state diagram is in docs/resident-lifecycle.md. Here live:

- ``TRANSITIONS``: the allowed (from, to) status pairs, each with the event that causes it;
  anything else is refused (``RefusedTransition``, a programming error, never a user's);
- ``queue_status``: the one decision between PENDING and WAITLIST, from the group's occupancy
  (buurt.areas.occupancy: only members and verified sign-ups hold seats), the same numbers every
  page shows, taken under the group's seat lock so that concurrent decisions take turns (the cap
  holds under load);
- ``transition``: the conditional UPDATE (``WHERE id = ? AND status IN (...)``) whose rowcount
  says whether this call had the effect, so two clicks (two beheerders, a double-clicked link)
  change a resident once;
- ``undo_added``: the one conditional way back from a mistaken "Toegevoegd";
- ``set_status``: the same rule for a resident object being built or edited in this transaction;
- ``whatsapp_task``: the one builder of the beheerders' WhatsApp to-dos;
- the removal reasons as codes (``RemovalReason``) with their labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from buurt.areas.occupancy import holds_seat, lock_seats, occupancy_of
from buurt.extensions import db
from buurt.models import GroupTask, RemovalReason, Resident, ResidentStatus, TaskKind, utcnow

S = ResidentStatus

#: Every allowed change, as (event, from, to). ``None`` as from: a new sign-up.
EVENTS: tuple[tuple[str, S | None, S], ...] = (
    # sign-up: e-mail to confirm, address to look up later, or straight into the queue
    ("signup", None, S.UNCONFIRMED),
    ("signup", None, S.TO_GEOCODE),
    ("signup", None, S.PENDING),
    ("signup", None, S.WAITLIST),
    # double opt-in link clicked, or the confirmation mail could not be sent
    ("confirm", S.UNCONFIRMED, S.PENDING),
    ("confirm", S.UNCONFIRMED, S.WAITLIST),
    # an unverified sign-up already in the queue (its mail was given up) confirms after all: it now
    # wants a seat, and waits for one when the group filled up meanwhile
    ("confirm", S.PENDING, S.WAITLIST),
    # the address was found later (flask buurt geocode-pending); e-mail still to confirm, or queued
    ("geocoded", S.TO_GEOCODE, S.UNCONFIRMED),
    ("geocoded", S.TO_GEOCODE, S.PENDING),
    ("geocoded", S.TO_GEOCODE, S.WAITLIST),
    # the beheerders' queue
    ("added", S.PENDING, S.ADDED),
    ("not_reachable", S.PENDING, S.NOT_REACHABLE),
    ("requeued", S.NOT_REACHABLE, S.PENDING),
    ("moved_up", S.WAITLIST, S.PENDING),
    ("removed", S.PENDING, S.REMOVED),
    ("removed", S.WAITLIST, S.REMOVED),
    ("removed", S.ADDED, S.REMOVED),
    ("removed", S.NOT_REACHABLE, S.REMOVED),
    # to another group (a corrected address, a border sign-up moved to the neighbouring group):
    # the queue decision is taken again for the new group
    ("moved_group", S.PENDING, S.PENDING),
    ("moved_group", S.PENDING, S.WAITLIST),
    ("moved_group", S.WAITLIST, S.WAITLIST),
    ("moved_group", S.WAITLIST, S.PENDING),
    ("moved_group", S.NOT_REACHABLE, S.PENDING),
    ("moved_group", S.NOT_REACHABLE, S.WAITLIST),
    # a member whose number or group changed is added again (a "remove" to-do for the old entry)
    ("readd", S.ADDED, S.PENDING),  # also: a mistaken "Toegevoegd" undone (undo_added)
    ("readd", S.ADDED, S.WAITLIST),
)
#: (from, to) -> the events that make that change; anything not here is refused.
TRANSITIONS: dict[tuple[S | None, S], tuple[str, ...]] = {}
for _event, _from, _to in EVENTS:
    TRANSITIONS[(_from, _to)] = (*TRANSITIONS.get((_from, _to), ()), _event)

#: Statuses a beheerder sees in the console queue and that a removal applies to.
REMOVABLE = (S.PENDING, S.WAITLIST, S.ADDED, S.NOT_REACHABLE)
#: Statuses that still hold (or wait for) a place in a group, for moves to another group.
PLACED = (S.PENDING, S.WAITLIST, S.ADDED, S.NOT_REACHABLE, S.TO_GEOCODE)

#: The reasons a beheerder chooses from, in the order of the form.
BEHEERDER_REASONS = (
    RemovalReason.MOVED,
    RemovalReason.OWN_REQUEST,
    RemovalReason.RULES,
    RemovalReason.DUPLICATE,
    RemovalReason.OTHER,
)
REASON_LABELS = {
    RemovalReason.MOVED: _l("verhuisd"),
    RemovalReason.OWN_REQUEST: _l("op eigen verzoek"),
    RemovalReason.RULES: _l("houdt zich niet aan de groepsregels"),
    RemovalReason.DUPLICATE: _l("dubbele aanmelding"),
    RemovalReason.OTHER: _l("anders"),
    RemovalReason.DATA_DELETED: _l("gegevens verwijderd op verzoek van de bewoner"),
    RemovalReason.PHONE_CHANGED: _l("nummer gewijzigd door bewoner"),
    RemovalReason.AREA_CHANGED: _l("verhuisd naar een ander gebied"),
    RemovalReason.NEW_BOUNDARIES: _l("nieuwe gebiedsindeling"),
    RemovalReason.MOVED_BY_BEHEERDER: _l("naar de buurgroep verplaatst"),
}


class RefusedTransition(Exception):
    """A status change the lifecycle does not allow: a bug in the caller, not a user's mistake."""


def reason_label(code: RemovalReason | str | None) -> str:
    """The (translated) label of a stored reason code; '' for None."""
    if code is None:
        return ""
    return str(REASON_LABELS[RemovalReason(code)])


def check(from_status: S | None, to_status: S) -> None:
    """Raise RefusedTransition unless (from, to) is in TRANSITIONS."""
    key = (S(from_status) if from_status is not None else None, S(to_status))
    if key not in TRANSITIONS:
        raise RefusedTransition(f"{key[0]} -> {key[1]} is not a resident transition")


def queue_status(group_id: int, *, counting: Resident | None = None) -> S:
    """PENDING when the group has room, WAITLIST when it is full (buurt.areas.occupancy).

    Takes the group's seat lock first (``lock_seats``), held until the caller commits: write the
    decision in the same transaction, and two sign-ups for the last seat cannot both get it.
    Only seat holders count (members and verified pending sign-ups), so unverified sign-ups, however
    many, never make a group full for a real resident.
    `counting`: a resident already counted in the group's seats (being re-decided, e.g. moved into
    this group in this transaction, or confirming); their own seat does not make the group full.
    """
    db.session.flush()
    lock_seats(group_id)
    occupancy = occupancy_of(group_id)
    if counting is not None and counting.group_id == group_id and counting.status == S.PENDING and holds_seat(counting):
        occupancy = replace(occupancy, pending=occupancy.pending - 1)
    return S.WAITLIST if occupancy.is_full else S.PENDING


def set_status(resident: Resident, to_status: S) -> None:
    """Change a resident object in this transaction (corrections, geocoding later); checked."""
    current = S(resident.status)
    if current == to_status:
        return
    check(current, to_status)
    resident.status = to_status


def start(resident: Resident, to_status: S) -> None:
    """The first status of a new sign-up."""
    check(None, to_status)
    resident.status = to_status


def transition(
    resident_id: int,
    from_statuses: Iterable[S],
    to_status: S,
    *,
    in_group: int | None = None,
    **values,
) -> bool:
    """One conditional UPDATE; True when this call made the change (False: someone else was first).

    Every (from, to) pair must be allowed. `in_group` additionally requires the resident to still
    be in that group (a beheerder acts on their own group's console). `values`: other columns to set
    in the same UPDATE (e.g. added_at, or group_id for a move).
    """
    sources = [S(s) for s in from_statuses]
    for source in sources:
        check(source, to_status)
    statement = update(Resident).where(Resident.id == resident_id, Resident.status.in_(sources))
    if in_group is not None:
        statement = statement.where(Resident.group_id == in_group)
    # "fetch": a Resident already loaded in this session gets the new values too
    values = {"updated_at": utcnow(), **values}  # a caller may give the one timestamp of the change
    result = db.session.execute(
        statement.values(status=to_status, **values).execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def undo_added(resident_id: int, group_id: int, *, added_since: datetime, needs_review: bool = False) -> bool:
    """Added -> pending again, exactly as before the click: one conditional UPDATE, True when it happened.

    Only while the resident is still a member of `group_id`, was added at or after `added_since` (the
    undo window) and nothing changed since: ``updated_at == added_at`` (``mark_added`` writes both with
    one timestamp; any later change, in Mijn gegevens or by another beheerder, moves updated_at on).
    """
    check(S.ADDED, S.PENDING)
    result = db.session.execute(
        update(Resident)
        .where(
            Resident.id == resident_id,
            Resident.group_id == group_id,
            Resident.status == S.ADDED,
            Resident.added_at >= added_since,
            Resident.updated_at == Resident.added_at,
        )
        .values(status=S.PENDING, added_at=None, added_by_id=None, needs_review=needs_review, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def whatsapp_task(
    resident: Resident,
    kind: TaskKind,
    group_id: int,
    reason: RemovalReason,
    *,
    other_group_id: int | None = None,
    link_resident: bool = True,
) -> GroupTask:
    """A to-do for the beheerders of `group_id` (add or remove someone in WhatsApp), added to the session.

    It carries the name and number the beheerder needs to find the person; both are erased when
    the task is done, or after RETENTION_TASK_OPEN_DAYS if nobody does it (buurt.retention).
    `link_resident=False` for a resident about to be deleted.
    """
    task = GroupTask(
        group_id=group_id,
        kind=kind,
        resident_id=resident.id if link_resident else None,
        display_name=resident.name,
        phone_e164=resident.phone_e164,
        reason=reason,
        other_group_id=other_group_id,
        is_demo=resident.is_demo,
    )
    db.session.add(task)
    return task


def remove_from_whatsapp(
    resident: Resident, group_id: int, reason: RemovalReason, *, other_group_id: int | None = None, **kw
) -> GroupTask:
    return whatsapp_task(resident, TaskKind.REMOVE_FROM_WHATSAPP, group_id, reason, other_group_id=other_group_id, **kw)


def add_to_whatsapp(resident: Resident, group_id: int, reason: RemovalReason, *, other_group_id: int | None = None):
    return whatsapp_task(resident, TaskKind.ADD_TO_WHATSAPP, group_id, reason, other_group_id=other_group_id)


def unlink_tasks(resident: Resident) -> None:
    """Before a resident row is deleted: its open to-dos keep what they need, without the link.

    Only the link: a resident who is deleted for good goes through
    buurt.retention.forget.forget_resident, which does this and erases the rest of their traces.
    """
    for task in db.session.scalars(db.select(GroupTask).filter_by(resident_id=resident.id)):
        task.resident_id = None
