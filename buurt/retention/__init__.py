"""Retention: how long each kind of personal data is kept, and the purge that enforces it.

``RULES`` is the one table of rules. ``flask buurt purge [--apply]`` and the daily purge thread
(buurt.retention.schedule) run it; the privacy page and docs/privacy.md are generated from it
(with the periods from config), so what the site promises is what the purge does.

A rule finds the rows whose period has passed (``find``, a SELECT of the model given the
cut-off) and acts on them (``act``: delete, anonymise or erase fields). A period is a config key
(``RETENTION_*_DAYS``) or, for purely technical rows that hold no personal data beyond a short
time, a fixed number of days. Demo rows (``is_demo``) are left alone: they are fictional and the
demo needs its history. What deleting a person means is in buurt.retention.forget.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, or_, update

from buurt import audit
from buurt.extensions import db
from buurt.models import (
    Address,
    AuditEntry,
    FormSubmission,
    GroupTask,
    Incident,
    Melding,
    OutboxMessage,
    RateLimitCounter,
    Resident,
    ResidentStatus,
    UserSession,
    utcnow,
)
from buurt.retention.forget import (
    ONLINE_SOURCES,
    anonymise_incident,
    delete_incident,
    forget_resident,
    scrub_database_files,
)

log = logging.getLogger(__name__)

S = ResidentStatus

#: The kinds of data a rule is about (codes; CATEGORY_LABELS has the page texts), in page order.
CATEGORY_LABELS = {
    "residents": _l("Aanmeldingen"),
    "incidents": _l("Incidentmeldingen"),
    "meldingen": _l("Meldingen van de meldkamer"),
    "tasks": _l("WhatsApp-taken van beheerders"),
    "mail": _l("E-mail"),
    "addresses": _l("Opgezochte adressen"),
    "audit": _l("Logboek"),
    "technical": _l("Technische gegevens"),
}


@dataclass(frozen=True)
class Rule:
    """One retention rule: which rows, after how long, and what happens to them."""

    key: str  # stable code, e.g. "waitlist" (used in output, tests and the privacy page)
    config_key: str | None  # RETENTION_*_DAYS; None: the period is fixed_days
    category: str  # a key of CATEGORY_LABELS
    description: object  # lazy Dutch sentence: what is kept, and what happens after the period
    find: Callable[[datetime, datetime], Select] = field(repr=False)  # (cutoff, now) -> SELECT of the rows
    act: Callable[[Select, datetime], None] = field(repr=False)  # (that SELECT, now) -> act on them
    fixed_days: float = 0

    def days(self, config: Mapping | None = None) -> float:
        """The period in days, from config (the app's when not given)."""
        if self.config_key is None:
            return self.fixed_days
        return (config if config is not None else current_app.config)[self.config_key]

    def cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days())

    def count(self, now: datetime) -> int:
        query = self.find(self.cutoff(now), now)
        return db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0


# --- residents ------------------------------------------------------------------------------------


def _not_demo(query: Select) -> Select:
    return query.where(Resident.is_demo.is_(False))


def _stale_signups(cutoff: datetime, now: datetime) -> Select:
    """Never confirmed (from the sign-up) or never added (from the confirmation, or the sign-up)."""
    started = func.coalesce(Resident.email_confirmed_at, Resident.created_at)
    return _not_demo(
        db.select(Resident).where(
            or_(
                Resident.status.in_((S.UNCONFIRMED, S.TO_GEOCODE)) & (Resident.created_at < cutoff),
                Resident.status.in_((S.PENDING, S.NOT_REACHABLE)) & (started < cutoff),
            )
        )
    )


def _removed(cutoff: datetime, now: datetime) -> Select:
    """Taken out of the group by a beheerder (reason and note kept that long), from the removal."""
    removed = func.coalesce(Resident.removed_at, Resident.updated_at)
    return _not_demo(db.select(Resident).where(Resident.status == S.REMOVED, removed < cutoff))


def _waitlist(cutoff: datetime, now: datetime) -> Select:
    """On the waitlist, counted from the confirmation (when they joined it), or the sign-up.

    A resident can reach the waitlist later (a group that filled up, a move): no column records
    that moment, so the period may run from a little earlier than their arrival on the list.
    """
    started = func.coalesce(Resident.email_confirmed_at, Resident.created_at)
    return _not_demo(db.select(Resident).where(Resident.status == S.WAITLIST, started < cutoff))


def _forget_all(query: Select, now: datetime) -> None:
    for resident in db.session.scalars(query.order_by(Resident.id)).all():
        forget_resident(resident)


def _forget_waitlist(query: Select, now: datetime) -> None:
    """Tell those with a confirmed e-mail address, then forget them all."""
    days = current_app.config["RETENTION_WAITLIST_DAYS"]
    for resident in db.session.scalars(query.order_by(Resident.id)).all():
        to = resident.email if resident.email_confirmed_at is not None else None
        group_id = resident.group_id
        forget_resident(resident)  # first: it drops every mail to their address
        if to:
            _mail_waitlist_expired(to, group_id, days)


def _mail_waitlist_expired(to: str, group_id: int | None, days: int) -> None:
    """A short mail: the sign-up is removed after `days` on the waitlist; how to sign up again.

    Not linked to the resident (the row goes; a link would delete the mail with it): the address
    is in the message until it is sent, then erased like every other (buurt.outbox).
    """
    from buurt.extensions import db
    from buurt.models import Group, Neighbourhood
    from buurt.outbox import queue_mail
    from buurt.residents.mailing import mail_names
    from buurt.urls import external_url

    # the sign-up page of the group's neighbourhood (the default one's keeps its old URL); without
    # a group (IS NULL finds none) the site's own
    slug = db.session.scalar(db.select(Neighbourhood.slug).join(Group).where(Group.id == group_id))
    link = external_url("residents.signup", hood=slug)
    body = render_template("email/waitlist_expired.txt", days=days, link=link, **mail_names(group_id))
    queue_mail(to, _("Uw aanmelding op de wachtlijst is verwijderd"), body, kind="waitlist_expired", group_id=group_id)


# --- incidents, meldingen -------------------------------------------------------------------------


def _incident_details(cutoff: datetime, now: datetime) -> Select:
    return db.select(Incident).where(
        Incident.anonymised_at.is_(None), Incident.reported_at < cutoff, Incident.is_demo.is_(False)
    )


def _incidents(cutoff: datetime, now: datetime) -> Select:
    return db.select(Incident).where(Incident.reported_at < cutoff, Incident.is_demo.is_(False))


def _anonymise_all(query: Select, now: datetime) -> None:
    for incident in db.session.scalars(query.order_by(Incident.id)).all():
        anonymise_incident(incident)


def _delete_incidents(query: Select, now: datetime) -> None:
    for incident in db.session.scalars(query.order_by(Incident.id)).all():
        delete_incident(incident)


def _meldingen(cutoff: datetime, now: datetime) -> Select:
    return db.select(Melding).where(Melding.created_at < cutoff, Melding.is_demo.is_(False))


def _delete_objects(query: Select, now: datetime) -> None:
    """ORM deletes (cascades such as a melding's targets apply)."""
    for row in db.session.scalars(query).all():
        db.session.delete(row)


# --- tasks, mail, caches, logs --------------------------------------------------------------------


def _tasks_done(cutoff: datetime, now: datetime) -> Select:
    return db.select(GroupTask).where(GroupTask.done_at < cutoff, GroupTask.is_demo.is_(False))


def _tasks_open(cutoff: datetime, now: datetime) -> Select:
    """Open to-dos still carrying a name or number, older than the period."""
    return db.select(GroupTask).where(
        GroupTask.done_at.is_(None),
        GroupTask.created_at < cutoff,
        or_(GroupTask.display_name.is_not(None), GroupTask.phone_e164.is_not(None)),
        GroupTask.is_demo.is_(False),
    )


def _erase_task_person(query: Select, now: datetime) -> None:
    """The to-do stays (the beheerders see that something was left undone) without name and number."""
    ids = db.select(query.subquery().c.id)
    db.session.execute(
        update(GroupTask)
        .where(GroupTask.id.in_(ids))
        .values(display_name=None, phone_e164=None)
        .execution_options(synchronize_session=False)
    )


def _outbox(cutoff: datetime, now: datetime) -> Select:
    return db.select(OutboxMessage).where(func.coalesce(OutboxMessage.sent_at, OutboxMessage.gave_up_at) < cutoff)


def _address_cache(cutoff: datetime, now: datetime) -> Select:
    return db.select(Address).where(Address.source.in_(ONLINE_SOURCES), Address.updated_at < cutoff)


def _audit(cutoff: datetime, now: datetime) -> Select:
    return db.select(AuditEntry).where(AuditEntry.at < cutoff)


def _sessions(cutoff: datetime, now: datetime) -> Select:
    """Ended logins, and logins unused that long (long past LOGIN_MAX_AGE: they no longer count)."""
    return db.select(UserSession).where(func.coalesce(UserSession.ended_at, UserSession.last_seen_at) < cutoff)


def _rate_limits(cutoff: datetime, now: datetime) -> Select:
    return db.select(RateLimitCounter).where(RateLimitCounter.expires_at <= now.timestamp())


def _form_submissions(cutoff: datetime, now: datetime) -> Select:
    return db.select(FormSubmission).where(FormSubmission.created_at < cutoff)


@dataclass(frozen=True)
class _BulkDelete:
    """One DELETE of the rows the rule found (by primary key)."""

    model: type

    def __call__(self, query: Select, now: datetime) -> None:
        (pk,) = self.model.__table__.primary_key.columns
        keys = db.select(query.subquery().c[pk.name])
        db.session.execute(delete(self.model).where(pk.in_(keys)).execution_options(synchronize_session=False))


#: Every retention rule, in the order the purge applies them (people first: forgetting a resident
#: anonymises their reports and strips audit ids before the later rules count those rows).
RULES: tuple[Rule, ...] = (
    Rule(
        "signups",
        "RETENTION_DAYS",
        "residents",
        _l(
            "Aanmeldingen waarvan het e-mailadres nooit is bevestigd, of die nooit aan de groep zijn "
            "toegevoegd, worden verwijderd."
        ),
        _stale_signups,
        _forget_all,
    ),
    Rule(
        "removed",
        "RETENTION_DAYS",
        "residents",
        _l(
            "Aanmeldingen van mensen die uit de groep zijn gehaald (met de reden en de notitie van "
            "de beheerder) worden verwijderd, gerekend vanaf het verwijderen uit de groep."
        ),
        _removed,
        _forget_all,
    ),
    Rule(
        "waitlist",
        "RETENTION_WAITLIST_DAYS",
        "residents",
        _l(
            "Aanmeldingen die zo lang op de wachtlijst staan, worden verwijderd. Wie een bevestigd "
            "e-mailadres heeft, krijgt daarover een e-mail en kan zich opnieuw aanmelden."
        ),
        _waitlist,
        _forget_waitlist,
    ),
    Rule(
        "incident_detail",
        "RETENTION_INCIDENT_DETAIL_DAYS",
        "incidents",
        _l(
            "Van een gemeld voorval worden de beschrijving, de kenmerken van personen en voertuigen, "
            "de foto, de straat, de precieze plek en de melder gewist. Alleen soort, dag en gebied "
            "blijven over, voor de tellingen."
        ),
        _incident_details,
        _anonymise_all,
    ),
    Rule(
        "incident",
        "RETENTION_INCIDENT_DAYS",
        "incidents",
        _l("Wat er van een gemeld voorval over is (soort, dag, gebied), wordt verwijderd."),
        _incidents,
        _delete_incidents,
    ),
    Rule(
        "melding",
        "RETENTION_MELDING_DAYS",
        "meldingen",
        _l("Meldingen van de meldkamer, met hun tekst en plaats, worden verwijderd."),
        _meldingen,
        _delete_objects,
    ),
    Rule(
        "task_open",
        "RETENTION_TASK_OPEN_DAYS",
        "tasks",
        _l(
            "Een WhatsApp-taak die niemand afrondt, verliest naam en nummer. De taak blijft staan, "
            "zodat de beheerders zien dat er iets is blijven liggen."
        ),
        _tasks_open,
        _erase_task_person,
    ),
    Rule(
        "task_done",
        "RETENTION_TASK_DONE_DAYS",
        "tasks",
        _l("Afgeronde WhatsApp-taken (al zonder naam en nummer) worden verwijderd."),
        _tasks_done,
        _BulkDelete(GroupTask),
    ),
    Rule(
        "outbox",
        "RETENTION_OUTBOX_DAYS",
        "mail",
        _l(
            "Verstuurde e-mails: adres en tekst worden meteen na het versturen gewist; wat over is "
            "(soort, tijdstip) wordt verwijderd."
        ),
        _outbox,
        _BulkDelete(OutboxMessage),
    ),
    Rule(
        "address_cache",
        "RETENTION_ADDRESS_CACHE_DAYS",
        "addresses",
        _l("Adressen die bij PDOK of OpenStreetMap (Nominatim) zijn opgezocht, worden verwijderd."),
        _address_cache,
        _BulkDelete(Address),
    ),
    Rule(
        "audit",
        "RETENTION_AUDIT_DAYS",
        "audit",
        _l("Het logboek van wie welke gegevens bekeek, downloadde of wijzigde, wordt verwijderd."),
        _audit,
        _BulkDelete(AuditEntry),
    ),
    Rule(
        "sessions",
        "RETENTION_SESSION_DAYS",
        "technical",
        _l("Afgelopen inlogsessies van beheerders en wijkagenten worden verwijderd."),
        _sessions,
        _BulkDelete(UserSession),
    ),
    Rule(
        "rate_limits",
        None,
        "technical",
        _l(
            "Tellers tegen misbruik (per IP-adres, onherkenbaar gemaakt) worden verwijderd "
            "zodra hun tijdvak voorbij is."
        ),
        _rate_limits,
        _BulkDelete(RateLimitCounter),
        fixed_days=0,
    ),
    Rule(
        "form_submissions",
        None,
        "technical",
        _l("Bewijs dat een formulier al is verstuurd (tegen dubbel versturen) wordt verwijderd."),
        _form_submissions,
        _BulkDelete(FormSubmission),
        fixed_days=2,
    ),
)

RULES_BY_KEY: dict[str, Rule] = {rule.key: rule for rule in RULES}


@dataclass
class PurgeReport:
    """What the purge did (or would do), counted per rule key, in RULES order."""

    counts: dict[str, int] = field(default_factory=dict)
    applied: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


#: rows per transaction of the applied purge: forgetting a resident costs a few ms (their reports,
#: audit rows, mail, cache row), so a batch holds the write lock well under a second
PURGE_BATCH = 100
PURGE_PAUSE = 0.15  # seconds between two batches of one rule: others' writes get their turn


def run_purge(*, apply: bool = False, now: datetime | None = None) -> PurgeReport:
    """Apply every rule (apply=True, committed once per rule) or count what each would touch.

    Audited and logged with counts only. A dry run changes nothing.
    """
    now = now or utcnow()
    report = PurgeReport(applied=apply)
    for rule in RULES:
        report.counts[rule.key] = found = rule.count(now)
        if apply and found:
            # In batches, each its own transaction: on SQLite a writer holds the database's one write
            # lock until it commits, and a first purge with years of backlog took minutes for one
            # rule (bench/bench_purge.py), so sign-ups would wait past their busy timeout. Every
            # batch makes its rows stop matching (deleted, anonymised, erased): the loop ends.
            for batch in range(math.ceil(found / PURGE_BATCH)):
                if batch:
                    # SQLite's busy handler polls every 100 ms at most: without a pause, a sign-up
                    # waiting for the lock could miss every gap between two batches
                    time.sleep(PURGE_PAUSE)
                rule.act(rule.find(rule.cutoff(now), now).limit(PURGE_BATCH), now)
                db.session.commit()
    if apply:
        touched = {f"n_{key}": n for key, n in report.counts.items() if n}
        audit.record("retention.purge", count=report.total, **touched).at = now  # the day it ran (the schedule)
        db.session.commit()
        if report.total:
            scrub_database_files()
            log.info("purge: %s", ", ".join(f"{key} {n}" for key, n in report.counts.items() if n))
    else:
        db.session.rollback()
    return report


__all__ = ["CATEGORY_LABELS", "RULES", "RULES_BY_KEY", "PurgeReport", "Rule", "run_purge"]
