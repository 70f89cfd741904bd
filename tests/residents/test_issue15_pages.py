"""Issue 15 on the residents' pages, over plain HTTP: the answer is an anchor the form lands on, an
unknown address leads to the sign-up map, a tap on the map needs "yes, that is my house", one error
summary per form, and the words (limits that match the field, 112 as a tel: link)."""

from __future__ import annotations

import re

import pytest

from buurt.residents.links import my_data_link
from tests.house_choice_support import make_proefstraat
from tests.link_support import open_link, post_link
from tests.residents.conftest import INSIDE, form, residents


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def signup(client, **overrides):
    return client.post("/aanmelden", data=form(**overrides))


# --- landing on the answer -------------------------------------------------------------------------


def test_the_lookup_form_posts_to_the_answer_which_takes_focus(client, addresses):
    page = client.get("/welke-groep").get_data(as_text=True)
    assert 'action="/welke-groep#antwoord"' in page
    answer = client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"}).get_data(as_text=True)
    assert re.search(r'<section[^>]*tabindex="-1"[^>]*id="antwoord"', answer)
    assert "/static/js/answer.js" in answer


def test_the_short_signup_under_the_answer_signs_up_with_the_address_of_the_answer(client, addresses, group_by_key):
    """Name, number and two ticks right under "Uw adres valt onder ...": no second form to fill in."""
    answer = client.post("/welke-groep", data={"postcode": "2221 XA", "house_number": "1"}).get_data(as_text=True)
    quick = answer.split('class="quick-signup"', 1)[1].split("</form>", 1)[0]
    hidden = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', quick))
    hidden.update(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', quick))
    assert {"postcode": "2221XA", "house_number": "1", "household_size": "1"}.items() <= hidden.items()
    assert hidden["once"]
    for name in ("name", "phone", "consent_privacy", "consent_rules"):
        assert f'name="{name}"' in quick
    data = {**hidden, "name": "Fictief Kort", "phone": "06 12345678", "consent_privacy": "y", "consent_rules": "y"}
    assert client.post("/aanmelden", data=data).status_code == 302
    [resident] = residents()
    assert resident.group_id == group_by_key["rijnsoever-west"].id
    assert resident.household_size == 1


# --- the unknown address and the map ---------------------------------------------------------------


def test_an_unknown_address_leads_to_the_signup_form_with_the_map_open(client, addresses):
    answer = client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "99"}).get_data(as_text=True)
    section = answer.split('id="antwoord"', 1)[1].split("</section>", 1)[0]
    assert "Dit adres kennen we niet" in section
    assert 'action="/aanmelden"' in section
    assert 'name="prefill" value="map"' in section
    hidden = r'<input type="hidden" name="(postcode|house_number|addition)" value="([^"]*)"'
    fields = dict(re.findall(hidden, section))
    page = client.post("/aanmelden", data={**fields, "prefill": "map"}).get_data(as_text=True)
    assert 'id="pick-map"' in page
    assert re.search(r'<input[^>]*name="house_number"[^>]*value="99"', page)
    assert residents() == []


def test_the_map_starts_at_the_postcode_and_offers_the_register_streets(client, addresses):
    """2221XA is known (its number 99 is not): the first view is its middle at the public zoom, and
    the street search lists the streets of the street list with their boxes."""
    page = signup(client, house_number="99").get_data(as_text=True)
    picker = re.search(r"<div id=\"pick-map\"[^>]*>", page).group(0)
    assert "data-keep-view" in picker
    lat, lon = (float(v) for v in re.search(r'data-center="([^"]+)"', picker).group(1).split(","))
    middle = [INSIDE[k] for k in INSIDE]
    assert lat == pytest.approx(sum(p[0] for p in middle) / 5, abs=1e-5)
    assert lon == pytest.approx(sum(p[1] for p in middle) / 5, abs=1e-5)
    assert 'data-zoom="15"' in picker
    options = dict(re.findall(r'<option value="([^"]+)" data-bbox="([^"]+)">', page))
    assert set(options) == {f"Fictieweg{n}" for n in range(1, 6)} | {"Grenspad"}  # not Nergensweg (outside)
    south, west, north, east = (float(v) for v in options["Fictieweg3"].split(","))
    assert (south, west) == pytest.approx(INSIDE["rijnsoever-midden-zuid"], abs=1e-6) == (north, east)


def test_an_unknown_postcode_starts_over_the_whole_neighbourhood(client, addresses):
    page = signup(client, postcode="2221ZZ", house_number="99").get_data(as_text=True)
    picker = re.search(r"<div id=\"pick-map\"[^>]*>", page).group(0)
    assert "data-keep-view" not in picker  # the outlines fit the view


def test_a_pick_without_yes_is_refused_with_its_area_and_keeps_what_was_typed(client, addresses, group_by_key):
    lat, lon = INSIDE["rijnsoever-midden-zuid"]
    typed = {"name": "Fictief Tikker", "email": "tikker@example.org", "household_size": "3"}
    response = signup(client, house_number="99", pick_lat=str(lat), pick_lon=str(lon), **typed)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    group = group_by_key["rijnsoever-midden-zuid"].name
    summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert "U koos een plek in gebied" in text_of(summary)
    assert f"(groep {group}). Klopt dat?" in text_of(summary)
    assert 'href="#pick_confirmed"' in summary
    assert re.search(r'<input[^>]*id="pick_confirmed"', page)
    for value in ("Fictief Tikker", "tikker@example.org", str(lat)):
        assert f'value="{value}"' in page
    assert re.search(r'<input[^>]*name="household_size"[^>]*value="3"', page)
    assert residents() == []
    confirmed = signup(client, house_number="99", pick_lat=str(lat), pick_lon=str(lon), pick_confirmed="y")
    assert confirmed.status_code == 302
    [resident] = residents()
    assert resident.group_id == group_by_key["rijnsoever-midden-zuid"].id
    assert resident.location_from_map


def test_a_yes_without_a_point_changes_nothing(client, addresses):
    page = signup(client, house_number="99", pick_confirmed="y").get_data(as_text=True)
    assert "We kunnen dit adres niet vinden" in page
    assert residents() == []


# --- one error summary per form ----------------------------------------------------------------------


def summaries(html: str) -> list[str]:
    return re.findall(r'<div class="error-summary"[^>]*data-error-summary>(.*?)</div>', html, re.S)


def test_each_resident_form_has_one_summary_that_links_to_its_fields(client, addresses):
    lookup = client.post("/welke-groep", data={"postcode": "", "house_number": ""}).get_data(as_text=True)
    [summary] = summaries(lookup)
    assert 'href="#postcode"' in summary
    assert 'href="#house_number"' in summary
    page = signup(client, name="", phone="", consent_privacy=None).get_data(as_text=True)
    [summary] = summaries(page)
    for field in ("name", "phone", "consent_privacy"):
        assert f'href="#{field}"' in summary
    assert "Niet alles is goed ingevuld. Kijk bij" not in page  # the old ad-hoc alert
    assert page.count('role="alert"') == 1
    hint = "Zoals de beheerder u in WhatsApp kan herkennen"
    assert hint in page.split('id="name-error"', 1)[0].rsplit('<div class="field', 1)[1]  # the hint stays
    request = client.post("/mijn-gegevens", data={"contact": ""}).get_data(as_text=True)
    assert 'href="#contact"' in summaries(request)[0]


def test_the_house_choice_is_in_the_summary_not_an_alert_of_its_own(client, make_address, groups):
    make_proefstraat(make_address)
    page = signup(client, postcode="2221CM", house_number="7").get_data(as_text=True)
    [summary] = summaries(page)
    assert "zijn meer adressen" in summary
    assert 'href="#addition"' in summary
    assert re.search(r'<input type="radio" name="addition" value="[^"]*" id="addition">', page)
    assert page.count('role="alert"') == 1


def test_my_data_forms_have_their_summary(client, make_resident, group_by_key):
    resident = make_resident(group_by_key["rijnsoever-west"], name="Fictief Lid", phone_e164="+31687654321")
    link = my_data_link(resident)
    assert open_link(client, link).status_code == 200
    page = post_link(client, link, "/mijn-gegevens/wijzigen", {"name": "", "phone": "06 1"}).get_data(as_text=True)
    [summary] = summaries(page)
    assert 'href="#name"' in summary
    assert 'href="#phone"' in summary
    page = post_link(client, link, "/mijn-gegevens/verwijderen", {}).get_data(as_text=True)
    [summary] = summaries(page)
    assert 'href="#confirm"' in summary


# --- words -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/welke-groep", "/aanmelden"])
def test_a_length_message_states_the_fields_own_limit(client, addresses, path):
    data = {"postcode": "2221XA", "house_number": "1", "addition": "x" * 7}
    page = client.post(path, data=form(**data) if path == "/aanmelden" else data).get_data(as_text=True)
    limit = re.search(r'<input[^>]*id="addition"[^>]*maxlength="(\d+)"|maxlength="(\d+)"[^>]*id="addition"', page)
    limit = next(n for n in limit.groups() if n)
    assert f"hoogstens {limit} tekens" in page


def test_112_is_a_phone_link_on_the_resident_pages(client):
    for path in ("/aanmelden", "/regels"):
        assert '<a href="tel:112">112</a>' in client.get(path).get_data(as_text=True), path


def test_the_home_page_speaks_plain_dutch(client):
    words = text_of(client.get("/").get_data(as_text=True))
    for word in ("indicatief", "Bezetting", "bezetting"):
        assert word not in words
