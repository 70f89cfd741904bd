"""POST /api/v1/lookup and `flask buurt which` at a number with several addresses (issue 14,
point 2): status "choose" with every address at the number as `candidates`, and street, place
and postcode to check. Fictional register: tests.house_choice_support (Proefstraat, 2221 CM).
"""

from __future__ import annotations

import pytest

from tests.house_choice_support import make_proefstraat


@pytest.fixture
def proefstraat(make_address, groups):
    make_proefstraat(make_address)


def lookup(client, **body):
    return client.post("/api/v1/lookup", json=body)


@pytest.mark.parametrize(
    "body",
    [
        {"postcode": "2221 cm", "huisnummer": "7"},
        {"postcode": "2221CM", "huisnummer": "7", "toevoeging": "9"},
        {"q": "Proefstraat 7, Katwijk"},
        {"q": "2221CM 7-4"},
    ],
)
def test_a_number_with_several_addresses_answers_choose_with_candidates(client, proefstraat, body):
    response = lookup(client, **body)
    assert response.status_code == 404  # like "unknown": no single address, no group
    data = response.get_json()
    assert data["status"] == "choose"
    assert (data["street"], data["place"], data["postcode"]) == ("Proefstraat", "Katwijk", "2221CM")
    assert data["candidates"] == [
        {
            "house": "7-1",
            "huisnummer": 7,
            "huisletter": None,
            "toevoeging": "1",
            "address": "Proefstraat 7-1, 2221 CM Katwijk",
        },
        {
            "house": "7-2",
            "huisnummer": 7,
            "huisletter": None,
            "toevoeging": "2",
            "address": "Proefstraat 7-2, 2221 CM Katwijk",
        },
        {
            "house": "7-3a",
            "huisnummer": 7,
            "huisletter": None,
            "toevoeging": "3A",
            "address": "Proefstraat 7-3a, 2221 CM Katwijk",
        },
    ]
    assert data["group"] is None
    assert data["lat"] is None
    assert "Proefstraat 7, Katwijk" in data["message"]
    assert response.headers.get("Cache-Control") != "public"


def test_a_candidate_looks_up_as_found(client, proefstraat, groups):
    candidate = lookup(client, postcode="2221CM", huisnummer="7").get_json()["candidates"][1]
    response = lookup(
        client, postcode="2221CM", huisnummer=str(candidate["huisnummer"]), toevoeging=candidate["toevoeging"]
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "found"


def test_a_huisletter_candidate(client, proefstraat):
    data = lookup(client, postcode="2221CM", huisnummer="9", toevoeging="b").get_json()
    assert data["candidates"] == [
        {
            "house": "9a",
            "huisnummer": 9,
            "huisletter": "A",
            "toevoeging": None,
            "address": "Proefstraat 9a, 2221 CM Katwijk",
        }
    ]


@pytest.mark.parametrize("body", [{"postcode": "2221CM", "huisnummer": "105", "toevoeging": "H"}, {"q": "2221CM 105H"}])
def test_a_one_letter_toevoeging_is_found(client, proefstraat, body):
    response = lookup(client, **body)
    assert response.status_code == 200
    assert response.get_json()["status"] == "found"


def test_other_answers_have_no_candidates(client, proefstraat):
    data = lookup(client, postcode="2221CM", huisnummer="8").get_json()
    assert data["status"] == "unknown"
    assert "candidates" not in data


def test_a_block_of_flats_is_complete_and_in_order(client, make_address, groups):
    make_proefstraat(make_address, flats=250)
    data = lookup(client, postcode="2221CM", huisnummer="20").get_json()
    assert [c["house"] for c in data["candidates"]] == [f"20-{n}" for n in range(1, 251)]


def test_which_prints_the_candidates(runner, proefstraat):
    result = runner.invoke(args=["buurt", "which", "2221 CM 7"])
    assert result.exit_code == 1
    assert "status: choose" in result.output
    assert "candidates (3):" in result.output
    assert "7-2        Proefstraat 7-2, 2221 CM Katwijk" in result.output
    assert "street: Proefstraat" in result.output


# --- the sign-up form's check (static/js/address-check.js) --------------------------------------


def check(client, **body):
    return client.post("/api/v1/address-check", json=body)


def test_address_check_gives_the_toevoegingen_with_200_and_no_group(client, proefstraat):
    response = check(client, postcode="2221 CM", huisnummer="7", toevoeging="")
    assert response.status_code == 200  # the script's fetch: no console error for a 404
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["status"] == "choose"
    assert [c["house"] for c in data["candidates"]] == ["7-1", "7-2", "7-3a"]
    assert (data["street"], data["place"]) == ("Proefstraat", "Katwijk")
    assert "group" not in data
    assert "lat" not in data


def test_address_check_found_unknown_and_invalid(client, proefstraat):
    assert check(client, postcode="2221CM", huisnummer="105", toevoeging="h").get_json() == {
        "status": "found",
        "address": "Proefstraat 105-H, 2221 CM Katwijk",
    }
    assert check(client, postcode="2221CM", huisnummer="8").get_json() == {"status": "unknown"}
    assert check(client, postcode="2221", huisnummer="8").get_json() == {"status": "invalid"}
    assert check(client, postcode="", huisnummer="").get_json() == {"status": "invalid"}
    assert check(client, postcode=["x"], huisnummer="8").status_code == 400
    assert client.get("/api/v1/address-check").status_code == 405


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_LOOKUP": "2 per minute"}

    def test_address_check_is_rate_limited_like_the_lookup(self, client, proefstraat):
        statuses = [check(client, postcode="2221CM", huisnummer="7").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
