"""Issue 12, finding 8: the password reset and Mijn gegevens link requests must not tell by their
timing whether an address is known. Timings are measured in bench/bench_timing_oracle.py, never
asserted here; these tests hold the structure that makes them equal: no request waits on SMTP,
both answers are the same bytes, and both branches do the same database work (statements by kind,
commits)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import event

from buurt import mail
from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, ResidentStatus, Role, utcnow

CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@pytest.fixture
def no_smtp_in_requests(monkeypatch):
    """Any call of the SMTP transport during the test fails it (the outbox sends after the response)."""
    calls = []
    monkeypatch.setattr(mail, "transmit", lambda *args, **kwargs: calls.append(args))
    yield calls
    assert calls == [], "a request waited on SMTP"


class StatementCounter:
    """Counts the SQL statements of one request by their first word (SELECT, INSERT, ...)."""

    def __init__(self, engine):
        self.engine = engine
        self.kinds: Counter[str] = Counter()

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)
        event.remove(self.engine, "commit", self._commit)

    def _seen(self, _conn, _cursor, statement, *_args):
        self.kinds[statement.split(None, 1)[0].upper()] += 1

    def _commit(self, _conn):
        self.kinds["COMMIT"] += 1


def _answer(client, path: str, data: dict) -> tuple[int, str, str]:
    response = client.post(path, data=data)
    page = client.get(response.headers.get("Location", path)).get_data(as_text=True)
    return response.status_code, response.headers.get("Location", ""), CSRF.sub("", page)


def test_password_reset_answers_and_works_alike_for_known_and_unknown(app, make_user, no_smtp_in_requests):
    user = make_user(Role.BEHEERDER)
    answers, work = [], []
    for email in (user.email, "niemand@example.org"):
        client = app.test_client()
        with app.app_context(), StatementCounter(db.engine) as counter:
            client.post("/wachtwoord-vergeten", data={"email": email})
        work.append(counter.kinds)
        answers.append(_answer(app.test_client(), "/wachtwoord-vergeten", {"email": email}))
    assert answers[0] == answers[1]
    known, unknown = work
    # the same reads, the same commits; the known branch writes its mail as one more row
    assert known["SELECT"] == unknown["SELECT"]
    assert known["COMMIT"] == unknown["COMMIT"] >= 1
    assert known["INSERT"] == unknown["INSERT"] + 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 2  # two known requests
        assert (
            db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action == "auth.reset_request"))
            == 4
        )


def test_my_data_link_answers_alike_for_known_and_unknown(app, groups, make_resident, no_smtp_in_requests):
    make_resident(groups[0], status=ResidentStatus.ADDED, email="bekend@example.org", email_confirmed_at=utcnow())
    answers = [
        _answer(app.test_client(), "/mijn-gegevens", {"contact": contact})
        for contact in ("bekend@example.org", "onbekend@example.org")
    ]
    assert answers[0] == answers[1]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 1
