"""Every retention rule (buurt.retention.RULES) runs: `flask buurt purge --apply` with the clock moved
past a rule's period leaves no trace of what expired, and a day before the period it keeps it.

Each rule has a seed here (a test fails when a rule is added without one). The seeds use the
distinctive person of test_deletion_dump, so "no trace" is the same search over every table and
every file under the instance folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

import buurt.retention
from buurt.areas.services import place
from buurt.extensions import db
from buurt.incidents.blur import cell_indices
from buurt.models import (
    Address,
    AuditEntry,
    FormSubmission,
    GroupTask,
    Incident,
    IncidentCategory,
    Melding,
    MeldingCategory,
    OutboxMessage,
    RateLimitCounter,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    UserSession,
    utcnow,
)
from buurt.retention import CATEGORY_LABELS, RULES, RULES_BY_KEY, run_purge
from buurt.retention.schedule import PurgeThread, purge_due
from buurt.times import to_local
from tests.incidents.conftest import INSIDE
from tests.ops.photo_support import is_stored, store_test_photo
from tests.privacy.test_deletion_dump import (
    EMAIL,
    HOME,
    HOUSE,
    NAME,
    PHONE,
    POSTCODE,
    STREET,
    dump_files,
    dump_tables,
    traces_in,
)

S = ResidentStatus


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@dataclass
class Seeded:
    """What a seed left: `kept()` holds before the period ends, `gone()` after."""

    kept: Callable[[], bool]
    gone: Callable[[], bool]


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored_photo() -> str:
    return store_test_photo()


def photo_exists(name: str) -> bool:
    return is_stored(name)


def seed_person(groups, make_resident, make_user, status: S, at: datetime, **fields) -> Seeded:
    """The person, with a report (photo, their name in it), audit rows and mail about them."""
    west = groups[0]
    resident = make_resident(
        west,
        status=status,
        name=NAME,
        phone_e164=PHONE,
        email=EMAIL,
        postcode=POSTCODE,
        house_number=HOUSE,
        street=STREET,
        lat=HOME[0],
        lon=HOME[1],
        created_at=at,
        **fields,
    )
    photo = stored_photo()
    db.session.add(
        Incident(
            category=IncidentCategory.OVERLAST,
            occurred_at=at,
            reported_at=at,
            lat=HOME[0],
            lon=HOME[1],
            description=f"{NAME}, 06-87123945",
            photo_filename=photo,
            reporter_resident_id=resident.id,
        )
    )
    db.session.add(AuditEntry(action="resident.view", target_type="resident", target_id=resident.id, at=at))
    db.session.add(
        OutboxMessage(
            kind="signup_confirm",
            recipients=f'["{EMAIL}"]',
            subject="Bevestig",
            body=f"Beste {NAME}",
            message_id=f"<{resident.id}@test>",
            resident_id=resident.id,
            created_at=at,
        )
    )
    db.session.commit()
    resident_id = resident.id
    return Seeded(
        kept=lambda: count(Resident, Resident.id == resident_id) == 1,
        gone=lambda: (
            count(Resident, Resident.id == resident_id) == 0
            and not photo_exists(photo)
            and count(AuditEntry, AuditEntry.target_type == "resident", AuditEntry.target_id == resident_id) == 0
            and count(Incident, Incident.anonymised_at.is_not(None)) == 1
        ),
    )


def incident_with_photo(at: datetime) -> tuple[int, str]:
    lat, lon = INSIDE["rijnsoever-noord"]
    area = place(lat, lon).area
    photo = stored_photo()
    incident = Incident(
        category=IncidentCategory.WONINGINBRAAK,
        occurred_at=at,
        reported_at=at,
        lat=lat,
        lon=lon,
        area_id=area.id,
        group_id=area.group_id,
        location_label=f"{STREET} {HOUSE}",
        description=f"Buurvrouw {NAME} ({PHONE}) zag het",
        details={"person": {"other": "Zwaantje"}},
        photo_filename=photo,
        photo_mime="image/jpeg",
    )
    db.session.add(incident)
    db.session.commit()
    return incident.id, photo


def seed(key: str, at: datetime, groups, make_resident, make_user) -> Seeded:
    """Rows that the rule `key` acts on, stored at `at`."""
    if key == "signups":
        return seed_person(groups, make_resident, make_user, S.UNCONFIRMED, at)
    if key == "removed":
        return seed_person(groups, make_resident, make_user, S.REMOVED, at, removed_at=at, removal_note=f"{NAME} weg")
    if key == "waitlist":
        return seed_person(groups, make_resident, make_user, S.WAITLIST, at, email_confirmed_at=at)
    if key == "incident_detail":
        _incident_id, photo = incident_with_photo(at)
        return Seeded(
            kept=lambda: photo_exists(photo),
            gone=lambda: not photo_exists(photo) and count(Incident, Incident.anonymised_at.is_not(None)) == 1,
        )
    if key == "incident":
        _incident_id, photo = incident_with_photo(at)
        return Seeded(kept=lambda: count(Incident) == 1, gone=lambda: count(Incident) == 0 and not photo_exists(photo))
    if key == "melding":
        db.session.add(
            Melding(
                received_text=f"Vermist: {NAME}, {STREET} {HOUSE}",
                category=MeldingCategory.VERMISSING,
                occurred_at=at,
                lat=HOME[0],
                lon=HOME[1],
                location_label=STREET,
                created_at=at,
            )
        )
        db.session.commit()
        return Seeded(kept=lambda: count(Melding) == 1, gone=lambda: count(Melding) == 0)
    if key in ("task_open", "task_done"):
        done = key == "task_done"
        db.session.add(
            GroupTask(
                group_id=groups[0].id,
                kind=TaskKind.REMOVE_FROM_WHATSAPP,
                display_name=None if done else NAME,
                phone_e164=None if done else PHONE,
                created_at=at,
                done_at=at if done else None,
            )
        )
        db.session.commit()
        if done:
            return Seeded(kept=lambda: count(GroupTask) == 1, gone=lambda: count(GroupTask) == 0)
        return Seeded(
            kept=lambda: count(GroupTask, GroupTask.phone_e164.is_not(None)) == 1,
            gone=lambda: count(GroupTask, GroupTask.display_name.is_(None), GroupTask.phone_e164.is_(None)) == 1,
        )
    if key == "outbox":
        db.session.add(
            OutboxMessage(kind="digest", subject="Aanmeldingen", message_id="<sent@test>", created_at=at, sent_at=at)
        )
        db.session.commit()
        return Seeded(kept=lambda: count(OutboxMessage) == 1, gone=lambda: count(OutboxMessage) == 0)
    if key == "address_cache":
        # the online answers for the person's address go; the register's (public data) stays
        for source, postcode, street in (
            ("pdok", POSTCODE, STREET),
            ("nominatim", POSTCODE, STREET),
            ("bag-csv", "2221AA", "Registerweg"),
        ):
            db.session.add(
                Address(
                    postcode=postcode,
                    house_number=HOUSE if source != "nominatim" else HOUSE + 1,
                    street=street,
                    street_norm=street.lower(),
                    place="Katwijk",
                    lat=HOME[0] if source != "bag-csv" else INSIDE["rijnsoever-noord"][0],
                    lon=HOME[1] if source != "bag-csv" else INSIDE["rijnsoever-noord"][1],
                    source=source,
                    created_at=at,
                    updated_at=at,
                )
            )
        db.session.commit()
        return Seeded(
            kept=lambda: count(Address) == 3,
            gone=lambda: [a.source for a in db.session.scalars(select(Address))] == ["bag-csv"],
        )
    if key == "audit":
        db.session.add(AuditEntry(action="resident.view", target_type="resident", target_id=7, at=at))
        db.session.commit()
        return Seeded(
            kept=lambda: count(AuditEntry, AuditEntry.action == "resident.view") == 1,
            gone=lambda: count(AuditEntry, AuditEntry.action == "resident.view") == 0,
        )
    if key == "sessions":
        user = make_user(Role.BEHEERDER)
        db.session.add(UserSession(token_hash="a" * 64, user_id=user.id, created_at=at, last_seen_at=at, ended_at=at))
        db.session.add(UserSession(token_hash="b" * 64, user_id=user.id, created_at=at, last_seen_at=at))
        db.session.commit()
        return Seeded(kept=lambda: count(UserSession) == 2, gone=lambda: count(UserSession) == 0)
    if key == "rate_limits":
        db.session.add(RateLimitCounter(key="LIMITER/203.0.113.77/signup", count=3, expires_at=at.timestamp() + 60))
        db.session.commit()
        return Seeded(kept=lambda: count(RateLimitCounter) == 1, gone=lambda: count(RateLimitCounter) == 0)
    if key == "form_submissions":
        db.session.add(FormSubmission(key="f" * 64, purpose="residents.signup", created_at=at, outcome={"x": 1}))
        db.session.commit()
        return Seeded(kept=lambda: count(FormSubmission) == 1, gone=lambda: count(FormSubmission) == 0)
    raise AssertionError(f"no seed for rule {key!r}")


SEEDED_RULES = (
    "signups",
    "removed",
    "waitlist",
    "incident_detail",
    "incident",
    "melding",
    "task_open",
    "task_done",
    "outbox",
    "address_cache",
    "audit",
    "sessions",
    "rate_limits",
    "form_submissions",
)


def test_every_rule_has_a_seed_a_period_and_a_text():
    assert [rule.key for rule in RULES] == list(SEEDED_RULES)
    for rule in RULES:
        assert rule.category in CATEGORY_LABELS
        assert str(rule.description).endswith(".")
        assert rule.config_key is None or rule.config_key.startswith("RETENTION_")


def purge_at(monkeypatch, runner, moment: datetime) -> str:
    """`flask buurt purge --apply` with the purge's clock at `moment`."""
    monkeypatch.setattr(buurt.retention, "utcnow", lambda: moment)
    result = runner.invoke(args=["buurt", "purge", "--apply"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("key", SEEDED_RULES)
def test_purge_past_each_period_leaves_no_trace(
    app, runner, monkeypatch, groups, make_resident, make_user, deliver_mail, key
):
    rule = RULES_BY_KEY[key]
    days = rule.days()
    t0 = utcnow()
    seeded = seed(key, t0, groups, make_resident, make_user)
    assert seeded.kept()

    # a day before the period ends: kept
    purge_at(monkeypatch, runner, t0 + timedelta(days=days - 1))
    assert seeded.kept(), f"{key}: acted on before its period of {days} days"

    # a day after: gone, anonymised or erased; nothing of the person in any table or file
    output = purge_at(monkeypatch, runner, t0 + timedelta(days=days + 1))
    assert f"  {key}: " in output
    assert f"  {key}: 0 " not in output, output
    assert seeded.gone(), f"{key}: still there after its period"
    if key == "waitlist":  # they were told, at the address they confirmed; sent, the address is erased
        [message] = [m for m in deliver_mail() if m["Subject"] == "Uw aanmelding op de wachtlijst is verwijderd"]
        assert message["To"] == EMAIL
        body = message.get_body(("plain",)).get_content()
        assert f"{days} dagen" in body
        assert "http://localhost/aanmelden" in body
    assert traces_in(dump_tables()) == {}
    assert traces_in(dump_files(Path(current_app.instance_path))) == {}
    assert "203.0.113.77" not in str(dump_tables())


def test_a_dry_run_changes_nothing_and_prints_counts_per_rule(app, runner, groups, make_resident, make_user):
    old = utcnow() - timedelta(days=800)
    for key in SEEDED_RULES:
        if key not in ("signups", "removed", "waitlist"):
            seed(key, old, groups, make_resident, make_user)
    before = dump_tables()
    result = runner.invoke(args=["buurt", "purge"])
    assert result.exit_code == 0, result.output
    assert dump_tables() == before
    for rule in RULES:
        assert f"  {rule.key}: " in result.output
    assert "--apply" in result.output
    assert traces_in({"output": result.output}) == {}  # counts only


def test_waitlist_period_runs_from_joining_and_without_email_no_mail(app, groups, make_resident, deliver_mail):
    days = current_app.config["RETENTION_WAITLIST_DAYS"]
    old = utcnow() - timedelta(days=days + 1)
    recent = utcnow() - timedelta(days=days - 1)
    gone = make_resident(groups[0], status=S.WAITLIST, created_at=old)  # no e-mail address
    unconfirmed = make_resident(groups[0], status=S.WAITLIST, created_at=old, email="a@example.org")
    kept = make_resident(groups[0], status=S.WAITLIST, created_at=old, email_confirmed_at=recent, email="b@example.org")
    ids = gone.id, unconfirmed.id
    report = run_purge(apply=True)
    assert report.counts["waitlist"] == 2
    assert [r.id for r in db.session.scalars(select(Resident))] == [kept.id]
    assert ids[0] not in [r.id for r in db.session.scalars(select(Resident))]
    assert deliver_mail() == []  # nobody with a confirmed address among them


def test_anonymising_keeps_the_day_area_and_public_cell(app):
    incident_id, photo = incident_with_photo(datetime(2026, 3, 14, 2, 37, tzinfo=UTC))  # 03:37 in Katwijk
    incident = db.session.get(Incident, incident_id)
    exact, area_id, group_id = (incident.lat, incident.lon), incident.area_id, incident.group_id
    cell_m = current_app.config["PUBLIC_GRID_M"]
    from buurt.retention.forget import anonymise_incident

    assert anonymise_incident(incident)
    assert not anonymise_incident(incident)  # once
    assert photo_exists(photo)  # the file goes with the commit, not before
    db.session.commit()
    assert (incident.area_id, incident.group_id) == (area_id, group_id)
    assert to_local(incident.occurred_at).date().isoformat() == "2026-03-14"
    assert (to_local(incident.occurred_at).hour, to_local(incident.occurred_at).minute) == (0, 0)
    assert (incident.lat, incident.lon) != exact
    same_cell = cell_indices([exact[0], incident.lat], [exact[1], incident.lon], cell_m)
    assert same_cell[0][0] == same_cell[0][1]
    assert same_cell[1][0] == same_cell[1][1]
    assert (incident.description, incident.details, incident.location_label) == ("", None, None)
    assert (incident.photo_filename, incident.photo_mime) == (None, None)
    assert not photo_exists(photo)


def test_a_rolled_back_erasure_keeps_the_photo_with_its_row(app):
    from buurt.retention.forget import delete_incident

    incident_id, photo = incident_with_photo(utcnow())
    delete_incident(db.session.get(Incident, incident_id))
    db.session.rollback()
    assert photo_exists(photo)
    assert count(Incident, Incident.id == incident_id) == 1
    db.session.commit()  # a later commit of something else does not remove it either
    assert photo_exists(photo)


# --- the schedule ---------------------------------------------------------------------------------


def local(year, month, day, hour, minute=0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)


def test_purge_is_due_once_per_local_day_after_the_hour(app):
    assert not purge_due(local(2026, 6, 1, 3, 59), 4, None)
    assert purge_due(local(2026, 6, 1, 4, 0), 4, None)
    assert not purge_due(local(2026, 6, 1, 23, 0), 4, local(2026, 6, 1, 4, 5))  # ran today
    assert purge_due(local(2026, 6, 1, 23, 0), 4, local(2026, 6, 1, 3, 0))  # a manual run before the hour
    assert not purge_due(local(2026, 6, 2, 3, 0), 4, local(2026, 6, 1, 4, 5))  # tomorrow, too early
    assert purge_due(local(2026, 6, 2, 4, 1), 4, local(2026, 6, 1, 4, 5))


def test_the_thread_purges_once_a_day(app, groups, make_resident):
    clock = [local(2026, 6, 1, 3, 0)]
    thread = PurgeThread(app, clock=lambda: clock[0])
    old_id = make_resident(groups[0], status=S.UNCONFIRMED, created_at=clock[0] - timedelta(days=400)).id
    assert thread.run_once() is None  # before PURGE_HOUR
    assert count(Resident, Resident.id == old_id) == 1
    clock[0] = local(2026, 6, 1, 4, 30)
    report = thread.run_once()
    assert report is not None
    assert report.applied
    assert report.counts["signups"] == 1
    assert count(Resident, Resident.id == old_id) == 0
    clock[0] = local(2026, 6, 1, 23, 59)
    assert thread.run_once() is None  # once a day: the audit log says it ran
    clock[0] = local(2026, 6, 2, 4, 0)
    assert thread.run_once() is not None  # the next day
    assert count(AuditEntry, AuditEntry.action == "retention.purge") == 2


def test_the_thread_is_off_in_tests_and_on_by_default(app):
    from buurt.config import Defaults
    from buurt.retention.schedule import thread_of

    assert thread_of(app) is None
    assert Defaults.PURGE_THREAD is True


def test_the_purge_works_in_batches_until_every_expired_row_is_gone(app, groups, make_resident, monkeypatch):
    """Each batch is its own transaction (SQLite's write lock is released between them): with
    batches of 2, five expired sign-ups take three batches and none is left; a recent one stays."""
    monkeypatch.setattr(buurt.retention, "PURGE_BATCH", 2)
    monkeypatch.setattr(buurt.retention, "PURGE_PAUSE", 0)
    commits = []
    monkeypatch.setattr(db.session, "commit", lambda real=db.session.commit: commits.append(1) or real())
    old = utcnow() - timedelta(days=current_app.config["RETENTION_DAYS"] + 1)
    for _ in range(5):
        make_resident(groups[0], status=S.UNCONFIRMED, created_at=old)
    kept = make_resident(groups[0], status=S.UNCONFIRMED)
    commits.clear()
    report = run_purge(apply=True)
    assert report.counts["signups"] == 5
    assert [r.id for r in db.session.scalars(select(Resident))] == [kept.id]
    assert len(commits) >= 3 + 1  # three batches, then the audit line


def test_waitlist_expiry_mail_names_the_residents_neighbourhood(app, hoornes, make_resident, deliver_mail):
    """A Hoornes resident's mail says Hoornes, links Hoornes' sign-up and signs with its contact (issue 18)."""
    days = current_app.config["RETENTION_WAITLIST_DAYS"]
    old = utcnow() - timedelta(days=days + 1)
    hoornes_group = hoornes.groups[0]
    make_resident(hoornes_group, status=S.WAITLIST, created_at=old, email_confirmed_at=old, email="c@example.org")
    assert run_purge(apply=True).counts["waitlist"] == 1
    [message] = deliver_mail()
    body = message.get_body(("plain",)).get_content()
    assert "in Hoornes" in body
    assert "Rijnsoever" not in body
    assert "http://localhost/hoornes/aanmelden" in body
    assert "hoornes@example.org" in body
