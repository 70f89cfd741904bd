"""The mail outbox against real SMTP servers on 127.0.0.1: queue with the change, deliver after commit, once."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from buurt import outbox
from buurt.extensions import db
from buurt.models import OutboxMessage, Resident, ResidentStatus, Role, utcnow
from buurt.outbox import deliver_due, queue_mail
from tests.conftest import ANSWERING_MAIL_TIMEOUT, relay_answers


@pytest.fixture
def app_config(smtp_server):
    # an answering relay by default (tests.conftest.relay_answers); tests of a silent or trickling
    # relay set MAIL_TIMEOUT = 1 themselves, so their failures come fast
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT": ANSWERING_MAIL_TIMEOUT}


@pytest.fixture
def fresh_handlers(monkeypatch):
    """An empty give-up registry for this test (the features' handlers are not part of these tests)."""
    handlers: dict = {}
    monkeypatch.setattr(outbox, "_give_up_handlers", handlers)
    return handlers


def queue(n: int = 1, kind: str = "digest", **refs) -> list[OutboxMessage]:
    for i in range(n):
        assert queue_mail(f"beheerder{i}@example.org", f"Onderwerp {i}", f"Tekst {i}", kind=kind, **refs)
    db.session.commit()
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def refused_port() -> int:
    """A port on 127.0.0.1 where nothing listens: connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


# --- queueing -----------------------------------------------------------------------------------


def test_queue_writes_a_row_in_the_callers_transaction_and_sends_nothing(app, smtp_server):
    assert queue_mail(["a@example.org", "a@example.org", " ", "b@example.org"], "Onderwerp", "Tekst", kind="digest")
    db.session.rollback()  # the caller's change failed: the mail goes with it
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0
    [message] = queue()
    assert smtp_server.inbox.messages == []  # queued, not sent
    assert message.attempts == 0
    assert message.sent_at is None
    assert message.gave_up_at is None
    assert message.message_id.startswith("<")
    assert message.message_id.endswith("@example.org>")
    assert json.loads(message.recipients) == ["beheerder0@example.org"]


def test_queue_refuses_without_mail_server_or_recipients(app):
    assert not queue_mail([], "Onderwerp", "Tekst", kind="digest")
    assert not queue_mail(["", "  "], "Onderwerp", "Tekst", kind="digest")
    app.config["MAIL_SERVER"] = None
    assert not queue_mail("a@example.org", "Onderwerp", "Tekst", kind="digest")
    assert deliver_due().attempted == 0
    with pytest.raises(ValueError, match="unknown mail kind"):
        queue_mail("a@example.org", "Onderwerp", "Tekst", kind="nieuwsbrief")
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


# --- delivering ---------------------------------------------------------------------------------


def test_delivers_each_message_once_with_its_message_id_and_erases_it(app, smtp_server):
    messages = queue(3)
    report = deliver_due()
    assert (report.sent, report.retrying, report.gave_up) == (3, 0, 0)
    received = smtp_server.inbox.messages
    assert sorted(m["Message-ID"] for m in received) == sorted(m.message_id for m in messages)
    assert [m["To"] for m in received] == [f"beheerder{i}@example.org" for i in range(3)]
    assert received[0].get_body(("plain",)).get_content().strip() == "Tekst 0"

    assert deliver_due().attempted == 0  # a second run sends nothing
    assert len(smtp_server.inbox.messages) == 3
    for message in messages:
        message = reload(message)
        assert message.sent_at is not None
        assert message.attempts == 1
        assert message.claimed_until is None
        assert message.recipients is None
        assert message.body is None
        assert message.kind == "digest"
        assert message.subject


def test_two_senders_at_once_send_each_message_once(app, smtp_server):
    queue(12)
    start = threading.Barrier(2)
    reports = []

    def sender():
        with app.app_context():
            start.wait()
            reports.append(deliver_due())

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [m["Message-ID"] for m in smtp_server.inbox.messages]
    assert len(ids) == 12
    assert len(set(ids)) == 12
    assert sum(r.sent for r in reports) == 12
    assert all(r.retrying == r.gave_up == 0 for r in reports)


def test_a_claimed_message_waits_for_its_lease(app, smtp_server):
    [message] = queue()
    now = utcnow()
    message.claimed_until = now + timedelta(minutes=2)  # another sender is busy with it
    db.session.commit()
    report = deliver_due(now=now)
    assert (report.sent, report.skipped) == (0, 0)
    assert smtp_server.inbox.messages == []
    assert deliver_due(now=now + timedelta(minutes=3)).sent == 1  # that sender died: the lease ran out
    assert len(smtp_server.inbox.messages) == 1


def test_a_silent_server_is_a_failure_after_the_timeout_then_delivered_when_it_answers(
    app, smtp_server, silent_smtp_server
):
    app.config.update(MAIL_PORT=silent_smtp_server.port, MAIL_TIMEOUT=1)
    [message] = queue()
    report = deliver_due()
    assert (report.sent, report.retrying) == (0, 1), report
    assert silent_smtp_server.wait_for(1) == 1
    failed = reload(message)
    assert failed.attempts == 1
    assert failed.last_error in ("TimeoutError", "SMTPServerDisconnected")  # a class name, never text
    assert failed.recipients is not None  # still needed for the retry

    relay_answers(app, smtp_server)  # the server answers again
    assert deliver_due().attempted == 0  # not due yet: backoff
    report = deliver_due(now=failed.next_attempt_at)
    assert report.sent == 1
    [received] = smtp_server.inbox.messages
    assert received["Message-ID"] == message.message_id  # the retry carries the same id


def test_a_relay_that_trickles_its_greeting_is_cut_off_by_the_deadline(app):
    """Each byte arrives within MAIL_TIMEOUT, so only the whole-delivery deadline can end the wait."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    outcome = []

    def trickle():
        conn = listener.accept()[0]
        with conn:
            try:
                for _ in range(200):  # 200 x 0.2 s: far past 3 x MAIL_TIMEOUT
                    conn.sendall(b"2")
                    time.sleep(0.2)
            except OSError:
                outcome.append("cut by the client")
            else:
                outcome.append("trickled to the end")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    app.config.update(MAIL_PORT=listener.getsockname()[1], MAIL_TIMEOUT=1)
    [message] = queue()
    report = deliver_due()
    thread.join(timeout=60)
    listener.close()
    assert report.retrying == 1
    assert outcome == ["cut by the client"]
    assert reload(message).last_error in ("SMTPServerDisconnected", "OSError", "ConnectionResetError")


def test_backoff_doubles_to_an_hour_then_gives_up_and_calls_the_handler(app, fresh_handlers):
    given_up = []
    outbox.on_give_up("digest")(lambda m: given_up.append((m.id, m.group_id, json.loads(m.recipients))))
    app.config["MAIL_PORT"] = refused_port()
    [message] = queue()
    delays = []
    now = message.created_at
    while True:
        report = deliver_due(now=now)
        assert report.errors == ["ConnectionRefusedError"]
        message = reload(message)
        if message.gave_up_at is not None:
            break
        delays.append(int((message.next_attempt_at - now).total_seconds()))
        now = message.next_attempt_at
    assert delays[:9] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert set(delays[7:]) == {3600}
    assert message.gave_up_at - message.created_at >= timedelta(hours=24)
    assert message.attempts == len(delays) + 1
    assert message.recipients is None
    assert message.body is None
    assert given_up == [(message.id, None, ["beheerder0@example.org"])]
    assert deliver_due(now=now + timedelta(days=2)).attempted == 0


class _Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 mailbox unavailable"


def test_a_permanent_refusal_gives_up_at_once(app, fresh_handlers):
    port = refused_port()
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config["MAIL_PORT"] = port
        [message] = queue()
        report = deliver_due()
    finally:
        controller.stop()
    assert (report.sent, report.retrying, report.gave_up) == (0, 0, 1)
    message = reload(message)
    assert message.last_error == "SMTPRecipientsRefused"
    assert message.gave_up_at is not None
    assert message.attempts == 1
    assert message.body is None


def test_a_failing_give_up_handler_still_gives_up(app, fresh_handlers):
    def broken(message):
        raise RuntimeError("handler bug")

    outbox.on_give_up("digest")(broken)
    app.config["MAIL_PORT"] = refused_port()
    app.config["MAIL_GIVE_UP_AFTER"] = 0
    [message] = queue()
    assert deliver_due().gave_up == 1
    assert reload(message).gave_up_at is not None


# --- delete means delete ------------------------------------------------------------------------


def test_deleting_a_resident_deletes_their_queued_mail(app, make_resident, groups):
    from buurt.residents.links import my_data_link
    from buurt.residents.my_data import delete_my_data

    resident = make_resident(groups[0], status=ResidentStatus.PENDING, email="fictief@example.org")
    other = make_resident(groups[0], status=ResidentStatus.PENDING, email="ander@example.org")
    for r in (resident, other):
        queue_mail(r.email, "Uw gegevens", "link", kind="my_data_link", resident_id=r.id)
    db.session.commit()
    with app.test_request_context():
        delete_my_data(my_data_link(resident).split("#", 1)[1])
    db.session.expire_all()
    assert db.session.get(Resident, resident.id) is None
    rows = db.session.scalars(db.select(OutboxMessage)).all()
    assert [m.resident_id for m in rows] == [other.id]


# --- the sender thread and the command ----------------------------------------------------------


@pytest.fixture
def sender_thread(app):
    sender = outbox.SenderThread(app)
    app.extensions[outbox._SENDER] = sender
    yield sender
    sender.stop(timeout=30)
    app.extensions.pop(outbox._SENDER, None)


def test_the_sender_thread_is_woken_by_a_commit_in_a_request(app, make_user, smtp_server, sender_thread):
    user = make_user(Role.BEHEERDER, email="beheerder@example.org")
    app.config["MAIL_POLL_SECONDS"] = 3600  # so only the wake-up after the commit can send it
    sender_thread.ensure_running()
    with app.test_request_context():
        queue_mail(user.email, "Onderwerp", "Tekst", kind="password_reset", user_id=user.id)
        db.session.commit()
    deadline = time.monotonic() + 20
    while not smtp_server.inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["To"] for m in smtp_server.inbox.messages] == ["beheerder@example.org"]
    sender_thread.stop(timeout=30)
    assert not sender_thread.running


def test_no_sender_thread_outside_requests_or_when_switched_off(app):
    assert outbox.sender_of(app) is None  # MAIL_SENDER_THREAD is off in the tests
    sender = outbox.SenderThread(app)
    app.extensions[outbox._SENDER] = sender
    try:
        queue_mail("a@example.org", "Onderwerp", "Tekst", kind="digest")
        db.session.commit()  # a command or a job: no request, so no thread in this process
        assert not sender.running
    finally:
        app.extensions.pop(outbox._SENDER)


def test_mail_send_command(app, runner, smtp_server):
    queue(2)
    result = runner.invoke(args=["buurt", "mail-send"])
    assert result.exit_code == 0, result.output
    assert "Verstuurd: 2" in result.output
    assert "In de wachtrij: 0" in result.output
    assert len(smtp_server.inbox.messages) == 2


def test_retry_delay():
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 8, 9, 50)] == [
        30,
        60,
        120,
        240,
        3600,
        3600,
        3600,
    ]
