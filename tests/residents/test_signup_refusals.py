"""Sign-ups the form refuses (an address of a routing-only neighbourhood, outside every area), and where a
sign-up that is taken is placed.

The refusal is a promise to the resident: its Dutch text says where to sign up instead and that nothing
was stored, and the answer shown with it is about the address they gave (the point, its source, the
address as the register knows it), never about some other place.
"""

import html as html_lib
import re
from datetime import timedelta

import pytest

from buurt.addresses.services import geocode_for_signup
from buurt.areas.services import Placement, place
from buurt.extensions import db
from buurt.geo.geocoding import AddressQuery
from buurt.models import Resident, utcnow
from buurt.models import ResidentStatus as S
from buurt.residents import lifecycle
from buurt.residents.errors import OutsideCoverage, SignupElsewhere
from buurt.residents.lookup import display_address
from buurt.residents.signup import (
    _expired_unconfirmed,
    active_with_phone,
    apply_placement,
    geocode_pending,
    is_nearest_group_signup,
    picked_place,
    placement_for_signup,
)
from tests.neighbourhoods.test_lookup_gemeente import (
    HOORNES_OOST_GAP,
    HOORNES_WEST,
    NORTH_OF_KATWIJK,
    hoornes_west_only,
    signup_form,
)
from tests.residents.conftest import INSIDE, form, residents, waiting

__all__ = ["hoornes_west_only"]  # a fixture used here

ELSEWHERE = (
    "Dit adres hoort bij Hoornes. Bewoners van Hoornes melden zich aan via de eigen aanmelding van Hoornes, "
    "niet via dit formulier. Er is niets opgeslagen."
)


def text_of(page: str) -> str:
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


@pytest.fixture
def routing_only_hoornes(hoornes, make_address):
    """Hoornes as a routing-only neighbourhood, with one register address in Hoornes-West."""
    hoornes.routing_only = True
    db.session.commit()
    make_address(postcode="2299AB", number=7, lat=HOORNES_WEST[0], lon=HOORNES_WEST[1], street="Fictiehoorn")
    return hoornes


@pytest.fixture
def far_address(make_address):
    """A register address ~2 km north of the gemeente: no group takes it."""
    make_address(postcode="2299AE", number=1, lat=NORTH_OF_KATWIJK[0], lon=NORTH_OF_KATWIJK[1], street="Fictiezee")


def geocoded(postcode: str, number: int):
    result = geocode_for_signup(AddressQuery.from_text(f"{postcode} {number}"))
    assert result is not None
    return result


def test_an_address_of_a_routing_only_neighbourhood_is_refused_and_nothing_is_stored(client, routing_only_hoornes):
    response = client.post("/aanmelden", data=signup_form("2299AB", 7))
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert ELSEWHERE in page
    assert "Fictiehoorn 7" in page  # the answer shown with it is about their own address
    assert residents() == []


def test_the_routing_only_refusal_carries_the_point_the_address_and_its_source(app, routing_only_hoornes):
    result = geocoded("2299AB", 7)
    with pytest.raises(SignupElsewhere) as refused:
        placement_for_signup(result.lat, result.lon, result, result.source)
    assert refused.value.message == ELSEWHERE
    lookup = refused.value.lookup
    assert (lookup.lat, lookup.lon) == (result.lat, result.lon)
    assert lookup.source == result.source
    assert lookup.address == display_address(result)
    assert lookup.postcode == result.postcode
    assert lookup.house == result.house_number
    assert lookup.signs_up_elsewhere


def test_a_picked_point_in_a_routing_only_neighbourhood_is_refused_with_the_map_as_source(app, routing_only_hoornes):
    lat, lon = HOORNES_WEST
    with pytest.raises(SignupElsewhere) as refused:
        placement_for_signup(lat, lon, None, "map")
    assert refused.value.message == ELSEWHERE
    lookup = refused.value.lookup
    assert (lookup.lat, lookup.lon, lookup.source, lookup.address) == (lat, lon, "map", None)


def test_the_outside_refusal_carries_the_point_the_address_and_its_source(app, far_address):
    result = geocoded("2299AE", 1)
    with pytest.raises(OutsideCoverage) as refused:
        placement_for_signup(result.lat, result.lon, result, result.source)
    lookup = refused.value.lookup
    assert lookup.status == "outside"
    assert (lookup.lat, lookup.lon) == (result.lat, result.lon)
    assert lookup.source == result.source
    assert lookup.address == display_address(result)
    assert lookup.postcode == result.postcode


def test_an_address_outside_every_area_is_refused_on_the_page_and_nothing_is_stored(client, far_address):
    response = client.post("/aanmelden", data=signup_form("2299AE", 1))
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Fictiezee 1" in page
    assert residents() == []


# Where a sign-up that is taken is placed: the stored border distance and the default (in an area).


def placed(placement, **kwargs) -> Resident:
    resident = Resident(location_from_map=False)
    apply_placement(resident, placement, **kwargs)
    return resident


def test_a_border_sign_up_stores_its_distance_to_a_tenth_of_a_metre_and_zero_when_unknown(app):
    west = place(*INSIDE["rijnsoever-west"]).area
    north = place(*INSIDE["rijnsoever-midden-noord"]).area
    resident = placed(Placement(west, True, north, 12.3456))
    assert (resident.area_id, resident.border_group_id, resident.needs_review) == (west.id, north.group_id, True)
    assert resident.border_distance_m == 12.3
    assert placed(Placement(west, True, north, None)).border_distance_m == 0.0


def test_a_nearest_group_sign_up_stores_its_distance_to_a_tenth_of_a_metre_and_zero_when_unknown(app):
    west = place(*INSIDE["rijnsoever-west"]).area
    resident = placed(Placement(west, False, None, 87.6543), nearest=True)
    assert (resident.group_id, resident.area_id, resident.is_border) == (west.group_id, None, True)
    assert resident.border_distance_m == 87.7
    assert placed(Placement(west, False, None, None), nearest=True).border_distance_m == 0.0


def test_a_placement_is_in_its_area_unless_told_it_is_the_nearest_group(app):
    west = place(*INSIDE["rijnsoever-west"]).area
    resident = placed(Placement(west, False, None, 300.0))  # no ``nearest``: an address in the area
    assert (resident.group_id, resident.area_id, resident.is_border) == (west.group_id, west.id, False)
    assert (resident.border_group_id, resident.border_distance_m, resident.needs_review) == (None, None, False)


# A number can be in use by one active sign-up only; an old unconfirmed one gives way.


def test_a_residents_own_sign_up_does_not_count_as_another_with_their_number(app, make_resident, groups):
    owner = make_resident(groups[0])
    assert active_with_phone(owner.phone_e164).id == owner.id
    assert active_with_phone(owner.phone_e164, exclude_id=owner.id) is None


def test_only_an_unconfirmed_sign_up_past_its_link_gives_way_to_a_new_one(app, make_resident, groups):
    max_age = timedelta(seconds=app.config["SIGNUP_TOKEN_MAX_AGE"])
    old = utcnow() - max_age - timedelta(minutes=5)
    young = utcnow() - max_age + timedelta(minutes=5)
    assert _expired_unconfirmed(make_resident(groups[0], status=S.UNCONFIRMED, created_at=old))
    assert not _expired_unconfirmed(make_resident(groups[0], status=S.UNCONFIRMED, created_at=young))
    assert not _expired_unconfirmed(make_resident(groups[0], status=S.UNCONFIRMED, created_at=utcnow()))
    assert not _expired_unconfirmed(make_resident(groups[0], status=S.PENDING, created_at=old))
    assert not _expired_unconfirmed(make_resident(groups[0], status=S.WAITLIST, created_at=old))


# A sign-up stored while the geocoder was down, placed later: its own house, its own area.


def test_a_sign_up_placed_later_is_looked_up_with_its_house_letter_and_lands_in_its_area(
    app, make_resident, make_address
):
    lat, lon = INSIDE["rijnsoever-west"]
    make_address(postcode="2299BA", number=12, letter="A", lat=lat, lon=lon, street="Fictieletter")
    elsewhere = INSIDE["rijnsoever-midden-zuid"]  # 12 without a letter is another house, in another area
    make_address(postcode="2299BA", number=12, lat=elsewhere[0], lon=elsewhere[1], street="Fictieletter")
    resident = waiting(make_resident, "2299BA", 12, house_letter="A")
    assert geocode_pending().placed == 1
    db.session.expire_all()
    stored = db.session.get(Resident, resident.id)
    area = place(lat, lon).area
    assert (stored.status, stored.group_id, stored.area_id) == (S.PENDING, area.group_id, area.id)
    assert (stored.is_border, stored.needs_review, stored.border_distance_m) == (False, False, None)
    assert not is_nearest_group_signup(stored)


# The lifecycle's conditional update changes the one resident it is given, with every value it is given.


def test_a_transition_changes_only_its_own_resident_and_sets_the_given_values(app, make_resident, groups, make_user):
    beheerder = make_user(groups=[groups[0]])
    one, other = make_resident(groups[0]), make_resident(groups[0])
    now = utcnow()
    assert lifecycle.transition(one.id, [S.PENDING], S.ADDED, added_at=now, added_by_id=beheerder.id)
    db.session.commit()
    db.session.expire_all()
    one, other = db.session.get(Resident, one.id), db.session.get(Resident, other.id)
    assert (one.status, one.added_by_id) == (S.ADDED, beheerder.id)
    assert one.added_at is not None
    assert (other.status, other.added_at, other.added_by_id) == (S.PENDING, None, None)


def test_a_transition_updates_a_resident_already_loaded_in_the_session(app, make_resident, groups):
    resident = make_resident(groups[0])
    loaded = db.session.get(Resident, resident.id)
    assert lifecycle.transition(loaded.id, [S.PENDING], S.WAITLIST)
    assert loaded.status == S.WAITLIST  # without a reload: callers read it straight after
    db.session.commit()


# A point picked on the map: the error summary asks the question (the one announcement), the point is stored
# to seven decimals (about a centimetre), never finer.


def error_summary(page: str) -> str:
    return text_of(page.split("data-error-summary", 1)[1].split("</div>", 1)[0])


def test_an_unconfirmed_pick_in_an_area_asks_its_question_in_the_error_summary(client, addresses):
    lat, lon = INSIDE["rijnsoever-noord"]
    page = client.post("/aanmelden", data=form(house_number="99", pick_lat=str(lat), pick_lon=str(lon)))
    assert picked_place(lat, lon) in error_summary(page.get_data(as_text=True))
    assert residents() == []


def test_an_unconfirmed_pick_between_neighbourhoods_asks_the_nearest_group_question(client, hoornes_west_only):
    lat, lon = HOORNES_OOST_GAP
    pick = {"pick_lat": str(lat), "pick_lon": str(lon)}
    page = client.post("/hoornes/aanmelden", data=signup_form("2299ZZ", 5, **pick)).get_data(as_text=True)
    question = picked_place(lat, lon)
    assert question.startswith("U koos een plek tussen twee buurten")
    assert question in error_summary(page)
    assert residents() == []


def test_a_picked_point_is_stored_to_seven_decimals(client, addresses):
    lat, lon = INSIDE["rijnsoever-noord"]
    pick = {"pick_lat": f"{lat:.7f}123", "pick_lon": f"{lon:.7f}456", "pick_confirmed": "y"}
    assert client.post("/aanmelden", data=form(house_number="99", **pick)).status_code == 302
    [resident] = residents()
    assert (resident.lat, resident.lon) == (round(lat, 7), round(lon, 7))
    assert resident.geocoder_source == "map"


def test_a_picked_house_the_register_does_not_know_keeps_its_letter_as_typed(client, addresses):
    lat, lon = INSIDE["rijnsoever-noord"]
    pick = {"pick_lat": str(lat), "pick_lon": str(lon), "pick_confirmed": "y"}
    assert client.post("/aanmelden", data=form(house_number="99B", **pick)).status_code == 302
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (99, "B", "")


def test_a_picked_house_without_a_letter_stores_an_empty_letter(client, addresses):
    lat, lon = INSIDE["rijnsoever-noord"]
    pick = {"pick_lat": str(lat), "pick_lon": str(lon), "pick_confirmed": "y"}
    assert client.post("/aanmelden", data=form(house_number="99", **pick)).status_code == 302
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (99, "", "")


def test_an_unknown_address_is_refused_with_the_whole_message_and_nothing_is_stored(client, addresses):
    response = client.post("/aanmelden", data=form(house_number="99"))
    assert response.status_code == 200
    assert (
        "We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer, of wijs uw huis aan op de kaart."
        in error_summary(response.get_data(as_text=True))
    )
    assert residents() == []
