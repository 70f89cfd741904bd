"""The resident lifecycle: every allowed transition works once, every other one is refused.

Walks the whole (from, to) square through the real conditional UPDATE on the real database, and
checks the queue decision against the occupancy every page shows.
"""

import itertools
from datetime import timedelta

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


def test_a_reason_label_of_nothing_is_empty():
    assert lifecycle.reason_label(None) == ""


def test_set_status_checks_the_change_from_the_current_status(groups, make_resident):
    member = make_resident(groups[0], status=S.ADDED)
    with pytest.raises(lifecycle.RefusedTransition):
        lifecycle.set_status(member, S.UNCONFIRMED)  # a start status, never reached from a member
    assert member.status == S.ADDED
    lifecycle.set_status(member, S.ADDED)  # no change: nothing to check
    lifecycle.set_status(member, S.PENDING)
    assert member.status == S.PENDING


def test_a_task_for_someone_about_to_be_deleted_keeps_no_link_and_a_demo_task_stays_demo(groups, make_resident):
    demo = make_resident(groups[0], status=S.ADDED, is_demo=True)
    task = lifecycle.remove_from_whatsapp(demo, groups[0].id, RemovalReason.DATA_DELETED, link_resident=False)
    add = lifecycle.add_to_whatsapp(demo, groups[1].id, RemovalReason.MOVED_BY_BEHEERDER, other_group_id=groups[0].id)
    db.session.commit()
    stored = db.session.get(GroupTask, task.id)
    assert (stored.resident_id, stored.is_demo, stored.display_name) == (None, True, demo.name)
    added = db.session.get(GroupTask, add.id)
    assert (added.kind, added.group_id, added.other_group_id, added.reason, added.resident_id, added.is_demo) == (
        TaskKind.ADD_TO_WHATSAPP,
        groups[1].id,
        groups[0].id,
        RemovalReason.MOVED_BY_BEHEERDER,
        demo.id,
        True,
    )
    real = make_resident(groups[0], status=S.ADDED)
    assert lifecycle.remove_from_whatsapp(real, groups[0].id, RemovalReason.MOVED).is_demo is False


def test_unlinking_tasks_keeps_what_the_beheerder_needs(groups, make_resident):
    resident = make_resident(groups[0], status=S.ADDED)
    other = make_resident(groups[0], status=S.ADDED)
    task = lifecycle.remove_from_whatsapp(resident, groups[0].id, RemovalReason.MOVED)
    kept = lifecycle.remove_from_whatsapp(other, groups[0].id, RemovalReason.MOVED)
    db.session.commit()
    lifecycle.unlink_tasks(resident)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(GroupTask, task.id)
    assert (stored.resident_id, stored.display_name, stored.phone_e164) == (None, resident.name, resident.phone_e164)
    assert db.session.get(GroupTask, kept.id).resident_id == other.id


class TestUndoAdded:
    """A mistaken "Toegevoegd" is undone only within the window, in the same group, and when nothing changed since."""

    @pytest.fixture
    def added(self, groups, make_resident, make_user):
        beheerder = make_user(groups=[groups[0]])
        at = utcnow() - timedelta(minutes=2)
        return make_resident(groups[0], status=S.ADDED, added_at=at, updated_at=at, added_by_id=beheerder.id)

    def test_within_the_window_it_is_pending_again_as_before(self, groups, added):
        at = added.added_at  # the window began at the click itself: the boundary is inside it
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=at, needs_review=True) is True
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Resident, added.id)
        assert (stored.status, stored.added_at, stored.added_by_id, stored.needs_review) == (
            S.PENDING,
            None,
            None,
            True,
        )
        assert stored.updated_at > at
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=at) is False  # once

    def test_only_that_member_and_the_loaded_object_shows_it(self, groups, added, make_resident):
        at = added.added_at
        other = make_resident(groups[0], status=S.ADDED, added_at=at, updated_at=at)
        member = db.session.get(Resident, added.id)
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=at) is True
        assert (member.status, member.added_at) == (S.PENDING, None)  # the object in this session too
        assert member.needs_review is False  # not flagged unless the caller asks
        db.session.commit()
        assert _status(other.id) == S.ADDED

    def test_after_the_window_it_stays_a_member(self, groups, added):
        since = added.added_at + timedelta(microseconds=1)  # the window began just after the click
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=since) is False
        assert _status(added.id) == S.ADDED

    def test_not_from_another_groups_console(self, groups, added):
        assert lifecycle.undo_added(added.id, groups[1].id, added_since=added.added_at) is False
        assert _status(added.id) == S.ADDED

    def test_not_after_a_later_change(self, groups, added):
        db.session.get(Resident, added.id).updated_at = added.added_at + timedelta(seconds=1)
        db.session.commit()
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=added.added_at) is False
        assert _status(added.id) == S.ADDED

    def test_not_for_someone_no_longer_a_member(self, groups, added):
        at = added.added_at  # removed, with nothing else changed since the click (updated_at kept)
        db.session.execute(db.update(Resident).where(Resident.id == added.id).values(status=S.REMOVED, updated_at=at))
        db.session.commit()
        assert lifecycle.undo_added(added.id, groups[0].id, added_since=added.added_at) is False
        assert _status(added.id) == S.REMOVED
