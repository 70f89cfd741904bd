"""The sign-up form through the test client: every edge case of the issue."""

import re

import pytest

from buurt.models import AuditEntry, ResidentStatus, utcnow
from tests.link_support import open_link
from tests.residents.conftest import INSIDE, form, residents, unavailable_geocoder_config


def post(client, **overrides):
    return client.post("/aanmelden", data=form(**overrides))


def test_signup_stores_a_pending_resident_with_group_and_source(client, addresses, group_by_key):
    response = post(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/aanmelden/ontvangen")
    [r] = residents()
    assert r.status == ResidentStatus.PENDING
    assert r.group_id == group_by_key["rijnsoever-west"].id
    assert r.area.key == "rijnsoever-west"
    assert r.geocoder_source == "register"
    assert (r.postcode, r.house_number, r.street, r.place) == ("2221XA", 1, "Fictieweg1", "Katwijk")
    assert r.phone_e164 == "+31612345678"
    assert r.household_size == 2
    assert r.consent_privacy_at
    assert r.consent_rules_at
    assert r.consent_age_at
    assert not r.is_border
    assert not r.needs_review
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "U bent aangemeld voor BuurtAlarm Rijnsoever-West" in html
    assert "Een beheerder voegt u toe in WhatsApp, meestal binnen 7 dagen" in html


def test_signup_is_audited_without_personal_data(client, addresses):
    post(client)
    from buurt.extensions import db

    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="residents.signup")).one()
    assert "Fictief" not in str(entry.details)
    assert "+316" not in str(entry.details)


def test_addition_is_kept(client, make_address, group_by_key):
    make_address(
        postcode="2221XD", number=7, letter="A", lat=INSIDE["rijnsoever-noord"][0], lon=INSIDE["rijnsoever-noord"][1]
    )
    assert post(client, postcode="2221XD", house_number="7", addition="a").status_code == 302
    [r] = residents()
    assert (r.house_number, r.house_letter) == (7, "A")
    assert r.group_id == group_by_key["rijnsoever-noord"].id


def test_unknown_address_offers_the_map_and_stores_nothing(client, addresses):
    response = post(client, house_number="99")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "We kunnen dit adres niet vinden" in html
    assert 'id="pick-map"' in html
    assert "/static/js/point-picker.js" in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert 'value="Fictief Persoon"' in html  # what was typed is kept
    assert residents() == []


def test_map_pick_stores_the_point_and_flags_it(client, addresses, group_by_key):
    lat, lon = INSIDE["rijnsoever-midden-zuid"]
    response = post(client, house_number="99", pick_lat=str(lat), pick_lon=str(lon), pick_confirmed="y")
    assert response.status_code == 302
    [r] = residents()
    assert r.location_from_map
    assert r.needs_review
    assert r.geocoder_source == "map"
    assert (r.lat, r.lon) == pytest.approx((lat, lon))
    assert r.group_id == group_by_key["rijnsoever-midden-zuid"].id
    assert r.status == ResidentStatus.PENDING
    html = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "zelf op de kaart aangewezen" in html


def test_map_pick_outside_is_refused(client, addresses):
    html = post(client, house_number="99", pick_lat="52.2300", pick_lon="4.4000").get_data(as_text=True)
    assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in html
    assert residents() == []


def test_map_pick_with_nonsense_coordinates_is_ignored(client, addresses):
    html = post(client, house_number="99", pick_lat="1e308", pick_lon="abc").get_data(as_text=True)
    assert "We kunnen dit adres niet vinden" in html
    assert residents() == []


def test_outside_address_never_offers_a_signup(client, addresses):
    response = post(client, postcode="2221XB", house_number="1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in html
    assert "De dichtstbijzijnde groep is" in html
    assert "Aanmelden voor" not in html
    assert residents() == []


def test_full_group_puts_people_on_the_waitlist_and_mijn_gegevens_shows_the_position(
    client, addresses, group_by_key, make_resident
):
    west = group_by_key["rijnsoever-west"]
    west.capacity = 2
    make_resident(west, status=ResidentStatus.ADDED)
    make_resident(west, status=ResidentStatus.PENDING, email_confirmed_at=utcnow())  # verified: holds a seat
    assert post(client, phone="06 11111111").status_code == 302
    assert post(client, phone="06 22222222").status_code == 302
    html = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "U komt op de wachtlijst" in html
    assert not re.search(r"plaats \d", html)  # a position would tell a stranger whether a row was stored
    new = [r for r in residents() if r.phone_e164 in ("+31611111111", "+31622222222")]
    assert [r.status for r in new] == [ResidentStatus.WAITLIST, ResidentStatus.WAITLIST]
    from buurt.areas.occupancy import occupancy
    from buurt.residents.links import my_data_link

    assert occupancy([west])[west.id].waitlist == 2  # what the console shows the beheerders
    own = open_link(client, my_data_link(new[1])).get_data(as_text=True)
    assert "plaats 2 op de wachtlijst" in own


def test_border_address_is_assigned_by_the_rule_and_flagged(client, addresses, group_by_key):
    assert post(client, postcode="2221XC", house_number="1").status_code == 302
    [r] = residents()
    assert r.group_id == group_by_key["rijnsoever-west"].id
    assert r.is_border
    assert r.needs_review
    assert r.border_group_id == group_by_key["rijnsoever-midden-noord"].id
    assert 0 <= r.border_distance_m <= 25
    assert "dicht bij de grens" in client.get("/aanmelden/ontvangen").get_data(as_text=True)


def test_same_mobile_number_twice_stores_nothing_and_answers_like_a_new_one(client, addresses):
    assert post(client).status_code == 302
    first = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    response = post(client, name="Iemand Anders", postcode="2221XA", house_number="1", phone="+31 6 1234 5678")
    assert response.status_code == 302  # no "already signed up": tests/security/test_signup_oracle.py
    assert client.get("/aanmelden/ontvangen").get_data(as_text=True) == first
    assert len(residents()) == 1


def test_a_removed_member_may_sign_up_again(client, addresses, make_resident, group_by_key):
    make_resident(group_by_key["rijnsoever-west"], status=ResidentStatus.REMOVED, phone_e164="+31612345678")
    assert post(client).status_code == 302
    assert len(residents()) == 2


def test_several_people_at_one_address_are_allowed(client, addresses):
    assert post(client, name="Fictief Een", phone="06 12345671").status_code == 302
    assert post(client, name="Fictief Twee", phone="06 12345672").status_code == 302
    assert [(r.postcode, r.house_number) for r in residents()] == [("2221XA", 1), ("2221XA", 1)]


def test_honeypot_stores_nothing_and_says_nothing(client, addresses):
    response = post(client, website="http://spam.example")
    assert response.status_code == 302
    assert residents() == []
    html = client.get("/aanmelden/ontvangen").get_data(as_text=True)
    assert "Uw aanmelding is ontvangen." in html


def test_honeypot_is_hidden_from_people(client):
    html = client.get("/aanmelden").get_data(as_text=True)
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'name="website"' in html


def test_script_in_fields_is_stored_as_text_and_escaped(client, addresses):
    name = '<script>alert("x")</script>'
    assert post(client, name=name).status_code == 302
    [r] = residents()
    assert r.name == name
    from buurt.residents.links import my_data_link

    html = open_link(client, my_data_link(r)).get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    html = post(client, name=name, phone="06 99999999", house_number="<b>1</b>").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<b>1</b>" not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 121, "hoogstens 120 tekens"),
        ("name", "", "Vul uw naam in"),
        ("phone", "0" * 21, "hoogstens 20 tekens"),
        ("email", "a" * 250 + "@example.org", "hoogstens 254 tekens"),
        ("postcode", "2221XA" * 3, "Een postcode is korter"),
        ("addition", "abcdefg", "hoogstens 6 tekens"),  # the field's real limit (maxlength 6), issue 15
        ("household_size", "0", "van 1 tot en met 10"),
        ("household_size", "999", "van 1 tot en met 10"),
        ("household_size", "veel", "Vul een aantal van 1 tot en met 10 in."),
        ("phone", "071 123 4567", "vast nummer"),
        ("phone", "06 123", "bestaat niet"),
        ("phone", "bel mij", "begrijpen"),
        ("email", "geen-adres", "geen geldig e-mailadres"),
        ("postcode", "1234", "geen geldige postcode"),
        ("consent_privacy", None, "toestemming voor de privacyverklaring"),
        ("consent_rules", None, "groepsregels (SAAR) houden en 16 jaar of ouder zijn"),
    ],
)
def test_every_field_error_is_a_dutch_sentence_next_to_the_field(client, addresses, field, value, message):
    response = post(client, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert f'id="{field}-error"' in html
    assert residents() == []


def test_the_form_keeps_what_was_typed(client, addresses):
    html = post(client, name="Fictief Bewaard", phone="071 123 4567", email="fictief@example.org").get_data(
        as_text=True
    )
    assert 'value="Fictief Bewaard"' in html
    assert 'value="fictief@example.org"' in html
    assert 'value="071 123 4567"' in html
    assert 'value="2221 xa"' in html


def test_minimum_age_is_configurable(app, client, addresses):
    """The rules and the minimum age are one tick since issue 15 (the privacy consent stays its own)."""
    app.config["MINIMUM_AGE"] = 18
    assert "Ik houd me aan de groepsregels en aan SAAR, en ik ben 18 jaar of ouder." in client.get(
        "/aanmelden"
    ).get_data(as_text=True)
    assert "18 jaar of ouder zijn" in post(client, consent_rules=None).get_data(as_text=True)


def test_signup_page_in_english(client):
    html = client.get("/aanmelden?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html


class TestGeocoderUnavailable:
    @pytest.fixture
    def app_config(self):
        return unavailable_geocoder_config()

    def test_signup_is_kept_as_to_geocode_then_placed_later(self, app, client, runner, make_address, group_by_key):
        response = post(client, postcode="2221XE", house_number="8")
        assert response.status_code == 302
        [r] = residents()
        assert r.status == ResidentStatus.TO_GEOCODE
        assert r.group_id is None
        assert r.lat is None
        html = client.get("/aanmelden/ontvangen").get_data(as_text=True)
        assert "Uw aanmelding is bewaard" in html
        assert "niets verloren" in html

        result = runner.invoke(args=["buurt", "geocode-pending"])
        assert "nog niet bereikbaar" in result.output
        assert residents()[0].status == ResidentStatus.TO_GEOCODE

        lat, lon = INSIDE["rijnsoever-oost"]
        make_address(postcode="2221XE", number=8, lat=lat, lon=lon, street="Laterweg")
        result = runner.invoke(args=["buurt", "geocode-pending"])
        assert result.exit_code == 0, result.output
        assert "In een groep geplaatst: 1" in result.output
        [r] = residents()
        assert r.status == ResidentStatus.PENDING
        assert r.group_id == group_by_key["rijnsoever-oost"].id
        assert r.geocoder_source == "register"
        assert r.street == "Laterweg"

    def test_geocode_pending_flags_what_it_cannot_place(self, app, client, runner, make_address):
        post(client, postcode="2221XF", house_number="9")
        app.config["GEOCODER_CHAIN"] = ("register",)  # the outage is over; the address is still unknown
        result = runner.invoke(args=["buurt", "geocode-pending"])
        assert "Niet gevonden: 1" in result.output
        [r] = residents()
        assert r.status == ResidentStatus.TO_GEOCODE
        assert r.needs_review
