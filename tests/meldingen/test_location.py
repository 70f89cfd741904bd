"""Where a melding happened: address, street, postcode, map point; suggestions from the police text."""

import pytest

from buurt.meldingen.errors import LocationNotFound
from buurt.meldingen.location import find_streets_in_text, resolve_location, suggest_locations
from buurt.models import Address

pytestmark = pytest.mark.usefixtures("request_ctx")


@pytest.fixture
def street_register(make_address):
    """A few fictional addresses on two streets in Rijnsoever, and one street name in two places."""
    make_address("2221ZA", 1, 52.21340, 4.42440, street="Fictieweg")
    make_address("2221ZA", 3, 52.21350, 4.42460, street="Fictieweg")
    make_address("2221ZA", 5, 52.21360, 4.42480, street="Fictieweg")
    make_address("2221ZB", 2, 52.20900, 4.42900, street="Oude Fictieweg")
    make_address("2221ZC", 7, 52.21270, 4.41400, street="Verzonnenlaan")
    make_address("2231ZD", 7, 52.17000, 4.45000, street="Verzonnenlaan", place="Rijnsburg")


def test_address_with_house_number(street_register):
    location = resolve_location("Fictieweg 3, Katwijk")
    assert (location.lat, location.lon) == (52.21350, 4.42460)
    assert location.kind == "adres"
    assert location.street == "Omgeving Fictieweg, Katwijk"  # no house number the police did not give
    assert "Fictieweg 3" in location.label


def test_house_number_only_when_the_police_text_has_it(street_register):
    location = resolve_location("2221ZA 3", received_text="Inbraak aan de Fictieweg 3 te Katwijk.")
    assert location.street == "Fictieweg 3, Katwijk"


def test_street_name_gives_the_centre_of_the_street(street_register):
    location = resolve_location("fictieweg")
    assert location.kind == "straat"
    assert location.lat == pytest.approx(52.21350)
    assert location.lon == pytest.approx(4.42460)
    assert location.street == "Omgeving Fictieweg, Katwijk"


def test_unknown_house_number_falls_back_to_the_street(street_register):
    location = resolve_location("Fictieweg 99")
    assert location.kind == "straat"
    assert "huisnummer 99 niet gevonden" in location.label


def test_street_in_two_places_asks_for_the_place(street_register):
    with pytest.raises(LocationNotFound, match="meer plaatsen"):
        resolve_location("Verzonnenlaan")
    assert resolve_location("Verzonnenlaan, Rijnsburg").lat == pytest.approx(52.17)


def test_postcode_only(street_register):
    location = resolve_location("2221 ZA")
    assert location.kind == "postcode"
    assert location.lat == pytest.approx(52.21350)


def test_unknown_location_has_a_dutch_way_forward(street_register):
    with pytest.raises(LocationNotFound, match=r"niet in het adresregister.*klik op de kaart"):
        resolve_location("Bestaatnietstraat")


def test_map_point_named_after_the_nearest_street(street_register):
    location = resolve_location("", 52.21352, 4.42462)
    assert location.kind == "kaart"
    assert location.street == "Omgeving Fictieweg, Katwijk"
    far = resolve_location(None, 52.15, 4.30)
    assert far.street is None
    with pytest.raises(LocationNotFound):
        resolve_location("", None, None)


def test_typed_text_wins_over_a_map_point(street_register):
    assert resolve_location("Fictieweg 1", 52.0, 4.0).lat == 52.21340


def test_find_streets_in_text_longest_first_whole_words():
    streets = [("fictieweg", "Fictieweg"), ("oude fictieweg", "Oude Fictieweg"), ("verzonnenlaan", "Verzonnenlaan")]
    text = "Man gezien op de Oude Fictieweg 2, richting Verzonnenlaan. Niet bij Fictiewegje."
    assert find_streets_in_text(text, streets) == [("Oude Fictieweg", "2"), ("Verzonnenlaan", None)]
    assert find_streets_in_text("bij de v. fictieweg", [("van fictieweg", "Van Fictieweg")]) == [
        ("Van Fictieweg", None)
    ]


def test_suggestions_from_the_police_text(street_register):
    text = (
        "Politiebericht: i.v.m. een woninginbraak in de omgeving van de Fictieweg 3 te Katwijk graag uitkijken "
        "naar een man, richting Verzonnenlaan. Informatie? Bel 112."
    )
    values = [s.value for s in suggest_locations(text)]
    assert values[0] == "Fictieweg 3, Katwijk"
    assert "Verzonnenlaan, Katwijk" in values  # the text says "te Katwijk": not Rijnsburg
    assert "Verzonnenlaan, Rijnsburg" not in values
    assert suggest_locations("Niets bijzonders hier.") == []
    assert suggest_locations("") == []


def test_suggestion_without_a_known_house_number_is_the_street(street_register):
    assert [s.value for s in suggest_locations("Inbraak Fictieweg 77")] == ["Fictieweg, Katwijk"]


def test_no_register_no_suggestions(app):
    from buurt.extensions import db

    assert db.session.scalar(db.select(Address.id).limit(1)) is None
    assert suggest_locations("Fictieweg") == []


def test_a_street_far_from_the_groups_areas_is_not_suggested(street_register, make_address):
    """The register may hold the country (issue 14, point 6): suggestions read only the streets near
    the groups' areas, so a same-named street in Groningen neither shows nor costs a full scan."""
    make_address("9711ZZ", 4, 53.2194, 6.5665, street="Verzonnenstraat Noord", place="Groningen")
    make_address("2221ZA", 9, 52.21370, 4.42500, street="Verzonnenstraat Zuid")
    values = [s.value for s in suggest_locations("Inbraak Verzonnenstraat Noord, daarna Verzonnenstraat Zuid")]
    assert values == ["Verzonnenstraat Zuid, Katwijk"]
