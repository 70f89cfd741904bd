"""One-time form tokens (buurt.once): claim, record, previous and purge, on the real database."""

from __future__ import annotations

import hashlib
import threading
import traceback
from datetime import timedelta

import pytest
from sqlalchemy import func

from buurt import once
from buurt.extensions import db
from buurt.models import AuditEntry, FormSubmission, utcnow


def rows() -> list[FormSubmission]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(FormSubmission).order_by(FormSubmission.created_at)))


def test_new_token_is_random_url_safe_and_accepted():
    tokens = {once.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) == 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


@pytest.mark.parametrize("token", [None, "", "short", "x" * 65, "met spatie en <tekens>!!!!!!!!", 12345])
def test_a_missing_or_malformed_token_claims_nothing(app, token):
    assert once.claim(token, "test.form") is None
    assert once.previous(token, "test.form") is None
    once.record(None, thing_id=1)  # a no-op, not an error
    db.session.commit()
    assert rows() == []


def test_claim_stores_a_hash_never_the_token(app):
    token = once.new_token()
    claim = once.claim(token, "test.form")
    once.record(claim, thing_id=7)
    db.session.commit()
    [row] = rows()
    assert row.key == claim.key == hashlib.sha256(f"test.form:{token}".encode()).hexdigest()
    assert row.purpose == "test.form"
    assert row.outcome == {"thing_id": 7}
    assert row.created_at <= utcnow()
    assert token not in repr((row.key, row.purpose, row.outcome))


def test_the_same_token_twice_answers_with_the_first_outcome(app):
    token = once.new_token()
    once.record(once.claim(token, "test.form"), thing_id=42, code="ok")
    db.session.commit()
    db.session.add(AuditEntry(action="test.before_claim"))  # a write before the claim: discarded
    with pytest.raises(once.AlreadySubmitted) as raised:
        once.claim(token, "test.form")
    assert raised.value.outcome == {"thing_id": 42, "code": "ok"}
    db.session.commit()
    assert db.session.scalar(db.select(func.count()).select_from(AuditEntry)) == 0
    assert len(rows()) == 1


def test_purposes_do_not_share_tokens(app):
    token = once.new_token()
    first, second = once.claim(token, "test.one"), once.claim(token, "test.two")
    db.session.commit()
    assert first.key != second.key
    assert len(rows()) == 2


def test_a_rolled_back_claim_leaves_the_token_unused(app):
    token = once.new_token()
    assert once.claim(token, "test.form") is not None
    db.session.rollback()  # e.g. the form had an error after all
    assert once.previous(token, "test.form") is None
    assert once.claim(token, "test.form") is not None
    db.session.commit()
    assert len(rows()) == 1


def test_previous_is_read_only(app):
    token = once.new_token()
    assert once.previous(token, "test.form") is None
    assert rows() == []
    once.claim(token, "test.form")
    db.session.commit()
    assert once.previous(token, "test.form") == {}  # used, nothing recorded
    assert once.previous(token, "test.other") is None
    token2 = once.new_token()
    once.record(once.claim(token2, "test.form"), thing_id=3)
    db.session.commit()
    assert once.previous(token2, "test.form") == {"thing_id": 3}


def test_a_purpose_too_long_for_the_column_is_a_programming_error(app):
    with pytest.raises(ValueError, match="purpose longer"):
        once.claim(once.new_token(), "x" * 31)


def test_purge_removes_old_rows_only(app):
    old, recent = once.new_token(), once.new_token()
    once.claim(old, "test.form")
    once.claim(recent, "test.form")
    db.session.commit()
    old_key = hashlib.sha256(f"test.form:{old}".encode()).hexdigest()
    db.session.execute(
        db.update(FormSubmission).where(FormSubmission.key == old_key).values(created_at=utcnow() - timedelta(days=3))
    )
    db.session.commit()
    assert once.purge() == 1
    assert once.previous(old, "test.form") is None
    assert once.previous(recent, "test.form") == {}
    assert once.purge(older_than=timedelta(0)) == 1
    assert rows() == []


def test_flask_buurt_purge_apply_clears_old_tokens(app, runner):
    token = once.new_token()
    once.claim(token, "test.form")
    db.session.commit()
    db.session.execute(db.update(FormSubmission).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    dry = runner.invoke(args=["buurt", "purge"])
    assert dry.exit_code == 0, dry.output
    assert len(rows()) == 1  # a dry run deletes nothing
    done = runner.invoke(args=["buurt", "purge", "--apply"])
    assert done.exit_code == 0, done.output
    assert "  form_submissions: 1  [na 2 dagen]" in done.output
    assert rows() == []


def test_two_sessions_claiming_one_token_at_once_let_one_through(app):
    """The second INSERT waits for the first transaction and then fails on the key: one claim wins."""
    token = once.new_token()
    barrier = threading.Barrier(2)
    results: list[tuple] = []
    errors: list[str] = []

    def post(n: int):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                try:
                    claim = once.claim(token, "test.race")
                except once.AlreadySubmitted as submitted:
                    results.append(("again", submitted.outcome))
                    return
                once.record(claim, thread=n)
                threading.Event().wait(0.2)  # hold the row a moment, so the other INSERT usually has to wait
                db.session.commit()
                results.append(("first", n))
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=post, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [], errors[0] if errors else ""
    [(_, n)] = [r for r in results if r[0] == "first"]
    assert [r for r in results if r[0] == "again"] == [("again", {"thread": n})]
    assert [r.outcome for r in rows()] == [{"thread": n}]


def test_form_renders_the_token_and_keeps_a_posted_one(app):
    from buurt.residents.forms import ResidentSignupForm

    with app.test_request_context():
        first, second = ResidentSignupForm(), ResidentSignupForm()
        assert first.once.data != second.once.data
        assert f'value="{first.once.data}"' in str(first.hidden_tag())
    with app.test_request_context(method="POST", data={"once": "posted-token-abcdefghijkl"}):
        assert ResidentSignupForm().once.data == "posted-token-abcdefghijkl"


def test_signup_page_carries_a_token(client):
    html = client.get("/aanmelden").get_data(as_text=True)
    assert 'name="once" type="hidden"' in html or 'type="hidden" name="once"' in html
