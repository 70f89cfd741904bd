"""What happens to a sign-up after the form: the address looked up later (geocode-pending), the
confirmation link clicked after the mail was given up, and a new sign-up with the number of an old
unconfirmed one. Each promise through the real database and the real register (fictional addresses).
"""

from datetime import timedelta

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, Resident, utcnow
from buurt.models import ResidentStatus as S
from buurt.outbox import deliver_due
from buurt.residents.links import confirm_link
from buurt.residents.signup import geocode_pending, is_nearest_group_signup
from tests.link_support import post_link
from tests.neighbourhoods.test_lookup_gemeente import HOORNES_OOST_GAP, duyfrak, group_named, hoornes_west_only
from tests.residents.conftest import form, free_port, residents, unavailable_geocoder_config, waiting

__all__ = ["duyfrak", "hoornes_west_only"]  # fixtures used here


def status_of(resident: Resident) -> S:
    db.session.expire_all()
    return db.session.get(Resident, resident.id).status


# --- geocode-pending --------------------------------------------------------------------------------


@pytest.fixture
def three_waiting(make_resident, addresses):
    """Three sign-ups for register addresses, stored newest first (ids do not follow the age)."""
    newest = waiting(make_resident, "2221XA", 1, minutes_ago=1)
    middle = waiting(make_resident, "2221XA", 2, minutes_ago=20)
    oldest = waiting(make_resident, "2221XA", 3, minutes_ago=40)
    return oldest, middle, newest


def test_geocode_pending_takes_the_oldest_first_and_stops_at_the_limit(three_waiting, group_by_key):
    oldest, middle, newest = three_waiting
    report = geocode_pending(limit=2)
    assert (report.placed, report.still_unavailable) == (2, 0)
    assert [status_of(r) for r in (oldest, middle, newest)] == [S.PENDING, S.PENDING, S.TO_GEOCODE]
    placed = db.session.get(Resident, oldest.id)
    assert (placed.street, placed.place, placed.geocoder_source) == ("Fictieweg3", "Katwijk", "register")
    assert placed.group_id == group_by_key["rijnsoever-midden-zuid"].id
    entries = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.geocoded")).all()
    assert sorted((e.target_type, e.target_id, e.details["status"]) for e in entries) == sorted(
        [("resident", oldest.id, "pending"), ("resident", middle.id, "pending")]
    )
    assert geocode_pending(limit=2).placed == 1
    assert status_of(newest) == S.PENDING


def test_an_outage_midway_counts_every_sign_up_still_waiting(app, make_resident, addresses):
    app.config.update(unavailable_geocoder_config())  # the register answers; PDOK (for the rest) is down
    known = waiting(make_resident, "2221XA", 1, minutes_ago=30)
    unknown = [waiting(make_resident, "2221XE", n, minutes_ago=20 - n) for n in (1, 2)]
    report = geocode_pending()
    assert (report.placed, report.still_unavailable) == (1, 2)
    assert status_of(known) == S.PENDING
    assert [status_of(r) for r in unknown] == [S.TO_GEOCODE, S.TO_GEOCODE]


def test_every_sign_up_that_cannot_be_placed_is_counted_and_flagged(app, make_resident, addresses):
    app.config["GEOCODER_CHAIN"] = ("register",)
    lost = [waiting(make_resident, "2221XE", n) for n in (1, 2)]  # not in the register
    outside = [waiting(make_resident, "2221XB", 1), waiting(make_resident, "2221XB", 1)]  # outside every area
    report = geocode_pending()
    assert (report.placed, report.not_found, report.outside, report.elsewhere) == (0, 2, 2, 0)
    assert sorted(report.ids_for_review) == sorted(r.id for r in lost + outside)
    db.session.expire_all()
    for resident in lost + outside:
        stored = db.session.get(Resident, resident.id)
        assert (stored.status, stored.needs_review, stored.group_id) == (S.TO_GEOCODE, True, None)


def test_a_sign_up_between_neighbourhoods_goes_to_the_nearest_group_later(app, make_resident, hoornes_west_only):
    app.config["GEOCODER_CHAIN"] = ("register",)
    resident = waiting(make_resident, "2299AC", 1)
    assert geocode_pending().placed == 1
    db.session.expire_all()
    stored = db.session.get(Resident, resident.id)
    assert stored.status == S.PENDING
    assert stored.group_id == group_named(hoornes_west_only, "BuurtAlarm Hoornes-West").id
    assert is_nearest_group_signup(stored)  # flagged for the beheerders, in no area
    assert stored.needs_review
    assert (stored.lat, stored.lon) == pytest.approx(HOORNES_OOST_GAP)
    assert stored.border_distance_m > 0


def test_a_sign_up_in_a_routing_only_neighbourhood_is_not_placed_later(app, make_resident, duyfrak):
    app.config["GEOCODER_CHAIN"] = ("register",)
    resident = waiting(make_resident, "2299AF", 1, minutes_ago=5)
    also = waiting(make_resident, "2299AF", 1, phone_e164="+31699999999")
    report = geocode_pending()
    assert (report.placed, report.elsewhere, report.outside) == (0, 2, 0)
    assert report.ids_for_review == [resident.id, also.id]
    db.session.expire_all()
    stored = db.session.get(Resident, resident.id)
    assert (stored.status, stored.group_id, stored.needs_review) == (S.TO_GEOCODE, None, True)


def test_a_sign_up_whose_confirmation_is_on_its_way_waits_for_the_link_once_placed(app, make_resident, addresses):
    """Their link still works: placed, they stay unconfirmed until they click it. Only their own
    confirmation mail given up puts them in the queue (not another resident's, not another kind)."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    on_its_way = waiting(make_resident, "2221XA", 1, email="een@example.org")
    given_up = waiting(make_resident, "2221XA", 2, email="twee@example.org")
    for resident, kind in ((on_its_way, "signup_confirm"), (given_up, "signup_confirm"), (on_its_way, "digest")):
        db.session.add(
            OutboxMessage(
                kind=kind,
                recipients="[]",
                subject="-",
                body="-",
                message_id=f"<{resident.id}-{kind}@buurt.local>",
                created_at=utcnow(),
                next_attempt_at=utcnow(),
                resident_id=resident.id,
                gave_up_at=None if (resident, kind) == (on_its_way, "signup_confirm") else utcnow(),
            )
        )
    db.session.commit()
    assert geocode_pending().placed == 2
    assert status_of(on_its_way) == S.UNCONFIRMED
    assert status_of(given_up) == S.PENDING


# --- the link clicked after the mail was given up ---------------------------------------------------


@pytest.fixture
def queued_unverified(app, client, west):
    """A sign-up whose confirmation mail was given up: in the queue (pending), address not confirmed."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_GIVE_UP_AFTER=0)
    assert client.post("/aanmelden", data=form(name="Fictief Laat", email="laat@example.org")).status_code == 302
    assert deliver_due().gave_up == 1
    [resident] = residents()
    assert (resident.status, resident.email_confirmed_at) == (S.PENDING, None)
    return resident


def _confirm_audits() -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).filter_by(action="residents.confirm")))


def test_a_late_confirmation_takes_a_seat_when_there_is_room(client, west, queued_unverified):
    west.capacity = 1  # the last seat: their own, now that they confirm, does not make the group full
    db.session.commit()
    response = post_link(client, confirm_link(queued_unverified), "/aanmelden/bevestigen")
    assert response.status_code == 200
    stored = residents()[0]
    assert (stored.status, stored.email_confirmed_at is not None) == (S.PENDING, True)
    assert _confirm_audits() == []  # nothing changed in the queue


def test_a_late_confirmation_waits_on_the_waitlist_when_the_group_filled_up(
    client, west, queued_unverified, make_resident
):
    west.capacity = 1
    make_resident(west, status=S.ADDED)  # the one seat went to a member meanwhile
    response = post_link(client, confirm_link(queued_unverified), "/aanmelden/bevestigen")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "BuurtAlarm Rijnsoever-West is op dit moment vol. U staat op de wachtlijst op plaats 1." in page
    assert status_of(queued_unverified) == S.WAITLIST
    [entry] = _confirm_audits()
    assert (entry.target_type, entry.target_id, entry.details) == (
        "resident",
        queued_unverified.id,
        {"status": "waitlist"},
    )


# --- a new sign-up with the number of an old, unconfirmed one ----------------------------------------


@pytest.mark.parametrize(
    ("status", "age", "replaced"),
    [
        (S.UNCONFIRMED, timedelta(minutes=1), True),  # its link expired a minute ago
        (S.UNCONFIRMED, -timedelta(minutes=1), False),  # its link still works for a minute
        (S.PENDING, timedelta(days=30), False),  # in the queue: the number is taken
    ],
    ids=["unconfirmed-expired", "unconfirmed-valid", "pending"],
)
def test_an_expired_unconfirmed_sign_up_is_replaced_by_a_new_one(
    app, client, west, make_resident, status, age, replaced
):
    max_age = timedelta(seconds=app.config["SIGNUP_TOKEN_MAX_AGE"])
    old = make_resident(west, status=status, phone_e164="+31612345678", created_at=utcnow() - max_age - age)
    assert client.post("/aanmelden", data=form(name="Fictief Nieuw")).status_code == 302
    stored = residents()
    if replaced:
        assert [(r.name, r.status) for r in stored] == [("Fictief Nieuw", S.PENDING)]
    else:
        assert [r.id for r in stored] == [old.id]


def test_a_sign_up_placed_later_in_a_full_group_waits_on_its_waitlist(make_resident, west):
    west.capacity = 1
    make_resident(west, status=S.ADDED)
    resident = waiting(make_resident, "2221XA", 1)
    assert geocode_pending().placed == 1
    assert status_of(resident) == S.WAITLIST


def test_every_sign_up_whose_number_has_several_addresses_is_counted(app, make_resident, make_address, groups):
    from tests.house_choice_support import POSTCODE, make_proefstraat

    make_proefstraat(make_address)
    app.config["GEOCODER_CHAIN"] = ("register",)
    both = [waiting(make_resident, POSTCODE, 7), waiting(make_resident, POSTCODE, 7, phone_e164="+31699999998")]
    report = geocode_pending()
    assert (report.placed, report.choice_needed, report.not_found) == (0, 2, 0)
    assert sorted(report.ids_for_review) == sorted(r.id for r in both)


def test_a_confirmation_link_puts_the_sign_up_in_the_queue_and_says_so(app, client, addresses, border_point):
    """The double opt-in itself: unconfirmed -> pending, audited, and the page names the group (and the border)."""
    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only
    assert client.post("/aanmelden", data=form(postcode="2221XC", email="grens@example.org")).status_code == 302
    [resident] = residents()
    assert resident.status == S.UNCONFIRMED
    response = post_link(client, confirm_link(resident), "/aanmelden/bevestigen")
    page = response.get_data(as_text=True)
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-West." in page
    assert "Uw adres ligt dicht bij de grens van een ander gebied." in page
    assert status_of(resident) == S.PENDING
    [entry] = _confirm_audits()
    assert (entry.target_type, entry.target_id, entry.details) == ("resident", resident.id, {"status": "pending"})


def test_a_confirmation_of_a_house_pointed_at_on_the_map_says_a_beheerder_checks_it(app, client, addresses):
    from tests.residents.conftest import INSIDE

    app.config["MAIL_SERVER"] = "127.0.0.1"  # queued only
    lat, lon = INSIDE["rijnsoever-noord"]
    data = form(house_number="99", pick_lat=str(lat), pick_lon=str(lon), pick_confirmed="y", email="kaart@example.org")
    assert client.post("/aanmelden", data=data).status_code == 302
    [resident] = residents()
    page = post_link(client, confirm_link(resident), "/aanmelden/bevestigen").get_data(as_text=True)
    assert "U heeft uw huis zelf op de kaart aangewezen. Een beheerder controleert de plek." in page


def test_a_confirmation_before_the_address_is_found_keeps_the_sign_up_waiting_for_it(app, client):
    app.config.update(unavailable_geocoder_config(), MAIL_SERVER="127.0.0.1")  # mail queued only
    assert client.post("/aanmelden", data=form(email="later@example.org")).status_code == 302
    [resident] = residents()
    page = post_link(client, confirm_link(resident), "/aanmelden/bevestigen").get_data(as_text=True)
    assert "Uw aanmelding is bewaard" in page
    assert status_of(resident) == S.TO_GEOCODE
