"""A street typed without postcode, whose last two numbers can be read two ways (issue 14, point 5).

"Proefstraat 12 3" is street "Proefstraat 12" number 3 when such a street exists (streets hold
numbers: "Plein 1945", "Kamp 20"), and otherwise "Proefstraat" 12-3 (Amsterdam writes 239-1 as
"239 1"). The parser cannot know which (``ParsedAddress.readings``); the register and PDOK, asked
with every reading in turn, do. Every street here is fictional; the PDOK docs are built on the
reconstructed real doc form of ``tests/geo/test_online_choice.py``.
"""

from __future__ import annotations

import pytest

from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.geo.register import MemoryRegister, RegisterGeocoder
from buurt.geo.register_io import AddressRecord
from tests.geo.test_online_choice import flat_doc, pdok_for
from tests.geocoder_support import FakePDOK


def record(street: str, number: int, addition: str | None = None) -> AddressRecord:
    return AddressRecord("2221ZX", number, None, addition, street, "Katwijk", 52.21, 4.42)


@pytest.mark.parametrize(
    ("typed", "street", "house"),
    [
        ("Proefstraat 12 3, Katwijk", "Proefstraat", HouseNumber(12, None, "3")),  # only 12-3 exists
        ("Plein 1946 7, Katwijk", "Plein 1946", HouseNumber(7)),  # the street holds the number
        ("Verzonnenkamp 20 38", "Verzonnenkamp 20", HouseNumber(38)),
    ],
)
def test_the_register_finds_the_reading_that_exists(typed, street, house):
    register = MemoryRegister([record("Proefstraat", 12, "3"), record("Plein 1946", 7), record("Verzonnenkamp 20", 38)])
    hit = RegisterGeocoder(register).geocode(AddressQuery.from_text(typed))
    assert (hit.street, hit.house_number) == (street, house)


def test_the_second_reading_offers_a_choice_when_its_number_has_several_addresses():
    register = MemoryRegister([record("Proefstraat", 12, "1"), record("Proefstraat", 12, "2")])
    with pytest.raises(HouseChoiceNeeded) as caught:
        RegisterGeocoder(register).geocode(AddressQuery.from_text("Proefstraat 12 3"))
    assert caught.value.choice.houses == (HouseNumber(12, None, "1"), HouseNumber(12, None, "2"))


def test_a_query_without_a_second_reading_is_asked_once():
    assert len(AddressQuery.from_text("Proefstraat 12").readings()) == 1
    assert len(AddressQuery.from_text("2221ZX 12 3").readings()) == 1  # a postcode decides


def test_pdok_is_asked_with_the_second_reading_when_the_first_street_does_not_exist():
    docs = [flat_doc("3", street="Proefstraat", postcode="2221ZX", number=12)]
    with FakePDOK(docs=docs) as server:
        hit = pdok_for(server).geocode(AddressQuery.from_text("Proefstraat 12 3, Katwijk"))
        asked = [dict(request.filters).get("huisnummer") for request in server.requests]
    assert (hit.street, hit.house_number, hit.postcode) == ("Proefstraat", HouseNumber(12, None, "3"), "2221ZX")
    assert asked[0] == "3"  # street "Proefstraat 12", number 3: no such street
    assert "12" in asked[1:]
