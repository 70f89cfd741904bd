"""A house pointed at on the map, and a number used twice: what the resident and the number's owner are told.

The question after a tap ("U koos een plek ...") is the resident's only check that the point is their
house, so its Dutch text is pinned whole, for a point in an area and for one between neighbourhoods.
"""

import html as html_lib
import re
from datetime import timedelta

import pytest

from buurt.areas.services import place
from buurt.extensions import db
from buurt.models import AuditEntry, OutboxMessage, Resident, utcnow
from buurt.models import ResidentStatus as S
from buurt.residents.links import confirm_link
from buurt.residents.signup import is_nearest_group_signup, picked_place
from tests.link_support import post_link
from tests.neighbourhoods.test_lookup_gemeente import (
    HOORNES_OOST_GAP,
    ZUIDDUINEN,
    group_named,
    hoornes_west_only,
    signup_form,
)
from tests.residents.conftest import INSIDE, form, residents

__all__ = ["hoornes_west_only"]  # a fixture used here

CHECK = "Vink dan aan dat dit de plek van uw huis is, of tik op de kaart op uw huis."


def text_of(page: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_a_point_in_an_area_asks_whether_that_area_and_group_are_right(client, addresses, group_by_key):
    lat, lon = INSIDE["rijnsoever-noord"]
    area = place(lat, lon).area
    page = client.post("/aanmelden", data=form(house_number="99", pick_lat=str(lat), pick_lon=str(lon)))
    question = f"U koos een plek in gebied {area.name} (groep {area.group_name}). Klopt dat? {CHECK}"
    assert question in text_of(page.get_data(as_text=True))
    assert residents() == []
    assert picked_place(lat, lon) == question  # the same question when the page comes back with the point


def test_a_point_between_neighbourhoods_names_the_nearest_group_and_its_distance(client, hoornes_west_only):
    lat, lon = HOORNES_OOST_GAP
    distance = round(place(lat, lon).distance_m)
    question = (
        f"U koos een plek tussen twee buurten; de dichtstbijzijnde groep is BuurtAlarm Hoornes-West (Hoornes), op "
        f"{distance} m. Klopt de plek? {CHECK}"
    )
    pick = {"pick_lat": str(lat), "pick_lon": str(lon)}
    page = client.post("/hoornes/aanmelden", data=signup_form("2299ZZ", 5, **pick)).get_data(as_text=True)
    assert question in text_of(page)
    assert picked_place(lat, lon) == question
    assert residents() == []

    response = client.post("/hoornes/aanmelden", data=signup_form("2299ZZ", 5, pick_confirmed="y", **pick))
    assert response.status_code == 302
    [resident] = residents()
    assert resident.group_id == group_named(hoornes_west_only, "BuurtAlarm Hoornes-West").id
    assert is_nearest_group_signup(resident)
    assert (resident.location_from_map, resident.needs_review, resident.area_id) == (True, True, None)
    assert resident.border_distance_m == pytest.approx(place(lat, lon).distance_m, abs=0.1)


def test_a_point_far_from_every_group_asks_nothing(app, hoornes_west_only):
    assert picked_place(*ZUIDDUINEN) is None


# --- a number used again: its owner is told, once a day ----------------------------------------------


@pytest.fixture
def owner(app, client, addresses):
    """A resident who signed up with 06 12345678 and confirmed their e-mail address."""
    app.config["MAIL_SERVER"] = "127.0.0.1"  # mail is queued only: nothing is delivered here
    data = form(name="Fictief Eigenaar", email="eigenaar@example.org")
    assert client.post("/aanmelden", data=data).status_code == 302
    [resident] = residents()
    assert post_link(client, confirm_link(resident), "/aanmelden/bevestigen").status_code == 200
    return resident


def notices() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(kind="signup_duplicate")))


def test_the_owner_of_a_number_used_again_is_told_with_the_way_to_mijn_gegevens(client, owner):
    assert client.post("/aanmelden", data=form(name="Fictief Vreemde", house_number="2")).status_code == 302
    [notice] = notices()
    assert (notice.resident_id, notice.subject) == (owner.id, "Iemand probeerde uw nummer te gebruiken")
    assert '"eigenaar@example.org"' in notice.recipients
    assert "http://localhost/mijn-gegevens" in notice.body
    assert "aanmelding bij BuurtWhatsApp Rijnsoever" in notice.body  # the group's neighbourhood signs it
    [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.number_in_use"))
    assert (entry.target_type, entry.target_id, entry.details) == (
        "resident",
        owner.id,
        {"attempt": "signup", "notified": True},
    )
    assert [r.name for r in residents()] == ["Fictief Eigenaar"]


@pytest.mark.parametrize(("hours_ago", "told_again"), [(23, False), (25, True)])
def test_the_owner_is_told_at_most_once_a_day(client, owner, hours_ago, told_again):
    assert client.post("/aanmelden", data=form(name="Fictief Vreemde")).status_code == 302
    [first] = notices()
    first.created_at = utcnow() - timedelta(hours=hours_ago)
    db.session.commit()
    assert client.post("/aanmelden", data=form(name="Fictief Vreemde")).status_code == 302
    assert len(notices()) == (2 if told_again else 1)
    entries = list(db.session.scalars(db.select(AuditEntry).filter_by(action="residents.number_in_use")))
    assert [e.details["notified"] for e in entries] == [True, told_again]


def test_an_owner_without_a_confirmed_address_is_not_mailed(app, client, addresses, make_resident, west):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    make_resident(west, phone_e164="+31612345678", email="niet-bevestigd@example.org")  # could be anyone's
    assert client.post("/aanmelden", data=form(name="Fictief Vreemde")).status_code == 302
    assert notices() == []
    [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.number_in_use"))
    assert entry.details == {"attempt": "signup", "notified": False}
    assert db.session.scalar(db.select(db.func.count(Resident.id))) == 1


def test_only_a_sign_up_between_neighbourhoods_counts_as_one_for_the_nearest_group(
    client, addresses, group_by_key, make_resident
):
    """What the beheerders' list calls "tussen twee buurten": flagged border, in no area, no neighbouring group."""
    for postcode, phone in (("2221XA", "06 12345671"), ("2221XC", "06 12345672")):  # ordinary; on a border
        assert client.post("/aanmelden", data=form(postcode=postcode, phone=phone)).status_code == 302
    ordinary, border = residents()
    assert (ordinary.is_border, border.is_border) == (False, True)
    assert not is_nearest_group_signup(ordinary)
    assert not is_nearest_group_signup(border)  # it has a neighbouring group to move to
    waiting = make_resident(None, status=S.TO_GEOCODE, area_id=None, is_border=False)  # not placed yet
    assert not is_nearest_group_signup(waiting)


def test_the_owners_notice_is_signed_by_the_owners_neighbourhood_not_the_pages(
    app, client, addresses, hoornes, make_resident
):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    owner = make_resident(
        group_named(hoornes, "BuurtAlarm Hoornes-West"),
        phone_e164="+31612345678",
        email="eigenaar@example.org",
        email_confirmed_at=utcnow(),
    )
    assert client.post("/aanmelden", data=form(name="Fictief Vreemde")).status_code == 302  # Rijnsoever's form
    [notice] = notices()
    assert notice.resident_id == owner.id
    assert "BuurtWhatsApp Hoornes" in notice.body
    assert "hoornes@example.org" in notice.body
    assert "Rijnsoever" not in notice.body
