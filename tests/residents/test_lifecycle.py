"""The resident lifecycle: every allowed transition works once, every other one is refused.

Walks the whole (from, to) square through the real conditional UPDATE on the real database, and
checks the queue decision against the occupancy every page shows.
"""

import itertools

import pytest

from buurt.areas.occupancy import occupancy_of
from buurt.extensions import db
from buurt.models import GroupTask, RemovalReason, Resident, ResidentStatus, TaskKind, utcnow
from buurt.residents import lifecycle

S = ResidentStatus
PAIRS = list(itertools.product(list(S), list(S)))


def _status(resident_id: int) -> S:
    db.session.expire_all()
    return db.session.get(Resident, resident_id).status


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_transition_is_allowed_or_refused(groups, make_resident, source, target):
    resident = make_resident(groups[0], status=source)
    if (source, target) in lifecycle.TRANSITIONS:
        assert lifecycle.transition(resident.id, [source], target) is True
        db.session.commit()
        assert _status(resident.id) == target
        if source != target:  # a second click finds nothing to change
            assert lifecycle.transition(resident.id, [source], target) is False
    else:
        with pytest.raises(lifecycle.RefusedTransition):
            lifecycle.transition(resident.id, [source], target)
        db.session.rollback()
        assert _status(resident.id) == source


def test_the_table_covers_what_the_diagram_promises():
    # Terminal and start states: nothing leaves REMOVED; a sign-up can only start in four states.
    assert not [pair for pair in lifecycle.TRANSITIONS if pair[0] == S.REMOVED]
    assert {to for (source, to) in lifecycle.TRANSITIONS if source is None} == {
        S.UNCONFIRMED,
        S.TO_GEOCODE,
        S.PENDING,
        S.WAITLIST,
    }
    # Only the beheerders' "added" makes a member.
    assert [pair for pair in lifecycle.TRANSITIONS if pair[1] == S.ADDED] == [(S.PENDING, S.ADDED)]
    # Every status other than ADDED and REMOVED can be reached from a new sign-up.
    for status in S:
        assert any(to == status for (_f, to) in lifecycle.TRANSITIONS)


def test_the_state_diagram_in_docs_lists_every_transition():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "resident-lifecycle.md").read_text(encoding="utf-8")
    for event, source, target in lifecycle.EVENTS:
        start = source.value if source is not None else "[*]"
        assert f"{start} --> {target.value} : {event}" in text


def test_a_transition_checks_the_group_when_asked(groups, make_resident):
    resident = make_resident(groups[0], status=S.PENDING)
    assert lifecycle.transition(resident.id, [S.PENDING], S.ADDED, in_group=groups[1].id) is False
    assert lifecycle.transition(resident.id, [S.PENDING], S.ADDED, in_group=groups[0].id) is True


def test_queue_status_follows_the_occupancy_every_page_shows(groups, make_resident):
    group = groups[0]
    group.capacity = 3
    db.session.commit()
    make_resident(group, status=S.ADDED)
    make_resident(group, status=S.ADDED)
    assert lifecycle.queue_status(group.id) == S.PENDING
    assert occupancy_of(group.id).has_room
    unverified = make_resident(group, status=S.PENDING)  # nobody confirmed it: in the queue, no seat
    assert lifecycle.queue_status(group.id) == S.PENDING
    assert occupancy_of(group.id).occupied == 2
    assert lifecycle.queue_status(group.id, counting=unverified) == S.PENDING
    last = make_resident(group, status=S.PENDING, email_confirmed_at=utcnow())  # the third seat, promised
    assert lifecycle.queue_status(group.id) == S.WAITLIST
    assert occupancy_of(group.id).is_full
    assert occupancy_of(group.id).level == "full"
    # re-deciding the resident who holds that seat does not push them out of it
    assert lifecycle.queue_status(group.id, counting=last) == S.PENDING


def test_whatsapp_tasks_are_built_in_one_place(groups, make_resident):
    resident = make_resident(groups[0], status=S.ADDED)
    task = lifecycle.remove_from_whatsapp(
        resident, groups[0].id, RemovalReason.NEW_BOUNDARIES, other_group_id=groups[1].id
    )
    db.session.commit()
    stored = db.session.get(GroupTask, task.id)
    assert (stored.kind, stored.reason, stored.other_group_id) == (
        TaskKind.REMOVE_FROM_WHATSAPP,
        RemovalReason.NEW_BOUNDARIES,
        groups[1].id,
    )
    assert (stored.display_name, stored.phone_e164, stored.resident_id) == (
        resident.name,
        resident.phone_e164,
        resident.id,
    )
    assert lifecycle.reason_label(stored.reason) == "nieuwe gebiedsindeling"


def test_every_reason_has_a_label():
    for reason in RemovalReason:
        assert lifecycle.reason_label(reason)
