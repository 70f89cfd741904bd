"""Forgetting one resident removes every trace of that person and nothing of anyone else
(buurt.retention.forget): their mail but not a neighbour's with a look-alike address, their cached
address but not the house next door's, their to-dos as the beheerders need them, audit rows about
them without the id but every other audit row whole, their reports anonymised and the rest as they
were. Also: a deleted incident's merged reports stay, and a photo store that is down does not undo
an erasure.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from flask import current_app
from sqlalchemy import select

from buurt.extensions import db
from buurt.models import (
    Address,
    AuditEntry,
    GroupTask,
    Incident,
    IncidentCategory,
    OutboxMessage,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    utcnow,
)
from buurt.photostore import PhotoStoreUnavailable, photo_store
from buurt.retention.forget import (
    anonymise_incident,
    delete_incident,
    delete_incident_by_staff,
    forget_resident,
    public_cell_point,
)
from tests.ops.photo_support import is_stored, store_test_photo

S = ResidentStatus


def mail(n: int, to: str | None, resident_id: int | None = None, sent: bool = False) -> OutboxMessage:
    row = OutboxMessage(
        kind="digest",
        recipients=None if to is None else f'["{to}"]',
        subject="Onderwerp",
        body=None if sent else "Beste bewoner",
        message_id=f"<forget-{n}@test>",
        resident_id=resident_id,
        sent_at=utcnow() if sent else None,
    )
    db.session.add(row)
    return row


def report(groups, reporter: Resident | None, text: str) -> Incident:
    incident = Incident(
        category=IncidentCategory.OVERLAST,
        occurred_at=utcnow(),
        lat=52.2115,
        lon=4.4236,
        group_id=groups[0].id,
        description=text,
        location_label="Fictieweg 7",
        reporter_resident_id=reporter.id if reporter else None,
    )
    db.session.add(incident)
    return incident


def test_forgetting_one_resident_takes_only_their_traces(app, groups, make_resident, make_address):
    g = groups[0]
    # a_b: "_" is a wildcard in SQL LIKE; the neighbour's axb@ must not match it
    person = make_resident(
        g, email="A_B@Example.org", postcode="2221ZZ", house_number=7, house_letter="a", house_addition="bis"
    )
    neighbour = make_resident(g, email="axb@example.org", postcode="2221ZZ", house_number=9)
    other_id, person_id = neighbour.id, person.id

    # mail: linked to them (also sent mail), queued to their address in another spelling, a neighbour's
    linked_sent = mail(1, None, resident_id=person_id, sent=True)
    by_address = mail(2, "a_b@example.ORG")
    lookalike = mail(3, "axb@example.org")
    neighbours_linked = mail(4, "axb@example.org", resident_id=other_id)
    sent_to_nobody = mail(5, None, sent=True)
    db.session.commit()
    keep_mail = sorted([lookalike.id, neighbours_linked.id, sent_to_nobody.id])
    assert {linked_sent.id, by_address.id}.isdisjoint(keep_mail)

    # the online geocoder's cache row for their address goes; the cache rows of the houses with
    # another letter, addition or number stay
    theirs = make_address(number=7, letter="A", addition="BIS", source="pdok").id
    stays = [
        make_address(number=7, letter="B", addition="BIS", source="pdok"),
        make_address(number=7, letter="A", addition="", source="nominatim"),
        make_address(number=8, letter="A", addition="BIS", source="pdok"),
        make_address(postcode="2221ZY", number=7, letter="A", addition="BIS", source="pdok"),
    ]

    # to-dos: an open "add" goes; a done "add" and an open "remove" stay without the link; the neighbour's stay
    def task(resident_id, kind, done=False):
        row = GroupTask(
            group_id=g.id,
            kind=kind,
            resident_id=resident_id,
            display_name="Naam",
            phone_e164="+31612345678",
            done_at=utcnow() if done else None,
        )
        db.session.add(row)
        return row

    task(person_id, TaskKind.ADD_TO_WHATSAPP)  # goes
    done_add = task(person_id, TaskKind.ADD_TO_WHATSAPP, done=True)
    open_remove = task(person_id, TaskKind.REMOVE_FROM_WHATSAPP)
    neighbours_add = task(other_id, TaskKind.ADD_TO_WHATSAPP)

    # audit: rows about them lose the id; rows about the neighbour, and about another kind of record
    # with the same number, stay whole
    db.session.add_all(
        [
            AuditEntry(action="resident.view", target_type="resident", target_id=person_id),
            AuditEntry(action="resident.view", target_type="resident", target_id=other_id),
            AuditEntry(action="incidents.delete", target_type="incident", target_id=person_id),
        ]
    )
    their_report = report(groups, person, "Gezien door mij")
    neighbours_report = report(groups, neighbour, "Gezien door de buurman")
    db.session.commit()

    forget_resident(db.session.get(Resident, person_id))
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Resident, person_id) is None
    assert db.session.get(Resident, other_id) is not None
    assert sorted(db.session.scalars(select(OutboxMessage.id))) == keep_mail
    assert db.session.get(Address, theirs) is None
    assert sorted(db.session.scalars(select(Address.id))) == sorted(a.id for a in stays)
    tasks = {t.id: (t.kind, t.resident_id, t.display_name) for t in db.session.scalars(select(GroupTask))}
    assert tasks == {
        done_add.id: (TaskKind.ADD_TO_WHATSAPP, None, "Naam"),
        open_remove.id: (TaskKind.REMOVE_FROM_WHATSAPP, None, "Naam"),
        neighbours_add.id: (TaskKind.ADD_TO_WHATSAPP, other_id, "Naam"),
    }
    audit = {(a.target_type, a.target_id) for a in db.session.scalars(select(AuditEntry))}
    assert audit == {("resident", None), ("resident", other_id), ("incident", person_id)}
    mine, theirs_report = db.session.get(Incident, their_report.id), db.session.get(Incident, neighbours_report.id)
    assert (mine.description, mine.reporter_resident_id, mine.anonymised_at is not None) == ("", None, True)
    assert (theirs_report.description, theirs_report.reporter_resident_id) == ("Gezien door de buurman", other_id)
    assert theirs_report.anonymised_at is None


def test_a_register_address_stays(app, groups, make_resident, make_address):
    """The register (BAG) is public data, not a trace of the person: only online answers are erased."""
    register = make_address(number=11, letter="C", source="bag-csv")
    forget_resident(make_resident(groups[0], postcode="2221ZZ", house_number=11, house_letter="c"))
    db.session.commit()
    assert db.session.scalars(select(Address.id)).all() == [register.id]


def test_the_cached_answer_for_an_address_without_letter_or_addition_goes(app, groups, make_resident, make_address):
    cached = make_address(number=12, source="pdok").id
    neighbour = make_address(number=12, addition="1", source="pdok").id  # 12-1 is another household
    forget_resident(make_resident(groups[0], postcode="2221ZZ", house_number=12))
    db.session.commit()
    assert db.session.get(Address, cached) is None
    assert db.session.scalars(select(Address.id)).all() == [neighbour]


def test_a_resident_without_address_or_e_mail_is_forgotten_too(app, groups, make_resident, make_address):
    cached = make_address(number=5, source="pdok")
    nobody = make_resident(groups[0], status=S.TO_GEOCODE, email=None, postcode=None, house_number=None)
    forget_resident(nobody)
    db.session.commit()
    assert db.session.scalars(select(Resident)).all() == []
    assert db.session.scalars(select(Address.id)).all() == [cached.id]


def test_anonymising_forgets_who_reported_also_a_staff_member(app, groups, make_user):
    user = make_user(Role.BEHEERDER)
    incident = report(groups, None, "Gezien door de beheerder")
    incident.reporter_user_id = user.id
    incident.occurred_at = datetime(2026, 3, 14, 2, 37, tzinfo=UTC)
    db.session.commit()
    before = utcnow()
    assert anonymise_incident(incident)
    db.session.commit()
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.reporter_user_id, incident.reporter_resident_id) == (None, None)
    assert incident.anonymised_at >= before
    assert incident.occurred_at == datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # midnight in Katwijk (CET)
    assert (incident.lat, incident.lon) == pytest.approx(public_cell_point(52.2115, 4.4236), abs=1e-9)


def test_the_public_cell_point_follows_the_grid_setting(app):
    """Two points 40 m apart share a 150 m cell's centre, and get two centres with a 10 m grid."""
    a, b = (52.21150, 4.42360), (52.21150, 4.42419)  # ~40 m east-west
    assert public_cell_point(*a) == public_cell_point(*b)
    current_app.config["PUBLIC_GRID_M"] = 10
    assert public_cell_point(*a) != public_cell_point(*b)


def test_deleting_an_incident_keeps_the_reports_merged_into_it(app, groups):
    main = report(groups, None, "Hoofdmelding")
    db.session.commit()
    merged = report(groups, None, "Dezelfde inbraak")
    merged.merged_into_id = main.id
    other = report(groups, None, "Iets anders")
    db.session.commit()
    other_merged = report(groups, None, "Nog eens iets anders")  # another pair: stays merged
    other_merged.merged_into_id = other.id
    db.session.commit()
    delete_incident(main)
    db.session.commit()
    db.session.expire_all()
    rows = {i.id: i.merged_into_id for i in db.session.scalars(select(Incident))}
    assert rows == {merged.id: None, other.id: None, other_merged.id: other.id}


def test_staff_deletion_is_audited_with_ids_only(app, groups):
    incident = report(groups, None, "Weg ermee")
    db.session.commit()
    incident_id, group_id = incident.id, incident.group_id
    delete_incident_by_staff(incident)
    db.session.rollback()  # committed already: a later rollback does not bring it back
    assert db.session.get(Incident, incident_id) is None
    entry = db.session.scalars(select(AuditEntry).filter_by(action="incidents.delete")).one()
    assert (entry.target_type, entry.target_id, entry.details) == ("incident", incident_id, {"group": group_id})


class UnreachableStore:
    """A photo store whose delete fails (S3 down): the erasure must still commit."""

    def __init__(self, real):
        self.real = real

    def delete(self, name):
        raise PhotoStoreUnavailable("down")

    def describe(self):
        return "test store (down)"

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_photo_store_that_is_down_does_not_undo_the_erasure(app, groups, monkeypatch, caplog):
    photo = store_test_photo()
    incident = report(groups, None, "Met foto")
    incident.photo_filename, incident.photo_mime = photo, "image/jpeg"
    db.session.commit()
    incident_id = incident.id
    monkeypatch.setitem(current_app.extensions, "buurt.photostore", UnreachableStore(photo_store(current_app)))
    with caplog.at_level(logging.ERROR, logger="buurt.retention.forget"):
        delete_incident(incident)
        db.session.commit()
    assert db.session.get(Incident, incident_id) is None
    assert [r.levelno for r in caplog.records if r.name == "buurt.retention.forget"] == [logging.ERROR]
    assert "test store (down)" in caplog.text
    monkeypatch.undo()
    assert is_stored(photo)  # left behind, and said so in the log


def test_init_app_makes_photo_files_follow_the_transaction_once(app, groups, monkeypatch):
    """From a process without the listeners: init_app (twice, as every app calls it) registers them
    once; a commit deletes the erased incident's photo once, a rollback keeps it."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from buurt.retention import forget

    deleted = []

    class Counting:
        def delete(self, name):
            deleted.append(name)

        def describe(self):
            return "counting"

    hooks = (("after_commit", forget._after_commit), ("after_rollback", forget._after_rollback))
    for name, hook in hooks:
        event.remove(Session, name, hook)
    try:
        forget.init_app(app)
        forget.init_app(app)
        assert all(event.contains(Session, name, hook) for name, hook in hooks)
        monkeypatch.setitem(current_app.extensions, "buurt.photostore", Counting())
        kept, erased = report(groups, None, "Teruggedraaid"), report(groups, None, "Weg")
        kept.photo_filename, erased.photo_filename = "kept.jpg", "erased.jpg"
        db.session.commit()
        delete_incident(kept)
        db.session.rollback()
        delete_incident(erased)
        db.session.commit()
        assert deleted == ["erased.jpg"]
    finally:
        for name, hook in hooks:
            if not event.contains(Session, name, hook):
                event.listen(Session, name, hook)
