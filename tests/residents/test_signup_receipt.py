"""What a sign-up stores about consent, what the page after the form reads back from the session, and
the waitlist place a resident is told."""

from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, utcnow
from buurt.models import ResidentStatus as S
from buurt.residents import signup
from buurt.residents.signup import SignupReceipt, waitlist_position
from tests.residents.conftest import form, residents

LAST_SIGNUP = "residents.last_signup"


def test_a_sign_up_records_which_texts_were_agreed_to_and_when(app, client, addresses):
    before = utcnow()
    assert client.post("/aanmelden", data=form(name="  Fictief Spatie  ", addition="")).status_code == 302
    [r] = residents()
    assert r.name == "Fictief Spatie"
    assert (r.consent_privacy_version, r.consent_rules_version) == (
        app.config["PRIVACY_VERSION"],
        app.config["RULES_VERSION"],
    )
    for moment in (r.consent_privacy_at, r.consent_rules_at, r.consent_age_at, r.created_at):
        assert before - timedelta(seconds=1) <= moment <= utcnow()
    assert (r.house_letter, r.house_addition, r.email) == ("", "", None)


def test_the_page_after_the_form_names_the_group_and_its_neighbourhood(app, client, addresses):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only
    assert client.post("/aanmelden", data=form(email="fictief@example.org")).status_code == 302
    page = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "Uw adres valt onder BuurtAlarm Rijnsoever-West (Rijnsoever)." in page


@pytest.mark.parametrize(
    "kept",
    [
        "not a receipt",
        {"status": "gone"},  # a status that no longer exists
        {},
    ],
)
def test_an_old_or_foreign_receipt_in_the_session_shows_the_plain_page(client, kept):
    with client.session_transaction() as session:
        session[LAST_SIGNUP] = kept
    response = client.get("/aanmelden/ontvangen")
    assert response.status_code == 200
    assert "Uw aanmelding is ontvangen." in response.get_data(as_text=True)


def test_a_receipt_takes_only_what_it_knows(west):
    receipt = SignupReceipt.from_dict(
        {"status": "waitlist", "group_id": str(west.id), "is_border": "yes", "needs_review": 1, "other": "x"}
    )
    assert receipt == SignupReceipt(status="waitlist")
    full = SignupReceipt(status="pending", group_id=west.id, is_border=True, needs_review=True, mail_on_its_way=True)
    assert SignupReceipt.from_dict(full.as_dict()) == full


def test_the_waitlist_place_counts_only_earlier_waitlisted_sign_ups_of_the_same_group(groups, make_resident):
    group, other = groups[0], groups[1]
    at = utcnow() - timedelta(hours=1)
    make_resident(other, status=S.WAITLIST, created_at=at - timedelta(minutes=5))  # another group
    make_resident(group, status=S.PENDING, created_at=at - timedelta(minutes=5))  # not waiting
    first = make_resident(group, status=S.WAITLIST, created_at=at)
    same_moment = make_resident(group, status=S.WAITLIST, created_at=at)  # a tie: the lower id first
    later = make_resident(group, status=S.WAITLIST, created_at=at + timedelta(seconds=1))
    db.session.commit()
    assert [waitlist_position(r) for r in (first, same_moment, later)] == [1, 2, 3]
    assert waitlist_position(make_resident(group, status=S.PENDING)) is None
    assert waitlist_position(make_resident(None, status=S.WAITLIST)) is None


def test_a_form_sent_twice_stores_one_sign_up_and_answers_twice_with_the_first_receipt(app, client, west):
    token = "resubmit-token-0123456789abcdef"
    west.capacity = 1
    db.session.commit()
    assert client.post("/aanmelden", data=form(phone="06 30000003", once=token)).status_code == 302
    first = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-West" in first
    other = app.test_client()  # the resubmit after a time-out, from a browser without the first answer
    assert other.post("/aanmelden", data=form(phone="06 30000003", once=token)).status_code == 302
    assert other.get("/aanmelden/ontvangen").get_data(as_text=True) == first
    assert [(r.phone_e164, r.status) for r in residents()] == [("+31630000003", S.PENDING)]


def test_a_form_with_a_number_in_use_sent_twice_answers_twice_like_a_new_sign_up(app, client, west, make_resident):
    """Nothing is stored for a known number, but its form token keeps the same receipt as a new one's."""
    make_resident(west, status=S.PENDING, phone_e164="+31630000004")
    token = "resubmit-known-0123456789abcdef"
    assert client.post("/aanmelden", data=form(phone="06 30000004", once=token)).status_code == 302
    first = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-West" in first
    other = app.test_client()
    assert other.post("/aanmelden", data=form(phone="06 30000004", once=token)).status_code == 302
    assert other.get("/aanmelden/ontvangen").get_data(as_text=True) == first
    assert len(residents()) == 1


def test_a_sign_up_is_audited_with_its_status_only(client, addresses):
    assert client.post("/aanmelden", data=form()).status_code == 302
    [r] = residents()
    [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.signup"))
    assert (entry.target_type, entry.target_id, entry.details) == ("resident", r.id, {"status": "pending"})


def test_a_sign_up_that_loses_its_number_to_a_concurrent_one_answers_like_a_new_one(
    app, client, west, make_resident, monkeypatch
):
    """The number was free when the form was read and taken by another sign-up before the insert (the
    database's unique index has the last word): nothing more is stored, the owner is told, the page
    is the one a new sign-up gets."""
    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only
    owner = make_resident(west, status=S.PENDING, phone_e164="+31630000005", email="eigenaar@example.org")
    owner.email_confirmed_at = utcnow()
    db.session.commit()
    fresh = app.test_client()
    assert fresh.post("/aanmelden", data=form(phone="06 30000006")).status_code == 302
    new_page = fresh.get("/aanmelden/ontvangen").get_data(as_text=True)

    monkeypatch.setattr(signup, "_expired_to_replace", lambda phone: (None, None))  # read before the other commit
    assert client.post("/aanmelden", data=form(phone="06 30000005")).status_code == 302
    assert client.get("/aanmelden/ontvangen").get_data(as_text=True) == new_page
    assert sorted(r.phone_e164 for r in residents()) == ["+31630000005", "+31630000006"]
    [notice] = db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_duplicate"))
    assert notice.resident_id == owner.id
