"""Which group covers my address: the text answer, the map of this answer, the street lists, and the service."""

import pytest

from buurt.models import ResidentStatus
from buurt.residents.lookup import LookupResult, lookup_address, make_query
from tests.residents.conftest import unavailable_geocoder_config


def lookup(client, **data):
    response = client.post("/welke-groep", data=data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lookup_page_works_without_javascript(client):
    html = client.get("/welke-groep").get_data(as_text=True)
    assert "<form" in html
    assert 'name="postcode"' in html
    assert 'name="house_number"' in html
    # the form and its answer need no script (the site-wide forms.js only moves focus after an error)
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_found_address_answers_in_text_first_then_the_map(client, addresses, group_by_key):
    html = lookup(client, postcode="2221xa", house_number="1")
    west = group_by_key["rijnsoever-west"].name
    assert f"Uw adres valt onder {west}" in html
    assert "Er is plek in de groep." in html
    assert "Aanmelden voor" in html
    assert html.index("Uw adres valt onder") < html.index("srcdoc=")
    # the map is only in this answer: no URL carries the point
    assert "52.2127" not in html.split("srcdoc=", 1)[0]


def test_the_map_highlights_the_area_and_marks_the_address(client, addresses):
    import html as htmllib
    import re

    page = lookup(client, postcode="2221XA", house_number="3")
    document = htmllib.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert "/static/vendor/leaflet/leaflet.js" in document
    assert document.count('"weight": 4') == 1  # one highlighted area
    assert "52.2096" in document
    assert "4.42125" in document
    assert "https://cdn" not in document


def test_the_answer_fills_in_the_signup_form_by_post_not_by_cookie(client, addresses):
    """The "Aanmelden voor ..." button posts the address to the form (issue 13, point 9): it fills
    the form in, stores nothing, and a plain visit to /aanmelden afterwards is empty."""
    import re

    answer = lookup(client, postcode="2221 XA", house_number="2", addition="")
    fields = dict(re.findall(r'<input type="hidden" name="(postcode|house_number|addition)" value="([^"]*)"', answer))
    assert fields == {"postcode": "2221XA", "house_number": "2", "addition": ""}
    html = client.post("/aanmelden", data={**fields, "prefill": "1"}).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="postcode"[^>]*value="2221XA"', html)
    assert re.search(r'<input[^>]*name="house_number"[^>]*value="2"', html)
    assert "2221XA" not in client.get("/aanmelden").get_data(as_text=True)


def test_lookup_by_street_and_number(client, addresses, group_by_key):
    html = lookup(client, street="Fictieweg4", house_number="4")
    assert group_by_key["rijnsoever-noord"].name in html


def test_outside_offers_nearest_group_and_contact_but_no_signup(client, addresses):
    html = lookup(client, postcode="2221XB", house_number="1")
    assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in html
    assert "De dichtstbijzijnde groep is BuurtAlarm" in html
    assert "buurtwhatsapp-rijnsoever@example.org" in html
    assert "Aanmelden voor" not in html


def test_unknown_address_says_check_and_offers_the_street_list(client, addresses):
    html = lookup(client, postcode="2221XA", house_number="99")
    assert "Dit adres kennen we niet" in html
    assert "/welke-groep/straten" in html
    assert "srcdoc" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"postcode": "0221AB", "house_number": "1"}, "begint niet met een 0"),
        ({"postcode": "2221XA", "house_number": "nul"}, "geen huisnummer"),
        ({"house_number": "1"}, "Vul een postcode of een straatnaam in."),
        ({"postcode": "2221XA", "house_number": ""}, "Vul een huisnummer in"),
    ],
)
def test_bad_input_gets_a_dutch_message_next_to_the_field(client, data, message):
    html = lookup(client, **data)
    assert message in html
    assert 'class="error"' in html


def test_full_group_says_waitlist(client, addresses, group_by_key, make_resident):
    west = group_by_key["rijnsoever-west"]
    west.capacity = 1
    make_resident(west, status=ResidentStatus.ADDED)
    html = lookup(client, postcode="2221XA", house_number="1")
    assert "De groep is vol." in html
    assert "wachtlijst" in html


def test_border_address_is_explained(client, addresses):
    html = lookup(client, postcode="2221XC", house_number="1")
    assert "dicht bij de grens met" in html


def test_streets_per_group(client, addresses, group_by_key):
    html = client.get("/welke-groep/straten").get_data(as_text=True)
    west = group_by_key["rijnsoever-west"]
    assert f"Welke straten horen bij {west.name}?" in html
    section = html.split(f'id="groep-{west.slug}"', 1)[1].split("</section>", 1)[0]
    assert "Fictieweg1" in section
    assert "Grenspad" in section
    assert "Fictieweg2" not in section
    assert "Nergensweg" not in html  # outside every area


def test_streets_page_without_register(client, groups):
    html = client.get("/welke-groep/straten").get_data(as_text=True)
    assert "nog geen adressen in het register" in html


def test_lookup_service_result_carries_everything_the_api_needs(app, addresses, group_by_key):
    result = lookup_address(make_query(postcode="2221XA", house_number="5"))
    assert isinstance(result, LookupResult)
    assert result.status == "found"
    assert result.group.id == group_by_key["rijnsoever-oost"].id
    assert result.area.key == "rijnsoever-oost"
    assert result.has_room is True
    assert result.is_border is False
    assert result.source == "register"
    assert (result.lat, result.lon) == pytest.approx((52.20864, 4.42939))
    assert result.message_nl.startswith("Uw adres valt in Rijnsoever: ")
    assert result.as_dict()["house"] == "5"
    assert lookup_address("2221XA 5").status == "found"
    assert lookup_address("").status == "invalid"
    assert lookup_address("2221XA 77").status == "unknown"
    outside = lookup_address("2221XB 1")
    assert outside.status == "outside"
    assert outside.nearest_group is not None
    assert outside.distance_m > 0
    assert outside.contact_email


def test_lookup_message_is_dutch_even_in_english(app, addresses, client):
    client.get("/welke-groep?lang=en")
    with app.test_request_context("/?lang=en"):
        assert lookup_address("2221XA 1").message_nl.startswith("Uw adres valt in Rijnsoever: ")


class TestUnavailable:
    @pytest.fixture
    def app_config(self):
        return unavailable_geocoder_config()

    def test_unreachable_geocoder_says_so_and_offers_signup(self, client, groups):
        html = lookup(client, postcode="2221XA", house_number="42")
        assert "De adreszoeker is even niet bereikbaar" in html
        assert "Toch aanmelden" in html
        assert lookup_address("2221XA 42").status == "unavailable"


def test_lookup_page_in_english(client, addresses):
    client.get("/welke-groep?lang=en")
    html = lookup(client, postcode="2221XA", house_number="1")
    assert '<html lang="en">' in html
