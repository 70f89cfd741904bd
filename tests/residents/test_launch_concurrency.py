"""Launch night: many residents and beheerders at once, and the promises still hold.

Real concurrency against the real database (SQLite here, PostgreSQL in the CI's second run): each
thread is its own browser (its own test client, app context, session and database connection),
and a barrier releases them together. The rules under test are enforced by the database at the
moment of writing (the seat lock, the partial unique index on active numbers, the one-time form
token), so these tests fail when a rule is only checked in Python before writing.
All people, numbers and addresses are fictional.
"""

from __future__ import annotations

from buurt.extensions import db
from buurt.models import Group, Resident, ResidentStatus, Role, utcnow
from buurt.residents.links import confirm_link
from tests.concurrency import run_at_once
from tests.conftest import PASSWORD
from tests.link_support import post_link
from tests.residents.conftest import form

S = ResidentStatus


def counts(group_id: int) -> dict[S, int]:
    db.session.expire_all()
    rows = db.session.execute(
        db.select(Resident.status, db.func.count()).where(Resident.group_id == group_id).group_by(Resident.status)
    ).all()
    return {S(status): n for status, n in rows}


def one_seat_left(group: Group, make_resident, capacity: int = 5) -> None:
    group.capacity = capacity
    db.session.commit()
    for _ in range(capacity - 2):
        make_resident(group, S.ADDED)
    make_resident(group, S.PENDING, email_confirmed_at=utcnow())  # members + verified pending = capacity - 1


def test_fifty_sign_ups_for_the_last_seat_give_it_to_one(app, west, make_resident):
    """A sign-up takes a seat once it is verified (buurt.areas.occupancy): fifty at once through the
    form, then fifty confirmation links at once, and exactly the cap holds."""
    one_seat_left(west, make_resident)
    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only: the test delivers nothing

    def sign_up(n):
        def post(client):
            data = form(phone=f"06 2000{n:04d}", name=f"Fictief Buur {n}", email=f"buur{n}@example.org")
            return client.post("/aanmelden", data=data).status_code

        return post

    statuses = run_at_once(app, [sign_up(n) for n in range(50)])

    assert statuses == [302] * 50  # every one stored, none holding a seat yet
    assert counts(west.id)[S.UNCONFIRMED] == 50
    db.session.expire_all()
    new = db.session.scalars(db.select(Resident).where(Resident.status == S.UNCONFIRMED)).all()
    links = [confirm_link(r) for r in new]

    def confirm(link):
        def post(client):
            return post_link(client, link, "/aanmelden/bevestigen").status_code

        return post

    assert set(run_at_once(app, [confirm(link) for link in links])) == {200}
    after = counts(west.id)
    assert after[S.ADDED] + after[S.PENDING] == 5  # exactly the cap, never more
    assert after[S.PENDING] == 2
    assert after[S.WAITLIST] == 49


def test_twenty_simultaneous_posts_with_one_number_leave_one_active_row(app, west):
    def post(client):
        response = client.post("/aanmelden", data=form(phone="06 30000001"))
        return response.status_code, client.get("/aanmelden/ontvangen").get_data(as_text=True)

    answers = run_at_once(app, [post] * 20)

    assert [code for code, _ in answers] == [302] * 20  # never a 500, and never "already signed up"
    assert len({page for _, page in answers}) == 1  # the one stored and the 19 not stored look the same
    db.session.expire_all()
    active = db.session.scalars(
        db.select(Resident).where(Resident.phone_e164 == "+31630000001", Resident.status != S.REMOVED)
    ).all()
    assert len(active) == 1


def test_a_double_tap_answers_both_taps_with_the_first_result(app, west):
    token = "double-tap-token-0123456789abcdef"

    def tap(client):
        response = client.post("/aanmelden", data=form(phone="06 30000002", once=token))
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client.get("/aanmelden/ontvangen").get_data(as_text=True)

    pages = run_at_once(app, [tap] * 6)

    db.session.expire_all()
    stored = db.session.scalars(db.select(Resident).where(Resident.phone_e164 == "+31630000002")).all()
    assert len(stored) == 1
    assert all(west.name in page for page in pages)  # each tap shows the one sign-up's group
    assert not any("Dit nummer is al aangemeld" in page for page in pages)


def _beheerder_client(make_user, group):
    user = make_user(Role.BEHEERDER, groups=[group])

    def prepare(client):
        assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302

    return prepare


def test_twelve_added_clicks_with_room_for_one_member_admit_one(app, west, make_resident, make_user):
    west.capacity = 13
    db.session.commit()
    for _ in range(12):
        make_resident(west, S.ADDED)
    pending = [make_resident(west, S.PENDING).id for _ in range(12)]  # over-booked: room for one member
    group_id = west.id
    login = _beheerder_client(make_user, west)

    def click(resident_id):
        def post(client):
            return client.post(f"/beheer/groep/{group_id}/bewoner/{resident_id}/toegevoegd").status_code

        post.prepare = login
        return post

    statuses = run_at_once(app, [click(r) for r in pending])

    assert set(statuses) == {302}
    assert counts(group_id)[S.ADDED] == 13
    assert counts(group_id)[S.PENDING] == 11


def test_ten_beheerders_moving_up_from_the_waitlist_fill_the_one_free_seat(app, west, make_resident, make_user):
    one_seat_left(west, make_resident)
    waiting = [make_resident(west, S.WAITLIST, email_confirmed_at=utcnow()).id for _ in range(10)]  # verified
    group_id = west.id
    login = _beheerder_client(make_user, west)

    def click(resident_id):
        def post(client):
            return client.post(f"/beheer/groep/{group_id}/bewoner/{resident_id}/doorschuiven").status_code

        post.prepare = login
        return post

    run_at_once(app, [click(r) for r in waiting])

    after = counts(group_id)
    assert after[S.ADDED] + after[S.PENDING] == 5
    assert after[S.WAITLIST] == 9


def test_confirmation_links_clicked_at_once_give_the_last_seat_to_one(app, west, make_resident):
    one_seat_left(west, make_resident)
    links = []
    for n in range(15):
        resident = make_resident(west, S.UNCONFIRMED, email=f"fictief{n}@example.org")
        links.append(confirm_link(resident))

    def confirm(link):
        def post(client):
            return post_link(client, link, "/aanmelden/bevestigen").status_code

        return post

    statuses = run_at_once(app, [confirm(link) for link in links])

    assert set(statuses) == {200}
    after = counts(west.id)
    assert after[S.ADDED] + after[S.PENDING] == 5
    assert after[S.WAITLIST] == 14


def test_a_sign_up_the_busy_database_could_not_take_keeps_the_form_and_says_try_again(app, client, west, monkeypatch):
    """Fault injection: the write lock does not come within busy_timeout. A Dutch 503 with the form
    as typed (nothing lost, nothing stored), never a 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from buurt.residents import signup

    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO form_submission ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(signup, "sign_up", locked)
    response = client.post("/aanmelden", data=form(phone="06 30000003", name="Fictief Geduldig"))
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "erg druk" in page
    assert 'value="Fictief Geduldig"' in page  # what they typed is still there
    assert db.session.scalar(db.select(db.func.count(Resident.id))) == 0


def test_any_page_the_busy_database_could_not_serve_answers_503_with_retry_after(app, client, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from buurt.residents import lookup

    def locked(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(lookup, "street_list", locked)
    response = client.get("/welke-groep/straten")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "erg druk" in response.get_data(as_text=True)
