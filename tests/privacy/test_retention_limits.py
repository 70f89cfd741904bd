"""Every retention period is a promise of the privacy statement (docs/privacy.md): "na 60 dagen" means a
record exactly 60 days old is still kept and one a second older is gone. Each rule is tested on both
sides of its limit with a fixed clock (``run_purge(now=...)``), never by sleeping; demo rows and what
must stay (rows of other people, anonymous counts) stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

import buurt.retention
from buurt.extensions import db
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
)
from buurt.retention import RULES, RULES_BY_KEY, run_purge

S = ResidentStatus
NOW = datetime(2026, 9, 15, 10, 30, 0, tzinfo=UTC)  # the purge's clock in every test here
SECOND = timedelta(seconds=1)


def limit(key: str) -> datetime:
    """The moment exactly one period of rule `key` before NOW: a row stored then is kept."""
    return NOW - timedelta(days=RULES_BY_KEY[key].days())


def past(key: str) -> datetime:
    """One second before that: a row stored then is past its period."""
    return limit(key) - SECOND


def ids(model, *where) -> list[int]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(model.id).where(*where)))


def test_sign_ups_on_both_sides_of_their_limits(app, groups, make_resident):
    """signups (never confirmed / never added), removed and waitlist: kept at the limit, gone a second later."""
    g = groups[0]
    long_ago = NOW - timedelta(days=1000)
    kept = [
        make_resident(g, status=S.UNCONFIRMED, created_at=limit("signups")),
        make_resident(None, status=S.TO_GEOCODE, created_at=limit("signups")),
        # pending and not reachable count from the confirmation, if there is one
        make_resident(g, status=S.PENDING, created_at=long_ago, email_confirmed_at=limit("signups")),
        make_resident(g, status=S.NOT_REACHABLE, created_at=limit("signups")),
        # removed: from the removal, not the sign-up
        make_resident(g, status=S.REMOVED, created_at=long_ago, removed_at=limit("removed")),
        make_resident(g, status=S.REMOVED, created_at=long_ago, removed_at=None, updated_at=limit("removed")),
        # the waitlist: from joining it (the confirmation), or the sign-up
        make_resident(g, status=S.WAITLIST, created_at=long_ago, email_confirmed_at=limit("waitlist")),
        make_resident(g, status=S.WAITLIST, created_at=limit("waitlist")),
        # members stay however old; so do demo rows past every limit
        make_resident(g, status=S.ADDED, created_at=long_ago),
        make_resident(g, status=S.UNCONFIRMED, created_at=long_ago, is_demo=True),
        make_resident(g, status=S.PENDING, created_at=long_ago, is_demo=True),
        make_resident(g, status=S.REMOVED, created_at=long_ago, removed_at=long_ago, is_demo=True),
        make_resident(g, status=S.WAITLIST, created_at=long_ago, is_demo=True),
    ]
    gone = {
        "signups": [
            make_resident(g, status=S.UNCONFIRMED, created_at=past("signups")),
            make_resident(None, status=S.TO_GEOCODE, created_at=past("signups")),
            make_resident(g, status=S.PENDING, created_at=long_ago, email_confirmed_at=past("signups")),
            make_resident(g, status=S.NOT_REACHABLE, created_at=past("signups")),
            # confirmed just now, but the sign-up itself was never confirmed: from the sign-up
            make_resident(g, status=S.UNCONFIRMED, created_at=past("signups"), email_confirmed_at=NOW),
        ],
        "removed": [
            make_resident(g, status=S.REMOVED, created_at=NOW, removed_at=past("removed")),
            make_resident(g, status=S.REMOVED, created_at=long_ago, removed_at=None, updated_at=past("removed")),
        ],
        "waitlist": [
            make_resident(g, status=S.WAITLIST, created_at=long_ago, email_confirmed_at=past("waitlist")),
            make_resident(g, status=S.WAITLIST, created_at=past("waitlist")),
        ],
    }
    kept_ids = sorted(r.id for r in kept)

    dry = run_purge(now=NOW)
    assert not dry.applied
    assert ids(Resident) == sorted(kept_ids + [r.id for rs in gone.values() for r in rs])  # a dry run keeps all

    report = run_purge(apply=True, now=NOW)
    assert report.applied
    for key, residents in gone.items():
        assert report.counts[key] == dry.counts[key] == len(residents), key
    assert ids(Resident) == kept_ids


def make_incident(groups, at: datetime, **fields) -> Incident:
    values = {
        "category": IncidentCategory.OVERLAST,
        "occurred_at": at,
        "reported_at": at,
        "lat": 52.2115,
        "lon": 4.4236,
        "group_id": groups[0].id,
        "description": "Iemand bij de schuur",
        "location_label": "Fictieweg 3",
    }
    values.update(fields)
    incident = Incident(**values)
    db.session.add(incident)
    db.session.commit()
    return incident


def test_incidents_and_meldingen_on_both_sides_of_their_limits(app, groups):
    detail_kept = make_incident(groups, limit("incident_detail"))
    detail_gone = make_incident(groups, past("incident_detail"))
    rest_kept = make_incident(groups, limit("incident"))
    make_incident(groups, past("incident"))  # goes as a whole
    demo = make_incident(groups, NOW - timedelta(days=5000), is_demo=True)
    melding_at = {}
    for name, at, demo_row in (
        ("kept", limit("melding"), False),
        ("gone", past("melding"), False),
        ("demo", NOW - timedelta(days=5000), True),
    ):
        melding = Melding(
            received_text="Vermist: fictief",
            category=MeldingCategory.VERMISSING,
            occurred_at=at,
            lat=52.2115,
            lon=4.4236,
            created_at=at,
            is_demo=demo_row,
        )
        db.session.add(melding)
        db.session.commit()
        melding_at[name] = melding.id

    report = run_purge(apply=True, now=NOW)
    # details erased of every report past 180 days (the two older ones too); the one past 730 days
    # went as a whole (anonymised first, then deleted: it counts for both rules)
    assert report.counts["incident_detail"] == 3
    assert report.counts["incident"] == 1
    assert report.counts["melding"] == 1
    assert ids(Incident) == sorted([detail_kept.id, detail_gone.id, rest_kept.id, demo.id])
    erased = {i.id: i.anonymised_at is not None for i in db.session.scalars(select(Incident))}
    assert erased == {detail_kept.id: False, detail_gone.id: True, rest_kept.id: True, demo.id: False}
    kept = db.session.get(Incident, detail_kept.id)
    assert (kept.description, kept.location_label) == ("Iemand bij de schuur", "Fictieweg 3")
    assert ids(Melding) == sorted([melding_at["kept"], melding_at["demo"]])

    again = run_purge(apply=True, now=NOW)  # an anonymised report is not anonymised (or counted) twice
    assert (again.counts["incident_detail"], again.counts["incident"]) == (0, 0)


def test_tasks_mail_addresses_logs_and_sessions_on_both_sides_of_their_limits(app, groups, make_user):
    g = groups[0].id

    def task(created, done=None, person=True, demo=False):
        row = GroupTask(
            group_id=g,
            kind=TaskKind.REMOVE_FROM_WHATSAPP,
            display_name="Fictief Persoon" if person else None,
            phone_e164="+31612345678" if person else None,
            created_at=created,
            done_at=done,
            is_demo=demo,
        )
        db.session.add(row)
        return row

    long_ago = NOW - timedelta(days=5000)
    open_kept, open_erased = task(limit("task_open")), task(past("task_open"))
    number_only = GroupTask(
        group_id=g, kind=TaskKind.REMOVE_FROM_WHATSAPP, phone_e164="+31600000001", created_at=past("task_open")
    )
    name_only = GroupTask(
        group_id=g, kind=TaskKind.REMOVE_FROM_WHATSAPP, display_name="Alleen Naam", created_at=past("task_open")
    )
    db.session.add_all([number_only, name_only])
    open_demo = task(long_ago, demo=True)
    done_kept = task(long_ago, done=limit("task_done"), person=False)
    task(long_ago, done=past("task_done"), person=False)
    done_demo = task(long_ago, done=long_ago, person=False, demo=True)

    def mail(n, **times):
        row = OutboxMessage(
            kind="digest", subject="Aanmeldingen", message_id=f"<limit-{n}@test>", created_at=long_ago, **times
        )
        db.session.add(row)
        return row

    sent_kept, _sent_gone = mail(1, sent_at=limit("outbox")), mail(2, sent_at=past("outbox"))
    gave_up_kept, _gave_up_gone = mail(3, gave_up_at=limit("outbox")), mail(4, gave_up_at=past("outbox"))
    unsent = mail(5)  # still to be sent: no period runs yet

    def address(number, at, source="pdok"):
        row = Address(
            postcode="2221ZZ",
            house_number=number,
            street="Fictieweg",
            street_norm="fictieweg",
            place="Katwijk",
            lat=52.2115,
            lon=4.4236,
            source=source,
            created_at=at,
            updated_at=at,
        )
        db.session.add(row)
        return row

    cache_kept, _cache_gone = address(1, limit("address_cache")), address(2, past("address_cache"), "nominatim")
    register = address(3, long_ago, "bag-csv")  # public data: no period

    audit_kept = AuditEntry(action="resident.view", target_type="resident", target_id=1, at=limit("audit"))
    audit_gone = AuditEntry(action="resident.view", target_type="resident", target_id=2, at=past("audit"))
    db.session.add_all([audit_kept, audit_gone])

    user = make_user(Role.BEHEERDER)

    def login_session(n, **times):
        row = UserSession(token_hash=f"{n}" * 64, user_id=user.id, created_at=long_ago, **times)
        db.session.add(row)
        return row

    ended_kept = login_session(1, last_seen_at=long_ago, ended_at=limit("sessions"))
    login_session(2, last_seen_at=long_ago, ended_at=past("sessions"))
    idle_kept = login_session(3, last_seen_at=limit("sessions"))
    login_session(4, last_seen_at=past("sessions"))

    db.session.add_all(
        [
            FormSubmission(key="k" * 64, purpose="residents.signup", created_at=limit("form_submissions")),
            FormSubmission(key="g" * 64, purpose="residents.signup", created_at=past("form_submissions")),
            # a rate-limit counter goes the moment its window ends (the limiter: live while expires_at > now)
            RateLimitCounter(key="LIMITER/a", count=1, expires_at=NOW.timestamp()),
            RateLimitCounter(key="LIMITER/b", count=1, expires_at=(NOW + SECOND).timestamp()),
        ]
    )
    db.session.commit()

    report = run_purge(apply=True, now=NOW)
    assert {key: n for key, n in report.counts.items() if n} == {
        "task_open": 3,
        "task_done": 1,
        "outbox": 2,
        "address_cache": 1,
        "audit": 1,
        "sessions": 2,
        "rate_limits": 1,
        "form_submissions": 1,
    }
    people = {t.id: (t.display_name, t.phone_e164) for t in db.session.scalars(select(GroupTask))}
    assert people == {
        open_kept.id: ("Fictief Persoon", "+31612345678"),
        open_erased.id: (None, None),  # the to-do stays, without the person
        number_only.id: (None, None),
        name_only.id: (None, None),
        open_demo.id: ("Fictief Persoon", "+31612345678"),
        done_kept.id: (None, None),
        done_demo.id: (None, None),
    }
    assert ids(OutboxMessage) == sorted([sent_kept.id, gave_up_kept.id, unsent.id])
    assert ids(Address) == sorted([cache_kept.id, register.id])
    assert ids(AuditEntry, AuditEntry.action == "resident.view") == [audit_kept.id]
    assert ids(UserSession) == sorted([ended_kept.id, idle_kept.id])
    assert list(db.session.scalars(select(FormSubmission.key))) == ["k" * 64]
    assert list(db.session.scalars(select(RateLimitCounter.key))) == ["LIMITER/b"]
    # a second purge at the same moment finds nothing: what it reports erased was there to erase
    assert {key: n for key, n in run_purge(apply=True, now=NOW).counts.items() if n} == {}


def test_a_period_comes_from_the_settings(app):
    """The privacy register passes a deployment's settings; without them the app's count."""
    rule = RULES_BY_KEY["signups"]
    assert rule.days({"RETENTION_DAYS": 7}) == 7
    assert rule.days() == current_app.config["RETENTION_DAYS"]
    assert RULES_BY_KEY["form_submissions"].days({}) == 2
    assert RULES_BY_KEY["rate_limits"].days({}) == 0
    current_app.config["RETENTION_AUDIT_DAYS"] = 10
    assert RULES_BY_KEY["audit"].cutoff(NOW) == NOW - timedelta(days=10)


def test_the_purge_audits_counts_only_on_the_day_it_ran(app, groups, make_resident):
    """The schedule reads "already ran today" from this entry: it carries the purge's own clock."""
    make_resident(groups[0], status=S.UNCONFIRMED, created_at=past("signups"))
    make_resident(groups[0], status=S.UNCONFIRMED, created_at=past("signups"))
    assert run_purge(now=NOW).total == 2
    assert db.session.scalars(select(AuditEntry).filter_by(action="retention.purge")).all() == []  # dry run
    report = run_purge(apply=True, now=NOW)
    assert report.total == 2
    entry = db.session.scalars(select(AuditEntry).filter_by(action="retention.purge")).one()
    assert entry.at == NOW
    assert entry.details == {"count": 2, "n_signups": 2}  # only the rules that touched something


def test_batches_pause_between_each_other_not_before_the_first(app, groups, make_resident, monkeypatch):
    monkeypatch.setattr(buurt.retention, "PURGE_BATCH", 2)
    pauses = []
    # at each pause: how long, and how many expired sign-ups the batches so far left (committed)
    monkeypatch.setattr(buurt.retention.time, "sleep", lambda seconds: pauses.append((seconds, len(ids(Resident)))))
    for _ in range(5):
        make_resident(groups[0], status=S.UNCONFIRMED, created_at=past("signups"))
    assert run_purge(apply=True, now=NOW).counts["signups"] == 5
    pause = buurt.retention.PURGE_PAUSE
    assert pauses == [(pause, 3), (pause, 1)]  # three batches of at most two, two pauses
    assert ids(Resident) == []
    pauses.clear()
    make_resident(groups[0], status=S.UNCONFIRMED, created_at=past("signups"))
    run_purge(apply=True, now=NOW)
    assert pauses == []  # one batch: no pause at all


def test_every_rule_is_checked_here():
    """A new rule needs its limits tested (above) as well as a seed in test_retention."""
    tested = {
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
    }
    assert {rule.key for rule in RULES} == tested


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


def test_the_waitlist_mail_goes_with_the_group_and_without_one_links_the_site_sign_up(
    app, groups, make_resident, deliver_mail
):
    with_group = make_resident(
        groups[0],
        status=S.WAITLIST,
        created_at=past("waitlist"),
        email_confirmed_at=past("waitlist"),
        email="w@example.org",
    )
    group_id = with_group.group_id
    make_resident(
        None, status=S.WAITLIST, created_at=past("waitlist"), email_confirmed_at=past("waitlist"), email="n@example.org"
    )
    assert run_purge(apply=True, now=NOW).counts["waitlist"] == 2
    queued = {m.group_id for m in db.session.scalars(select(OutboxMessage).filter_by(kind="waitlist_expired"))}
    assert queued == {group_id, None}  # the mail belongs to the group it was about
    bodies = {m["To"]: m.get_body(("plain",)).get_content() for m in deliver_mail()}
    assert set(bodies) == {"w@example.org", "n@example.org"}
    for body in bodies.values():
        assert "http://localhost/aanmelden" in body
        assert f"{RULES_BY_KEY['waitlist'].days():g} dagen" in body
