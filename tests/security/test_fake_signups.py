"""Typed-in sign-ups cannot fill a group (issue 12, finding 4).

Before: unconfirmed sign-ups without e-mail counted against capacity; two IPs took a group from
248/256 to 256/256 and the next real resident was waitlisted. Now only members and verified
sign-ups (e-mail confirmed) hold a seat: the others are in the beheerders' queue, labelled
"niet bevestigd", and "Toegevoegd" gives them a seat only when one is free, so the cap holds.
All people, numbers and addresses are fictional.
"""

from __future__ import annotations

import re

import pytest

from buurt.extensions import db
from buurt.models import Resident, ResidentStatus, Role, utcnow
from buurt.residents.links import confirm_link
from tests.concurrency import run_at_once
from tests.conftest import PASSWORD
from tests.link_support import post_link
from tests.residents.conftest import INSIDE, form

S = ResidentStatus
CAPACITY = 256


@pytest.fixture
def app_config():
    return {"MAIL_SERVER": "127.0.0.1"}  # mail is queued (the test delivers nothing): the double opt-in is on


@pytest.fixture
def west(groups, make_address):
    """Rijnsoever-West, with 2221XA 1 (the sign-up form's address) in the register."""
    make_address(postcode="2221XA", number=1, lat=INSIDE["rijnsoever-west"][0], lon=INSIDE["rijnsoever-west"][1])
    return next(g for g in groups if g.slug == "rijnsoever-west")


def fill_with_members(group, members: int) -> None:
    group.capacity = CAPACITY
    db.session.add_all(
        Resident(
            name=f"Fictief Lid {n}",
            phone_e164=f"+3161{n:07d}",
            group_id=group.id,
            status=S.ADDED,
            added_at=utcnow(),
            consent_privacy_at=utcnow(),
            consent_rules_at=utcnow(),
            consent_age_at=utcnow(),
        )
        for n in range(members)
    )
    db.session.commit()


def public_seats(client, group) -> tuple[int, bool]:
    """(seats taken, has room) as anyone sees them (the public API, the same Occupancy as every page)."""
    [feature] = [
        f for f in client.get("/api/v1/areas").get_json()["features"] if f["properties"]["group_id"] == group.id
    ]
    return feature["properties"]["occupied"], feature["properties"]["has_room"]


def status_of(phone_e164: str) -> S:
    db.session.expire_all()
    return db.session.scalars(db.select(Resident.status).where(Resident.phone_e164 == phone_e164)).one()


def test_sign_ups_nobody_confirmed_do_not_push_a_real_resident_onto_the_waitlist(app, west, make_user, login, client):
    fill_with_members(west, CAPACITY - 8)
    fakes = [app.test_client(), app.test_client()]  # two clients, as in the review
    for n in range(12):  # more than the 8 free seats
        fakes[n % 2].environ_base["REMOTE_ADDR"] = f"198.51.100.{n % 2 + 1}"
        data = form(name=f"Fictief Nep {n}", phone=f"06 4000{n:04d}", email="")
        assert fakes[n % 2].post("/aanmelden", data=data).status_code == 302
    assert public_seats(client, west) == (CAPACITY - 8, True)  # nothing of them in the public count

    real = app.test_client()
    assert (
        real.post(
            "/aanmelden", data=form(name="Fictief Echt", phone="06 49999999", email="echt@example.org")
        ).status_code
        == 302
    )
    assert status_of("+31649999999") == S.UNCONFIRMED
    resident = db.session.scalars(db.select(Resident).where(Resident.phone_e164 == "+31649999999")).one()
    assert post_link(real, confirm_link(resident), "/aanmelden/bevestigen").status_code == 200
    assert status_of("+31649999999") == S.PENDING  # a seat, not the waitlist
    assert public_seats(client, west) == (CAPACITY - 7, True)

    # the beheerder sees which sign-ups nobody confirmed
    login(make_user(Role.BEHEERDER, groups=[west]))
    page = client.get(f"/beheer/groep/{west.id}").get_data(as_text=True)
    queue = page.split('data-list="pending"', 1)[1].split("</ul>", 1)[0]
    assert len(re.findall(r"data-unverified", queue)) == 12
    assert "Fictief Echt" in queue

    # ... and can add at most the cap: the unverified ones only into free seats, the real resident's kept
    pending = db.session.scalars(
        db.select(Resident.id).where(Resident.status == S.PENDING).order_by(Resident.email_confirmed_at.is_not(None))
    ).all()
    for resident_id in pending:  # the 12 unverified first, then the real resident
        client.post(f"/beheer/groep/{west.id}/bewoner/{resident_id}/toegevoegd")
    db.session.expire_all()
    members = db.session.scalar(
        db.select(db.func.count(Resident.id)).where(Resident.group_id == west.id, Resident.status == S.ADDED)
    )
    assert members == CAPACITY
    assert status_of("+31649999999") == S.ADDED
    assert db.session.scalar(db.select(db.func.count(Resident.id)).where(Resident.status == S.PENDING)) == 5


def test_twelve_added_clicks_on_unconfirmed_sign_ups_with_one_free_seat_admit_one(app, west, make_user, make_resident):
    west.capacity = 6
    db.session.commit()
    for _ in range(4):
        make_resident(west, S.ADDED)
    make_resident(west, S.PENDING, email_confirmed_at=utcnow())  # a verified seat: 5 of 6 taken
    unverified = [make_resident(west, S.PENDING).id for _ in range(12)]
    group_id = west.id
    user = make_user(Role.BEHEERDER, groups=[west])

    def click(resident_id):
        def post(browser):
            return browser.post(f"/beheer/groep/{group_id}/bewoner/{resident_id}/toegevoegd").status_code

        def prepare(browser):
            assert browser.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302

        post.prepare = prepare
        return post

    assert set(run_at_once(app, [click(r) for r in unverified])) == {302}
    db.session.expire_all()
    added = db.session.scalar(db.select(db.func.count(Resident.id)).where(Resident.status == S.ADDED))
    assert added == 5  # the one free seat, and the verified sign-up's seat still free for it
