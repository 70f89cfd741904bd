"""Closing, marking and undoing through the services (issue 19): who and what is stored, the Dutch
messages, exact time limits, and what happens when another beheerder was first (a conditional
UPDATE that finds the row already changed behind the loaded object)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from buurt.extensions import db
from buurt.meldingen import services
from buurt.meldingen.errors import MeldingClosed, MeldingStillOpen, UndoTooLate
from buurt.models import AuditEntry, Melding, MeldingTarget, utcnow
from buurt.times import format_local

pytestmark = pytest.mark.usefixtures("request_ctx")

ALREADY_CLOSED = "Deze melding is al afgemeld."
FORWARD_CLOSED = "Deze melding is al afgemeld. Stuur de afmelding door in plaats van de melding."
STILL_OPEN = "Meld de melding eerst af; daarna kunt u de afmelding doorsturen."
UNDO_CLOSED = "Deze melding is al afgemeld; doorsturen is niet meer terug te draaien."


def audit_entries():
    return [
        (e.action, e.target_type, e.target_id, e.details)
        for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))
    ]


def behind_the_session(model, row_id, **values):
    """Another beheerder's change: straight to the database, the loaded objects keep their old state."""
    db.session.execute(
        update(model).where(model.id == row_id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()  # expire_on_commit would reload; the services must cope with stale objects too


@pytest.fixture
def west(make_melding, groups):
    melding = make_melding(lat=52.2127, lon=4.413965, radius=100)  # target: West
    return melding, services.get_target(melding, groups[0].id)


def exact_message(text):
    return "^" + text.replace(".", r"\.").replace("?", r"\?") + "$"


def test_close_and_close_forward_store_who_and_are_audited_in_full(west, coordinator, make_user, groups):
    melding, target = west
    beheerder = make_user("beheerder", groups=[groups[0]])
    with pytest.raises(MeldingStillOpen, match=exact_message(STILL_OPEN)):
        services.mark_close_forwarded(melding, target, beheerder)
    services.close_melding(melding, beheerder, "gevonden", "x" * 1500)
    db.session.expire_all()
    assert melding.closed_by_id == beheerder.id
    assert melding.result_note == "x" * 1000
    with pytest.raises(MeldingClosed, match=exact_message(ALREADY_CLOSED)):
        services.close_melding(melding, coordinator, "ingetrokken", None)
    with pytest.raises(MeldingClosed, match=exact_message(FORWARD_CLOSED)):
        services.mark_forwarded(melding, target, beheerder)
    assert services.mark_close_forwarded(melding, target, beheerder) is True
    db.session.expire_all()
    assert target.close_forwarded_by_id == beheerder.id
    assert audit_entries()[1:] == [
        ("melding.close", "melding", melding.id, {"result": "gevonden"}),
        ("melding.close_forward", "melding", melding.id, {"group_id": groups[0].id}),
    ]


def test_closing_text_names_the_category_and_the_place(west, coordinator):
    melding, _target = west
    services.close_melding(melding, coordinator, "niet_gevonden", None)
    text = services.closing_texts(melding)[0].text
    assert "Verdachte situatie" in text
    assert "Omgeving Fictieweg, Katwijk" in text
    assert "Afgemeld: niet gevonden" in text


# --- someone else was first ---------------------------------------------------------------------


def test_a_forward_is_audited_with_the_melding_the_group_and_whether_it_is_a_neighbour(west, coordinator, groups):
    melding, target = west
    assert services.mark_forwarded(melding, target, coordinator) is True
    assert audit_entries()[-1] == (
        "melding.forward",
        "melding",
        melding.id,
        {"group_id": groups[0].id, "neighbour": False},
    )


def test_a_closed_melding_without_a_result_has_no_closing_texts(west, coordinator):
    """Only close_melding closes, always with a result; a row closed by hand (an SQL fix, a restore
    of a hand-edited backup) must not produce closing texts that end in an empty result."""
    melding, _target = west
    behind_the_session(Melding, melding.id, closed_at=utcnow(), closed_by_id=coordinator.id)
    assert (melding.is_open, melding.result) == (False, None)
    assert services.closing_texts(melding) == []


def test_an_open_melding_has_no_closing_texts(west):
    assert services.closing_texts(west[0]) == []


def test_a_close_that_loses_the_race_says_so_and_closes_once(west, coordinator):
    melding, _target = west
    behind_the_session(Melding, melding.id, closed_at=utcnow(), closed_by_id=coordinator.id, result="ingetrokken")
    melding.__dict__["closed_at"] = None  # loaded before the other beheerder closed it
    with pytest.raises(MeldingClosed, match=exact_message(ALREADY_CLOSED)):
        services.close_melding(melding, coordinator, "gevonden", None)
    assert melding.result.value == "ingetrokken"  # theirs stays
    assert [a for a, *_ in audit_entries()] == ["melding.create"]


def test_a_forward_into_a_melding_closed_meanwhile_is_refused(west, coordinator):
    melding, target = west
    behind_the_session(Melding, melding.id, closed_at=utcnow(), closed_by_id=coordinator.id, result="ingetrokken")
    melding.__dict__["closed_at"] = None  # the page's view of it: still open
    with pytest.raises(MeldingClosed, match=exact_message(FORWARD_CLOSED)):
        services.mark_forwarded(melding, target, coordinator)
    db.session.expire_all()
    assert target.forwarded_at is None


def test_a_close_forward_someone_else_marked_meanwhile_is_left_as_theirs(west, coordinator, make_user, groups):
    melding, target = west
    services.close_melding(melding, coordinator, "gevonden", None)
    other = make_user("beheerder", groups=[groups[0]])
    behind_the_session(MeldingTarget, target.id, close_forwarded_at=utcnow(), close_forwarded_by_id=other.id)
    target.__dict__["close_forwarded_at"] = None  # loaded before the other beheerder clicked
    assert services.mark_close_forwarded(melding, target, coordinator) is False
    assert target.close_forwarded_by_id == other.id
    assert "melding.close_forward" not in [a for a, *_ in audit_entries()]


def test_an_undo_someone_else_did_meanwhile_changes_nothing(west, coordinator):
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    marked = target.forwarded_at
    behind_the_session(MeldingTarget, target.id, forwarded_at=None, forwarded_by_id=None)
    target.__dict__["forwarded_at"] = marked
    assert services.undo_forwarded(melding, target, coordinator) is False
    assert target.forwarded_at is None
    assert "melding.forward_undo" not in [a for a, *_ in audit_entries()]


def test_an_undo_of_a_mark_that_is_older_in_the_database_is_too_late(west, coordinator):
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    marked = target.forwarded_at
    behind_the_session(MeldingTarget, target.id, forwarded_at=utcnow() - timedelta(hours=1))
    target.__dict__["forwarded_at"] = marked
    with pytest.raises(UndoTooLate, match=r"^Ongedaan maken kan alleen in de eerste .+ Meld het aan de coördinator\.$"):
        services.undo_forwarded(melding, target, coordinator)
    db.session.expire_all()
    assert target.forwarded_at is not None


def test_an_undo_of_a_closing_forward_someone_else_undid_meanwhile_changes_nothing(west, coordinator):
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    services.close_melding(melding, coordinator, "gevonden", None)
    services.mark_close_forwarded(melding, target, coordinator)
    marked = target.close_forwarded_at
    behind_the_session(MeldingTarget, target.id, close_forwarded_at=None, close_forwarded_by_id=None)
    target.__dict__["close_forwarded_at"] = marked
    assert services.undo_forwarded(melding, target, coordinator, closing=True) is False
    assert target.forwarded_at is not None  # the melding's own mark is not touched


def test_a_mark_exactly_one_window_old_in_the_database_can_no_longer_be_undone(monkeypatch, west, coordinator):
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    now = utcnow().replace(microsecond=0)
    monkeypatch.setattr(services, "utcnow", lambda: now)
    marked = now - timedelta(minutes=1)
    behind_the_session(MeldingTarget, target.id, forwarded_at=now - services.undo_window())
    target.__dict__["forwarded_at"] = marked  # the page still shows a recent mark
    with pytest.raises(UndoTooLate):
        services.undo_forwarded(melding, target, coordinator)
    db.session.expire_all()
    assert target.forwarded_at == now - services.undo_window()


# --- undo -----------------------------------------------------------------------------------------


def test_undo_of_a_forward_and_of_a_closing_forward(west, coordinator, groups):
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    assert services.undo_forwarded(melding, target, coordinator) is True  # closing defaults to False
    db.session.expire_all()
    assert (target.forwarded_at, target.forwarded_by_id) == (None, None)
    assert services.undo_forwarded(melding, target, coordinator) is False  # nothing marked any more
    services.mark_forwarded(melding, target, coordinator)
    services.close_melding(melding, coordinator, "gevonden", None)
    with pytest.raises(MeldingClosed, match=exact_message(UNDO_CLOSED)):
        services.undo_forwarded(melding, target, coordinator)
    assert services.undo_forwarded(melding, target, coordinator, closing=True) is False  # closing not marked
    services.mark_close_forwarded(melding, target, coordinator)
    behind_the_session(MeldingTarget, target.id, forwarded_at=utcnow() - timedelta(hours=1))  # long ago
    assert services.undo_forwarded(melding, target, coordinator, closing=True) is True  # its own window counts
    db.session.expire_all()
    assert (target.close_forwarded_at, target.close_forwarded_by_id) == (None, None)
    assert target.forwarded_at is not None  # the melding's own mark stays
    undo = [e for e in audit_entries() if e[0].endswith("_undo")]
    assert undo == [
        ("melding.forward_undo", "melding", melding.id, {"group_id": groups[0].id}),
        ("melding.close_forward_undo", "melding", melding.id, {"group_id": groups[0].id}),
    ]


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (15, "Ongedaan maken kan alleen in de eerste 15 minuten. Klopt het niet? Meld het aan de coördinator."),
        (1, "Ongedaan maken kan alleen in de eerste minuut. Klopt het niet? Meld het aan de coördinator."),
    ],
)
def test_undo_after_the_window_says_how_long_it_was(app, west, coordinator, minutes, message):
    app.config["MELDING_UNDO_MINUTES"] = minutes
    melding, target = west
    services.mark_forwarded(melding, target, coordinator)
    behind_the_session(MeldingTarget, target.id, forwarded_at=utcnow() - timedelta(minutes=minutes, seconds=1))
    db.session.expire_all()
    with pytest.raises(UndoTooLate, match=exact_message(message)):
        services.undo_forwarded(melding, target, coordinator)


def test_the_undo_window_ends_at_exactly_its_length(monkeypatch):
    now = datetime(2025, 3, 4, 13, 20, tzinfo=UTC)
    monkeypatch.setattr(services, "utcnow", lambda: now)
    window = services.undo_window()
    assert window == timedelta(minutes=15)
    assert services.undo_until(now - window) is None  # exactly at the end: too late
    just_inside = now - window + timedelta(microseconds=1)
    assert services.undo_until(just_inside) == just_inside + window
    assert services.undo_until(None) is None
    assert services.undo_hint(now - window) is None
    marked = now - timedelta(minutes=5)
    assert services.undo_hint(marked) == (
        f"Vergist? U kunt dit tot {format_local(marked + window, '%H:%M')} ongedaan maken."
    )
    assert services.undo_hint(marked) == "Vergist? U kunt dit tot 14:30 ongedaan maken."  # 13:30 UTC in March


# --- the incident map: time window and order ----------------------------------------------------


def test_meldingen_for_map_since_inclusive_until_exclusive_ordered_by_time_then_id(make_melding):
    first, second, third = make_melding(), make_melding(), make_melding()
    at = datetime(2025, 3, 4, 13, 5, tzinfo=UTC)
    behind_the_session(Melding, first.id, occurred_at=at + timedelta(hours=1))  # later than the others
    since, until = at, at + timedelta(hours=1)

    def ids(since, until):
        return [row["id"] for row in services.meldingen_for_map(since, until)]

    assert ids(since, until) == [second.id, third.id]  # `first` at exactly `until`: left out
    assert ids(since, until + timedelta(microseconds=1)) == [second.id, third.id, first.id]
    assert ids(since + timedelta(microseconds=1), until + timedelta(hours=1)) == [first.id]
