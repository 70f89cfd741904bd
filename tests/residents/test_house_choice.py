"""A number with several addresses (issue 14, point 2): the lookup page, the sign-up form, "Mijn
gegevens" and the geocode-later round offer the existing toevoegingen instead of "unknown" or a 500,
and what is stored is the BAG address (huisletter vs. toevoeging as in the register: point 1).

The register is fictional (tests.house_choice_support: Proefstraat, 2221 CM).
"""

from __future__ import annotations

import re

import pytest

from buurt.models import ResidentStatus
from buurt.residents.links import my_data_link
from buurt.residents.lookup import lookup_address, make_query
from tests.house_choice_support import POSTCODE, make_proefstraat
from tests.link_support import post_link
from tests.residents.conftest import INSIDE, form, residents, unavailable_geocoder_config


@pytest.fixture
def proefstraat(make_address, groups):
    make_proefstraat(make_address)


def lookup(client, **data):
    response = client.post("/welke-groep", data=data)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def choice_buttons(html: str) -> list[str]:
    """The values of the choice buttons on the lookup page."""
    return re.findall(r'<button[^>]*name="house_number"[^>]*value="([^"]*)"', html)


# --- the lookup service and page ----------------------------------------------------------------


def test_lookup_service_answers_choose_with_every_address_at_the_number(proefstraat):
    result = lookup_address(make_query(postcode="2221 cm", house_number="7"))
    assert result.status == "choose"
    assert [str(h) for h in result.choice.houses] == ["7-1", "7-2", "7-3a"]
    assert result.choice.street == "Proefstraat"
    assert result.choice.place == "Katwijk"
    assert "Proefstraat 7, Katwijk" in result.message_nl
    assert result.group is None
    assert result.lat is None


@pytest.mark.parametrize("typed", [("7", ""), ("7", "4"), ("7-4", ""), ("9", "b")])
def test_lookup_page_offers_the_toevoegingen(client, proefstraat, typed):
    number, addition = typed
    html = lookup(client, postcode="2221 CM", house_number=number, addition=addition)
    assert "Dit adres kennen we niet" not in html
    if number.startswith("7"):
        assert "Op Proefstraat 7, Katwijk zijn meer adressen. Kies het uwe:" in html
        assert choice_buttons(html) == ["7-1", "7-2", "7-3a"]
    else:  # one address at the number: a question, not "more addresses"
        assert "Op Proefstraat 9, Katwijk kennen we alleen 9a. Is dat uw adres?" in html
        assert choice_buttons(html) == ["9a"]
    assert "csrf_token" in html.split('id="antwoord"', 1)[1]  # each choice is a POST with CSRF


def test_a_choice_button_looks_up_that_exact_address(client, proefstraat, group_by_key):
    html = lookup(client, postcode="2221 CM", house_number="7")
    answer = html.split('id="antwoord"', 1)[1]
    hidden = dict(re.findall(r'<input type="hidden" name="(postcode|street|addition)" value="([^"]*)"', answer))
    assert hidden["postcode"] == POSTCODE
    found = lookup(client, **hidden, house_number="7-2")
    assert f"Uw adres valt onder {group_by_key['rijnsoever-west'].name}" in found
    assert "Proefstraat 7-2, 2221 CM Katwijk" in found  # street and place as a check


def test_a_long_list_is_a_select_with_a_button(client, make_address, groups):
    make_proefstraat(make_address, flats=30)
    html = lookup(client, postcode="2221CM", house_number="20")
    answer = html.split('id="antwoord"', 1)[1]
    assert choice_buttons(html) == []
    options = re.findall(r'<option value="([^"]*)"', answer)
    assert options[:3] == ["20-1", "20-2", "20-3"]
    assert len(options) == 30
    assert '<select name="house_number"' in answer


def test_one_letter_toevoeging_is_found_however_typed(client, proefstraat):
    for number, addition in (("105", "H"), ("105H", ""), ("105-H", ""), ("105 h", "")):
        html = lookup(client, postcode="2221CM", house_number=number, addition=addition)
        assert "Proefstraat 105-H, 2221 CM Katwijk" in html, (number, addition)


def test_choice_by_street_without_postcode(client, proefstraat):
    html = lookup(client, street="Proefstraat", house_number="7")
    assert choice_buttons(html) == ["7-1", "7-2", "7-3a"]
    answer = html.split('id="antwoord"', 1)[1]
    hidden = dict(re.findall(r'<input type="hidden" name="(postcode|street|addition)" value="([^"]*)"', answer))
    assert hidden.get("postcode") == POSTCODE


# --- the sign-up form ---------------------------------------------------------------------------


def signup(client, **overrides):
    return client.post("/aanmelden", data=form(**overrides))


def test_signup_at_a_bare_number_offers_the_choice_and_stores_nothing(client, proefstraat):
    response = signup(client, postcode="2221 CM", house_number="7", name="Fictief Flatbewoner")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "We kunnen dit adres niet vinden" not in html
    assert "Katwijk zijn meer adressen" in html
    assert re.findall(r'<input[^>]*name="addition"[^>]*value="([^"]*)"', html) == ["1", "2", "3A"]
    assert 'value="Fictief Flatbewoner"' in html  # everything typed is kept
    assert 'value="06 12345678"' in html
    assert residents() == []


def test_signup_with_the_chosen_toevoeging_is_stored(client, proefstraat, group_by_key):
    response = signup(client, postcode="2221 CM", house_number="7", addition="2")
    assert response.status_code == 302
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (7, "", "2")
    assert resident.group_id == group_by_key["rijnsoever-west"].id


@pytest.mark.parametrize(("number", "addition"), [("105", "H"), ("105H", ""), ("105-h", "")])
def test_signup_stores_the_bag_toevoeging_not_a_letter(client, proefstraat, number, addition):
    response = signup(client, postcode="2221CM", house_number=number, addition=addition)
    assert response.status_code == 302, response.get_data(as_text=True)
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (105, "", "H")
    assert resident.street == "Proefstraat"


def test_map_picked_signup_stores_the_bag_address(client, proefstraat):
    lat, lon = INSIDE["rijnsoever-west"]
    point = {"pick_lat": str(lat), "pick_lon": str(lon), "pick_confirmed": "y"}
    response = signup(client, postcode="2221CM", house_number="105", addition="H", **point)
    assert response.status_code == 302, response.get_data(as_text=True)
    [resident] = residents()
    assert resident.location_from_map
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (105, "", "H")


def test_map_picked_signup_at_a_bare_number_still_asks_which(client, proefstraat):
    lat, lon = INSIDE["rijnsoever-west"]
    response = signup(client, postcode="2221CM", house_number="7", pick_lat=str(lat), pick_lon=str(lon))
    assert response.status_code == 200
    assert "Katwijk zijn meer adressen" in response.get_data(as_text=True)
    assert residents() == []


# --- Mijn gegevens ------------------------------------------------------------------------------


@pytest.fixture
def member(make_resident, group_by_key, proefstraat):
    lat, lon = INSIDE["rijnsoever-west"]
    return make_resident(
        group_by_key["rijnsoever-west"],
        status=ResidentStatus.ADDED,
        name="Fictief Lid",
        phone_e164="+31687654321",
        postcode="2221CM",
        house_number=105,
        house_addition="H",
        street="Proefstraat",
        lat=lat,
        lon=lon,
    )


def correction(**overrides):
    data = {
        "name": "Fictief Lid",
        "phone": "06 87654321",
        "email": "",
        "postcode": "2221CM",
        "house_number": "105",
        "addition": "H",
        "household_size": "1",
    }
    data.update(overrides)
    return data


def test_my_data_move_to_a_bare_number_offers_the_choice_and_changes_nothing(client, member):
    response = post_link(
        client, my_data_link(member), "/mijn-gegevens/wijzigen", correction(house_number="7", addition="")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Katwijk zijn meer adressen" in html
    assert re.findall(r'<input[^>]*name="addition"[^>]*value="([^"]*)"', html) == ["1", "2", "3A"]
    [resident] = residents()
    assert (resident.house_number, resident.house_addition) == (105, "H")


def test_my_data_saving_the_name_keeps_a_one_letter_toevoeging(client, member):
    """The form shows toevoeging H as "H", which reads as a huisletter: not an address change."""
    response = post_link(client, my_data_link(member), "/mijn-gegevens/wijzigen", correction(name="Fictief Lid Twee"))
    assert response.status_code == 200
    [resident] = residents()
    assert resident.name == "Fictief Lid Twee"
    assert (resident.house_letter, resident.house_addition) == ("", "H")
    assert resident.status == ResidentStatus.ADDED


def test_my_data_move_stores_the_bag_form(client, member):
    response = post_link(
        client, my_data_link(member), "/mijn-gegevens/wijzigen", correction(house_number="7", addition="3a")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [resident] = residents()
    assert (resident.house_number, resident.house_letter, resident.house_addition) == (7, "", "3A")


# --- sign-ups stored while the geocoder was down ------------------------------------------------


class TestGeocodeLater:
    @pytest.fixture
    def app_config(self):
        return unavailable_geocoder_config()

    def test_the_command_says_how_many_need_a_choice(self, app, client, make_address, groups):
        assert signup(client, postcode="2221CM", house_number="7", phone="06 11111111").status_code == 302
        make_proefstraat(make_address)
        app.config["GEOCODER_CHAIN"] = ("register",)
        printed = app.test_cli_runner().invoke(args=["buurt", "geocode-pending"]).output
        (resident,) = residents()
        assert "(toevoeging kiezen): 1" in printed
        assert f"aanmelding-id's: {resident.id}" in printed

    def test_a_choice_marks_the_signup_for_review_and_the_round_goes_on(self, app, client, make_address, groups):
        """Stored as TO_GEOCODE before the register had Proefstraat; then it is imported."""
        from buurt.residents.signup import geocode_pending

        for number, phone in (("7", "06 11111111"), ("7-2", "06 22222222"), ("105H", "06 33333333")):
            assert signup(client, postcode="2221CM", house_number=number, phone=phone).status_code == 302
        assert {r.status for r in residents()} == {ResidentStatus.TO_GEOCODE}
        make_proefstraat(make_address)
        app.config["GEOCODER_CHAIN"] = ("register",)
        report = geocode_pending()
        assert (report.choice_needed, report.placed, report.not_found, report.outside) == (1, 2, 0, 0)
        bare, chosen, letter = residents()
        assert bare.status == ResidentStatus.TO_GEOCODE
        assert bare.needs_review
        assert report.ids_for_review == [bare.id]
        assert chosen.status == ResidentStatus.PENDING
        assert letter.status == ResidentStatus.PENDING
        assert (letter.house_letter, letter.house_addition) == ("", "H")  # the BAG form, as found
