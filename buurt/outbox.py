"""The mail outbox: queue a mail with the change, deliver it after the commit; no request waits on SMTP.

`queue_mail` adds an OutboxMessage to the current session, so the mail exists exactly when the
change it reports does (the caller commits both at once). `deliver_due` is the sender: it claims
one due message at a time with a conditional UPDATE (a lease, so two senders never send the same
message at once), commits the claim, hands the message to the relay (buurt.mail.transmit, cut off
after a few MAIL_TIMEOUTs) and records the outcome: sent, or a retry with backoff (30 s doubling to
1 h), or given up after MAIL_GIVE_UP_AFTER or at once on a permanent 5xx refusal. Sent and given-up
messages lose their recipients and body (data minimisation); kind, references and times stay.

It runs in a daemon thread per web worker, started on the first request (never in the gunicorn
master, never in a `flask` command) and woken after each commit that queued mail, polling every
MAIL_POLL_SECONDS for retries; or under a timer with `flask buurt mail-send [--loop]`.

Exactly once: a message is marked sent only by the sender holding its lease, and the lease outlasts
the transport's hard deadline. A sender that dies after the relay accepted the data but before it
recorded that (a crash, a kill) leaves a message that is sent again when the lease ends; it carries
the same Message-ID, so mail software can drop the copy.

Features register what happens when a message is given up with `@on_give_up(kind)`. This module
does not import the features (import-linter contract "outbox-below-features").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from flask import Flask, current_app, has_request_context
from sqlalchemy import event, or_, update
from sqlalchemy.orm import Session

from buurt.background import BackgroundThread
from buurt.extensions import db
from buurt.mail import DEADLINE_FACTOR, MailError, mail_enabled, mail_timeout, new_message_id, transmit
from buurt.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

KINDS = frozenset(
    {"signup_confirm", "signup_duplicate", "my_data_link", "password_reset", "digest", "melding", "melding_closed"}
    | {"waitlist_expired"}  # buurt.retention: a waitlist sign-up removed after RETENTION_WAITLIST_DAYS
    | {"email_change"}  # buurt.residents.my_data: confirm a new address typed in Mijn gegevens
)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
LEASE_MARGIN = timedelta(seconds=30)  # on top of the transport's deadline

_QUEUED = "buurt.outbox.queued"  # in Session.info: this transaction queued mail
_SENDER = "buurt.outbox.sender"  # in app.extensions

_give_up_handlers: dict[str, list[Callable[[OutboxMessage], None]]] = {}


# --- queueing -----------------------------------------------------------------------------------


def queue_mail(
    to: str | list[str],
    subject: str,
    body: str,
    *,
    kind: str,
    resident_id: int | None = None,
    user_id: int | None = None,
    melding_id: int | None = None,
    group_id: int | None = None,
) -> bool:
    """Add a plain-text mail to the current session; the caller's commit queues it with the change.

    False (nothing queued) when mail is not configured or there is no recipient. Deleting the
    resident, account or melding it refers to deletes the queued mail too.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    if not mail_enabled():
        return False
    recipients = list(dict.fromkeys(a.strip() for a in ([to] if isinstance(to, str) else to) if a and a.strip()))
    if not recipients:
        return False
    now = utcnow()
    db.session.add(
        OutboxMessage(
            kind=kind,
            recipients=json.dumps(recipients),
            subject=subject,
            body=body,
            message_id=new_message_id(),
            created_at=now,
            next_attempt_at=now,
            resident_id=resident_id,
            user_id=user_id,
            melding_id=melding_id,
            group_id=group_id,
        )
    )
    db.session.info[_QUEUED] = True
    return True


def on_give_up(kind: str) -> Callable:
    """Register `handler(message)`, called in the transaction that gives a message of `kind` up.

    The message still has its references (resident_id, ...) and recipients then. A handler that
    raises is logged and skipped; the message is given up all the same.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")

    def register(handler: Callable[[OutboxMessage], None]) -> Callable[[OutboxMessage], None]:
        if handler not in _give_up_handlers.setdefault(kind, []):
            _give_up_handlers[kind].append(handler)
        return handler

    return register


# --- delivering ---------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # failed, tried again later
    gave_up: int = 0
    skipped: int = 0  # another sender had claimed it first
    errors: list[str] = field(default_factory=list)  # exception class names of the failures

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.gave_up


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    kind: str
    recipients: list[str]
    subject: str
    body: str
    message_id: str
    created_at: datetime
    attempts: int


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 30 s, 1 min, 2 min, 4 min, ... at most 1 h."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), MAX_RETRY)


def _unsent():
    return OutboxMessage.sent_at.is_(None), OutboxMessage.gave_up_at.is_(None)


def _due(now: datetime):
    unclaimed = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
    return (*_unsent(), OutboxMessage.next_attempt_at <= now, unclaimed)


def deliver_due(*, limit: int = 50, now: datetime | None = None) -> DeliveryReport:
    """Send up to `limit` due messages, one at a time; safe with any number of senders at once.

    `now` fixes the clock (tests); by default each step reads the time afresh.
    """
    report = DeliveryReport()
    if not mail_enabled():
        return report
    tried: set[int] = set()
    while report.attempted < limit:
        clock = now or utcnow()
        query = db.select(OutboxMessage.id).where(*_due(clock))
        if tried:
            query = query.where(OutboxMessage.id.not_in(tried))
        candidate = db.session.scalar(query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
        db.session.commit()  # no read transaction stays open across the claim or the SMTP talk
        if candidate is None:
            break
        tried.add(candidate)
        claimed = _claim(candidate, clock)
        if claimed is None:
            report.skipped += 1
            continue
        try:
            transmit(claimed.recipients, claimed.subject, claimed.body, message_id=claimed.message_id)
        except MailError as error:
            _record_failure(claimed, error.error, error.permanent, now or utcnow(), report)
        except Exception as error:
            _record_failure(claimed, type(error).__name__, False, now or utcnow(), report)
        else:
            _record_sent(claimed, now or utcnow(), report)
    return report


def _claim(message_id: int, now: datetime) -> _Claimed | None:
    """Take the lease on one message (None: another sender was first); the claim is committed."""
    lease = now + timedelta(seconds=mail_timeout() * DEADLINE_FACTOR) + LEASE_MARGIN
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *_due(now))
        .values(claimed_until=lease)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    db.session.commit()
    message = db.session.get(OutboxMessage, message_id)
    claimed = _Claimed(
        id=message.id,
        kind=message.kind,
        recipients=json.loads(message.recipients or "[]"),
        subject=message.subject,
        body=message.body or "",
        message_id=message.message_id,
        created_at=message.created_at,
        attempts=message.attempts,
    )
    db.session.commit()
    return claimed


def _finish(message_id: int, **values) -> bool:
    """Record an outcome, unless the message was meanwhile sent, given up or deleted."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *_unsent())
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record_sent(claimed: _Claimed, now: datetime, report: DeliveryReport) -> None:
    _finish(claimed.id, sent_at=now, attempts=claimed.attempts + 1, last_error=None, recipients=None, body=None)
    db.session.commit()
    report.sent += 1
    log.info("mail %d (%s) sent", claimed.id, claimed.kind)


def _record_failure(claimed: _Claimed, error: str, permanent: bool, now: datetime, report: DeliveryReport) -> None:
    attempts = claimed.attempts + 1
    report.errors.append(error)
    give_up_after = timedelta(seconds=current_app.config.get("MAIL_GIVE_UP_AFTER", 24 * 3600))
    if not permanent and now - claimed.created_at < give_up_after:
        delay = retry_delay(attempts)
        _finish(claimed.id, attempts=attempts, last_error=error[:100], next_attempt_at=now + delay)
        db.session.commit()
        report.retrying += 1
        log.warning(
            "mail %d (%s) not sent (%s), attempt %d; again in %ds",
            claimed.id,
            claimed.kind,
            error,
            attempts,
            delay.total_seconds(),
        )
        return
    gave_up = {"gave_up_at": now, "attempts": attempts, "last_error": error[:100], "recipients": None, "body": None}
    try:
        message = db.session.get(OutboxMessage, claimed.id)
        if message is not None:
            for handler in _give_up_handlers.get(claimed.kind, ()):
                handler(message)
        _finish(claimed.id, **gave_up)
        db.session.commit()
    except Exception as handler_error:
        db.session.rollback()
        log.error("mail %d (%s): give-up handler failed: %s", claimed.id, claimed.kind, type(handler_error).__name__)
        _finish(claimed.id, **gave_up)
        db.session.commit()
    report.gave_up += 1
    log.warning("mail %d (%s) given up after %d attempt(s): %s", claimed.id, claimed.kind, attempts, error)


# --- state, for the pages and the command line --------------------------------------------------


class MailState(StrEnum):
    SENT = "sent"
    WAITING = "waiting"  # queued, being sent, or failed and tried again later
    FAILED = "failed"  # given up


@dataclass(frozen=True)
class MailSummary:
    """Per group, the state of the mail of one kind about one thing (e.g. a melding)."""

    states: dict[int, MailState]

    def count(self, state: MailState) -> int:
        return sum(s == state for s in self.states.values())

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def sent(self) -> int:
        return self.count(MailState.SENT)

    @property
    def waiting(self) -> int:
        return self.count(MailState.WAITING)

    @property
    def failed(self) -> int:
        return self.count(MailState.FAILED)


def state_of(sent_at: datetime | None, gave_up_at: datetime | None) -> MailState:
    if sent_at is not None:
        return MailState.SENT
    return MailState.FAILED if gave_up_at is not None else MailState.WAITING


def group_summary(*, kind: str, melding_id: int) -> MailSummary:
    """The state of the `kind` mail to each group about a melding (the newest message per group)."""
    rows = db.session.execute(
        db.select(OutboxMessage.group_id, OutboxMessage.sent_at, OutboxMessage.gave_up_at)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.melding_id == melding_id,
            OutboxMessage.group_id.is_not(None),
        )
        .order_by(OutboxMessage.id)
    )
    return MailSummary({group_id: state_of(sent_at, gave_up_at) for group_id, sent_at, gave_up_at in rows})


def backlog() -> dict[str, int]:
    """Counts for the command line: waiting (of which failed at least once) and given up."""
    waiting = db.select(db.func.count()).select_from(OutboxMessage).where(*_unsent())
    return {
        "waiting": db.session.scalar(waiting),
        "retrying": db.session.scalar(waiting.where(OutboxMessage.attempts > 0)),
        "given_up": db.session.scalar(
            db.select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.gave_up_at.is_not(None))
        ),
    }


# --- the sender thread --------------------------------------------------------------------------


class SenderThread(BackgroundThread):
    """The mail sender: deliver_due in its own app context, woken after a commit that queued mail,
    else every MAIL_POLL_SECONDS (buurt.background: one per worker, started from a request)."""

    name = "buurt-mail"

    def interval(self) -> float:
        return self.app.config.get("MAIL_POLL_SECONDS", 30)

    def work(self) -> None:
        self.deliver()

    def deliver(self) -> None:
        """Drain what is due; never raises (the thread must live on), logs the error type only."""
        try:
            with self.app.app_context():
                while deliver_due(limit=50).attempted >= 50:
                    pass
        except Exception as error:
            log.error("mail sender: %s", type(error).__name__)


def sender_of(app: Flask) -> SenderThread | None:
    """The app's sender thread (None without MAIL_SENDER_THREAD)."""
    return app.extensions.get(_SENDER)


def _after_commit(session: Session) -> None:
    if session.info.pop(_QUEUED, False) and has_request_context():
        sender = current_app.extensions.get(_SENDER)
        if sender is not None:
            sender.wake()


def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def init_app(app: Flask) -> None:
    """With MAIL_SENDER_THREAD, deliver from a thread in each web worker; nothing starts here."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    if app.config.get("MAIL_SENDER_THREAD"):
        sender = SenderThread(app)
        app.extensions[_SENDER] = sender
        app.before_request(sender.ensure_running)
