"""A melding at a number with several addresses (issue 14, point 2) falls back to the street, like
a number that is not there, instead of a 500. Fictional register: tests.house_choice_support."""

import pytest

from buurt.meldingen.location import resolve_location
from tests.house_choice_support import WEST, make_proefstraat

pytestmark = pytest.mark.usefixtures("request_ctx")


@pytest.mark.parametrize("typed", ["Proefstraat 7", "2221 CM 7", "Proefstraat 7-9, Katwijk"])
def test_a_number_with_several_addresses_gives_the_street(make_address, typed):
    make_proefstraat(make_address)
    location = resolve_location(typed)
    assert location.kind == "straat"
    assert "huisnummer 7" in location.label
    assert location.lat == pytest.approx(WEST[0], abs=0.001)
    assert location.street == "Omgeving Proefstraat, Katwijk"


def test_the_exact_address_is_still_an_address(make_address):
    make_proefstraat(make_address)
    location = resolve_location("2221CM 7-3a")
    assert location.kind == "adres"
