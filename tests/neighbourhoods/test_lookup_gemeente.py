"""One lookup for all of Katwijk (issue 18, point 3): an address anywhere in the gemeente finds its
neighbourhood and group, from any neighbourhood's page, the API and the CLI; an address between
neighbourhoods gets the nearest group and says so; a routing-only neighbourhood's residents are
sent to its own sign-up; street lists per neighbourhood.

Every address here is fictional (postcodes 2299 AA-AZ, "Fictie..." streets), placed at points of
the shipped CBS 2024 buurten; each test checks the geometry it relies on before it relies on it.
"""

from __future__ import annotations

import re

import pytest

from buurt.areas.services import in_gemeente, place
from buurt.extensions import db
from buurt.models import Group, Neighbourhood, Resident
from buurt.residents.lookup import lookup_address, neighbourhood_centre, street_extents
from buurt.residents.signup import is_nearest_group_signup
from tests.conftest import make_second_neighbourhood

# Points (lat, lon) in the shipped CBS 2024 buurten of Katwijk
RIJNSOEVER_WEST = (52.2127, 4.41397)
HOORNES_WEST = (52.20714, 4.41478)
HOORNES_OOST_GAP = (52.20405, 4.42091)  # in Hoornes-Oost, ~123 m from Hoornes-West, ~390 m from Rijnsoever-Oost
ZUIDDUINEN = (52.17894, 4.39797)  # in the gemeente, kilometres from every area used here
DUYFRAK = (52.17644, 4.44081)  # 't Duyfrak (Valkenburg)
NORTH_OF_KATWIJK = (52.2400, 4.4200)  # ~2 km north of the gemeente

FORM = {
    "name": "Fictief Persoon",
    "phone": "06 12345678",
    "email": "",
    "household_size": "1",
    "consent_privacy": "y",
    "consent_rules": "y",
    "consent_age": "y",
    "website": "",
    "addition": "",
}


def signup_form(postcode: str, number: int = 1, **overrides) -> dict:
    return {**FORM, "postcode": postcode, "house_number": str(number), **overrides}


def ask(client, path: str, postcode: str, number: int = 1) -> str:
    response = client.post(path, data={"postcode": postcode, "house_number": str(number)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def answer_of(html: str) -> str:
    return html.split('id="antwoord"', 1)[1].split("</section>", 1)[0]


def resident_count() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count(Resident.id)))


def group_named(hood: Neighbourhood, name: str) -> Group:
    return db.session.scalar(db.select(Group).filter_by(neighbourhood_id=hood.id, name=name))


@pytest.fixture
def katwijk(hoornes, make_address):
    """Rijnsoever and Hoornes, one fictional register address in Rijnsoever-West and one in Hoornes-West."""
    make_address(postcode="2299AA", number=1, lat=RIJNSOEVER_WEST[0], lon=RIJNSOEVER_WEST[1], street="Fictieweg")
    make_address(postcode="2299AB", number=1, lat=HOORNES_WEST[0], lon=HOORNES_WEST[1], street="Fictiehoornes")
    return hoornes


@pytest.fixture
def hoornes_west_only(app, make_address):
    """A second neighbourhood of Hoornes-West alone: Hoornes-Oost is a gap inside the gemeente."""
    hood = make_second_neighbourhood(codes=("BU05370103",))
    make_address(postcode="2299AC", number=1, lat=HOORNES_OOST_GAP[0], lon=HOORNES_OOST_GAP[1], street="Fictiegat")
    make_address(postcode="2299AD", number=1, lat=ZUIDDUINEN[0], lon=ZUIDDUINEN[1], street="Fictieduin")
    make_address(postcode="2299AE", number=1, lat=NORTH_OF_KATWIJK[0], lon=NORTH_OF_KATWIJK[1], street="Fictiezee")
    return hood


@pytest.fixture
def duyfrak(app, make_address):
    """'t Duyfrak as a routing-only neighbourhood: its residents sign up at its own site."""
    hood = make_second_neighbourhood(codes=("BU05370802",), slug="duyfrak", name="'t Duyfrak")
    hood.routing_only = True
    hood.signup_url = "https://duyfrak.example.org/aanmelden"
    db.session.commit()
    make_address(postcode="2299AF", number=1, lat=DUYFRAK[0], lon=DUYFRAK[1], street="Fictiefrak")
    return hood


# --- found in any neighbourhood, from any neighbourhood's page ------------------------------------


def test_a_hoornes_address_is_found_from_the_default_page_and_from_hoornes(client, katwijk):
    for path in ("/welke-groep", "/hoornes/welke-groep"):
        html = ask(client, path, "2299AB")
        answer = answer_of(html)
        assert "Uw adres valt onder BuurtAlarm Hoornes-West" in answer, path
        assert "Uw adres valt in Hoornes: BuurtAlarm Hoornes-West, gebied Hoornes-West." in answer, path
        # both sign-up forms post to Hoornes' sign-up
        assert set(re.findall(r'<form method="post" action="([^"]+)"', answer)) == {"/hoornes/aanmelden"}, path
    assert "Deze pagina is van Rijnsoever; uw adres hoort bij Hoornes." in ask(client, "/welke-groep", "2299AB")
    assert "Deze pagina is van" not in ask(client, "/hoornes/welke-groep", "2299AB")


def test_a_rijnsoever_address_on_the_hoornes_page_is_answered_in_full(client, katwijk):
    answer = answer_of(ask(client, "/hoornes/welke-groep", "2299AA"))
    assert "Uw adres valt in Rijnsoever: BuurtAlarm Rijnsoever-West" in answer
    assert "Deze pagina is van Hoornes; uw adres hoort bij Rijnsoever." in answer
    assert set(re.findall(r'<form method="post" action="([^"]+)"', answer)) == {"/aanmelden"}
    result = lookup_address("2299AA 1")
    assert result.message_nl.startswith("Uw adres valt in Rijnsoever: BuurtAlarm Rijnsoever-West")
    assert (result.neighbourhood.slug, result.is_nearest) == ("rijnsoever", False)


def test_signing_up_for_hoornes_from_the_default_form_stores_the_hoornes_group(client, katwijk):
    response = client.post("/aanmelden", data=signup_form("2299AB"))
    assert response.status_code == 302
    [resident] = db.session.scalars(db.select(Resident)).all()
    assert resident.group_id == group_named(katwijk, "BuurtAlarm Hoornes-West").id
    assert not is_nearest_group_signup(resident)


def test_a_border_between_two_neighbourhoods_names_both(app, katwijk, client, make_address):
    (lat_a, lon_a), (lat_b, lon_b) = HOORNES_WEST, RIJNSOEVER_WEST
    assert place(lat_a, lon_a).area.neighbourhood_id == katwijk.id
    for _ in range(40):  # bisection to within millimetres of the border, on the Hoornes side
        lat_m, lon_m = (lat_a + lat_b) / 2, (lon_a + lon_b) / 2
        placed = place(lat_m, lon_m).area
        if placed is not None and placed.neighbourhood_id == katwijk.id:
            lat_a, lon_a = lat_m, lon_m
        else:
            lat_b, lon_b = lat_m, lon_m
    placement = place(lat_a, lon_a)
    assert placement.is_border
    assert placement.other.neighbourhood_id != katwijk.id
    make_address(postcode="2299AG", number=1, lat=lat_a, lon=lon_a, street="Fictiegrens")
    result = lookup_address("2299AG 1")
    assert result.is_border
    assert result.other_neighbourhood.slug == "rijnsoever"
    assert "dicht bij de grens tussen Hoornes en Rijnsoever" in result.message_nl
    answer = answer_of(ask(client, "/hoornes/welke-groep", "2299AG"))
    assert f"Uw adres ligt dicht bij de grens met {placement.other.group_name} in Rijnsoever" in answer


# --- between neighbourhoods: the nearest group ---------------------------------------------------


def test_an_address_between_neighbourhoods_gets_the_nearest_group_and_may_sign_up(client, hoornes_west_only):
    lat, lon = HOORNES_OOST_GAP
    placement = place(lat, lon)
    assert placement.area is None
    assert in_gemeente(lat, lon)
    assert placement.other.group_name == "BuurtAlarm Hoornes-West"
    assert placement.distance_m < 750

    result = lookup_address("2299AC 1")
    assert result.status == "found"
    assert result.is_nearest
    assert result.group.name == "BuurtAlarm Hoornes-West"
    assert result.neighbourhood.slug == "hoornes"
    assert result.message_nl.startswith(
        f"Uw adres valt tussen twee buurten; de dichtstbijzijnde groep is BuurtAlarm Hoornes-West (Hoornes), "
        f"op {round(placement.distance_m)} m."
    )
    answer = answer_of(ask(client, "/welke-groep", "2299AC"))
    assert "data-nearest" in answer
    assert "Uw adres valt tussen twee buurten" in answer

    assert client.post("/hoornes/aanmelden", data=signup_form("2299AC")).status_code == 302
    [resident] = db.session.scalars(db.select(Resident)).all()
    assert resident.group_id == group_named(hoornes_west_only, "BuurtAlarm Hoornes-West").id
    assert is_nearest_group_signup(resident)  # what the beheerders see: to check, in no area
    assert resident.needs_review
    assert resident.area_id is None
    assert resident.border_distance_m == pytest.approx(placement.distance_m, abs=0.1)


def test_nearest_group_only_within_the_limit(app, hoornes_west_only):
    app.config["NEAREST_GROUP_MAX_M"] = 50.0  # the gap address is ~123 m away
    result = lookup_address("2299AC 1")
    assert result.status == "outside"
    assert result.nearest_group.name == "BuurtAlarm Hoornes-West"


def test_far_from_every_area_or_outside_the_gemeente_stays_outside(client, hoornes_west_only):
    assert in_gemeente(*ZUIDDUINEN)
    assert not in_gemeente(*NORTH_OF_KATWIJK)
    for postcode in ("2299AD", "2299AE"):
        result = lookup_address(f"{postcode} 1")
        assert result.status == "outside", postcode
        assert not result.is_nearest, postcode
        assert result.nearest_group is not None
        assert result.nearest_neighbourhood is not None
        assert result.contact_email == result.nearest_neighbourhood.contact_email
        html = ask(client, "/hoornes/welke-groep", postcode)
        assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in answer_of(html)
        assert 'class="quick-signup"' not in html
        response = client.post("/hoornes/aanmelden", data=signup_form(postcode))
        assert response.status_code == 200
        assert "Dit adres ligt buiten de gebieden van de buurtgroepen" in response.get_data(as_text=True)
    assert resident_count() == 0


# --- routing-only neighbourhoods -----------------------------------------------------------------


def test_a_routing_only_address_is_sent_to_its_own_signup_and_ours_stores_nothing(client, duyfrak):
    result = lookup_address("2299AF 1")
    assert result.found
    assert result.signs_up_elsewhere
    answer = answer_of(ask(client, "/welke-groep", "2299AF"))
    assert 'href="https://duyfrak.example.org/aanmelden"' in answer
    assert "quick-signup" not in answer
    assert 'name="prefill"' not in answer

    for path in ("/aanmelden", "/rijnsoever/aanmelden"):
        response = client.post(path, data=signup_form("2299AF"))
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "melden zich aan via de eigen aanmelding van &#39;t Duyfrak" in html, path
        assert 'href="https://duyfrak.example.org/aanmelden"' in html, path
    assert resident_count() == 0


def test_the_routing_only_neighbourhoods_signup_page_has_no_form(client, duyfrak, make_address):
    make_address(postcode="2299AA", number=1, lat=RIJNSOEVER_WEST[0], lon=RIJNSOEVER_WEST[1], street="Fictieweg")
    html = client.get("/duyfrak/aanmelden").get_data(as_text=True)
    assert "data-signup-elsewhere" in html
    assert 'id="aanmeldformulier"' not in html
    assert 'href="https://duyfrak.example.org/aanmelden"' in html
    # a post (a stale form, a script) stores nothing either, whatever address it carries
    assert client.post("/duyfrak/aanmelden", data=signup_form("2299AA")).status_code == 200
    assert resident_count() == 0


# --- API and CLI ---------------------------------------------------------------------------------


def test_the_api_and_the_cli_name_the_neighbourhood(client, runner, katwijk):
    response = client.post("/api/v1/lookup", json={"postcode": "2299AB", "huisnummer": "1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "found"
    assert body["group"]["name"] == "BuurtAlarm Hoornes-West"
    assert body["neighbourhood"] == {
        "slug": "hoornes",
        "name": "Hoornes",
        "routing_only": False,
        "signup_url": None,
        "contact_email": "hoornes@example.org",
    }
    assert body["nearest"] is False
    assert body["signup_elsewhere"] is False
    at = client.post("/api/v1/areas/at", json={"lat": HOORNES_WEST[0], "lon": HOORNES_WEST[1]}).get_json()
    assert at["neighbourhood"]["slug"] == "hoornes"
    result = runner.invoke(args=["buurt", "which", "2299AB 1"])
    assert result.exit_code == 0
    assert "neighbourhood: slug=hoornes, name=Hoornes" in result.output


# --- escaping and street lists -------------------------------------------------------------------


def test_script_in_a_neighbourhood_name_is_escaped_in_the_answer(client, katwijk):
    katwijk.name = "<script>alert(1)</script>Hoornes"
    db.session.commit()
    html = ask(client, "/welke-groep", "2299AB")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Hoornes" in answer_of(html)


def test_street_lists_per_neighbourhood(client, katwijk):
    hoornes = client.get("/hoornes/welke-groep/straten").get_data(as_text=True)
    default = client.get("/welke-groep/straten").get_data(as_text=True)
    assert "BuurtAlarm Hoornes-West" in hoornes
    assert "Fictiehoornes" in hoornes
    assert "BuurtAlarm Rijnsoever-West" not in hoornes
    assert "Fictieweg" not in hoornes
    assert "BuurtAlarm Rijnsoever-West" in default
    assert "Fictieweg" in default
    assert "Hoornes-West" not in default
    assert "Fictiehoornes" not in default


def test_the_signup_maps_street_search_and_first_view_follow_the_neighbourhood(app, katwijk, rijnsoever):
    assert [street.name for street in street_extents(katwijk)] == ["Fictiehoornes"]
    assert [street.name for street in street_extents(rijnsoever)] == ["Fictieweg"]
    lat, lon = neighbourhood_centre(katwijk)
    assert place(lat, lon).area.neighbourhood_id == katwijk.id
