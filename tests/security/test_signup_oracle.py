"""The sign-up form is no membership oracle (issue 12, finding 3).

Before: a known number got "Dit nummer is al aangemeld" (200) and an unknown one a redirect, and
refusals did not count toward the rate limit: 30 of 30 member numbers identified in 30 requests.
Now a stranger sees the same for both (status, redirect, receipt page, session cookie), nothing is
stored for the known number, its owner is told by mail, and every post counts.
All people, numbers and addresses are fictional.
"""

from __future__ import annotations

import re

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, Resident, ResidentStatus
from buurt.residents.links import confirm_link, my_data_link
from tests.link_support import post_link
from tests.residents.conftest import INSIDE, form

OWNER_PHONE = "06 12345678"
OWNER_EMAIL = "eigenaar@example.org"


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_SIGNUP": "5 per hour", "MAIL_SERVER": "127.0.0.1"}


def client_from(app, address: str):
    """A browser of its own, from its own IP address."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


@pytest.fixture
def addresses(make_address) -> None:
    """2221XA 1 and 2 in the register, in Rijnsoever-West."""
    lat, lon = INSIDE["rijnsoever-west"]
    for number in (1, 2):
        make_address(postcode="2221XA", number=number, lat=lat, lon=lon)


@pytest.fixture
def owner(app, addresses) -> Resident:
    """A resident who signed up through the form and confirmed their e-mail address."""
    browser = client_from(app, "192.0.2.1")
    data = form(name="Fictief Eigenaar", phone=OWNER_PHONE, email=OWNER_EMAIL, house_number="2")
    assert browser.post("/aanmelden", data=data).status_code == 302
    resident = db.session.scalars(db.select(Resident)).one()
    assert post_link(browser, confirm_link(resident), "/aanmelden/bevestigen").status_code == 200
    db.session.expire_all()
    assert resident.status == ResidentStatus.PENDING
    assert resident.email_confirmed_at is not None
    return resident


def normalised(html: str) -> str:
    """The page without per-response randomness (form tokens, CSP nonces)."""
    html = re.sub(r'(name="(?:csrf_token|once)"[^>]*value=")[^"]*"', r'\1"', html)
    html = re.sub(r'(value=")[^"]*("[^>]*name="(?:csrf_token|once)")', r"\1\2", html)
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)


def receipt_in(app, browser) -> object:
    """What the session cookie (signed, not encrypted: the browser can read it) says about the sign-up."""
    cookie = browser.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data.get("residents.last_signup")


def attempt(app, address: str, phone: str, email: str):
    """A stranger's sign-up: (status, Location, receipt page, receipt in the cookie)."""
    browser = client_from(app, address)
    data = form(name="Fictief Vreemde", phone=phone, email=email, house_number="1")
    response = browser.post("/aanmelden", data=data)
    page = browser.get("/aanmelden/ontvangen").get_data(as_text=True)
    return response.status_code, response.headers.get("Location"), normalised(page), receipt_in(app, browser)


@pytest.mark.parametrize("email", ["", "vreemde@example.org"], ids=["without-email", "with-email"])
def test_a_known_number_gets_the_same_answer_as_an_unknown_one(app, owner, email):
    known = attempt(app, "198.51.100.1", OWNER_PHONE, email)
    unknown = attempt(app, "198.51.100.2", "06 87654321", email)

    assert known[0] == unknown[0] == 302
    assert known[1] == unknown[1]
    assert known[2] == unknown[2]
    assert known[3] == unknown[3]
    assert "al aangemeld" not in known[2].split("Was dit nummer al aangemeld?")[0]

    db.session.expire_all()
    # nothing stored for the known number: the owner's sign-up is the only one with it, unchanged
    [stored] = db.session.scalars(db.select(Resident).where(Resident.phone_e164 == "+31612345678")).all()
    assert (stored.id, stored.name, stored.email, stored.house_number) == (owner.id, "Fictief Eigenaar", OWNER_EMAIL, 2)
    assert db.session.scalar(db.select(db.func.count(Resident.id))) == 2  # the owner and the unknown number

    # the owner is told, at their confirmed address, with the way to Mijn gegevens
    [notice] = db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_duplicate")).all()
    assert notice.resident_id == owner.id
    assert OWNER_EMAIL in notice.recipients
    assert "http://localhost/mijn-gegevens" in notice.body
    assert email not in notice.recipients if email else True
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.number_in_use")).one()
    assert entry.target_id == owner.id
    for personal in ("Fictief", "+316", "@"):
        assert personal not in str(entry.details)


def test_a_known_number_gets_the_owner_one_mail_a_day(app, owner):
    for n in range(3):
        assert attempt(app, f"198.51.100.{10 + n}", OWNER_PHONE, "")[0] == 302
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id)).filter_by(kind="signup_duplicate")) == 1


@pytest.mark.parametrize("numbers", ["known", "unknown", "typos"])
def test_the_sixth_post_in_an_hour_is_refused_whatever_the_numbers(app, owner, numbers):
    browser = client_from(app, "203.0.113.7")
    for n in range(5):
        phone = {"known": OWNER_PHONE, "unknown": f"06 5555000{n}", "typos": "06 123"}[numbers]
        response = browser.post("/aanmelden", data=form(phone=phone, house_number="1"))
        assert response.status_code == (200 if numbers == "typos" else 302)
    assert browser.post("/aanmelden", data=form(phone="06 55551111", house_number="1")).status_code == 429


def test_a_number_change_in_mijn_gegevens_to_a_number_in_use_tells_its_owner(app, owner):
    other = db.session.get(Resident, owner.id)
    assert other is not None
    browser = client_from(app, "198.51.100.20")
    data = form(name="Fictief Vreemde", phone="06 87654321", email="", house_number="1")
    assert browser.post("/aanmelden", data=data).status_code == 302
    stranger = db.session.scalars(db.select(Resident).where(Resident.phone_e164 == "+31687654321")).one()
    change = {
        "token": my_data_link(stranger).split("#", 1)[1],
        "name": "Fictief Vreemde",
        "phone": OWNER_PHONE,
        "email": "",
        "postcode": "2221XA",
        "house_number": "1",
        "addition": "",
        "household_size": "1",
    }
    response = browser.post("/mijn-gegevens/wijzigen", data=change)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Resident, stranger.id).phone_e164 == "+31687654321"
    [notice] = db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_duplicate")).all()
    assert notice.resident_id == owner.id
    for _ in range(4):  # the same limit as the sign-up form: not a way to try numbers in bulk
        browser.post("/mijn-gegevens/wijzigen", data=change)
    assert browser.post("/mijn-gegevens/wijzigen", data=change).status_code == 429
