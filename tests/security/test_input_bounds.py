"""Issue 12, finding 12: each input that gave a 500 now gets a 404, a 400-range answer or the page.

One test per finding: ids of 2**63 in URLs, ``?pagina=`` / ``?groep=`` past any id, the date
filters at the ends of the calendar, CR/LF in the console's ``anchor`` and in ``?next=``, and a
house number of 5,000 digits on the lookup, the sign-up and the correction form. Each failed on
main before buurt.bounds (run against the old code: 500 for every one).
"""

from __future__ import annotations

import re

import pytest

from buurt.bounds import MAX_ID, parse_date, parse_id, safe_fragment
from buurt.geo.addresses import InvalidAddress, parse_house_number
from buurt.models import ResidentStatus, Role
from buurt.residents.links import my_data_link

CSRF_VALUE = re.compile(r'(?<=name="csrf_token" )(?:type="hidden" )?value="[^"]*"')

HUGE = str(2**63)
DIGITS_5000 = "9" * 5000


@pytest.fixture
def coordinator(make_user, login):
    user = make_user(Role.COORDINATOR)
    login(user)
    return user


# --- ids in URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/beheer/groep/{HUGE}",
        f"/beheer/groep/{2**31}",
        f"/beheer/groep/{HUGE}/leden.csv",
        f"/beheer/gebieden/voorstel/{HUGE}",
        f"/beheer/groep/1/bewoner/{HUGE}/verwijderen",
        f"/incidenten/{HUGE}",
        f"/meldingen/{HUGE}",
        f"/meldingen/{HUGE}/kaart",
        f"/beheer/groep/{DIGITS_5000}",
    ],
)
def test_an_id_past_any_column_is_not_found(client, coordinator, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path", [f"/incidenten/{HUGE}/verbergen", f"/meldingen/{HUGE}/afmelden", f"/beheer/groep/1/taak/{HUGE}/klaar"]
)
def test_a_post_to_an_id_past_any_column_is_not_found(client, coordinator, path):
    assert client.post(path).status_code == 404


def test_every_int_rule_uses_the_bounded_converter(app):
    from buurt.bounds import BoundedIntegerConverter

    converters = [c for rule in app.url_map.iter_rules() for c in rule._converters.values()]
    ints = [c for c in converters if type(c).__name__.endswith("IntegerConverter")]
    assert len(ints) >= 26
    assert all(isinstance(c, BoundedIntegerConverter) and c.max == MAX_ID for c in ints)


def test_the_largest_id_still_routes(client, coordinator):
    assert client.get(f"/beheer/groep/{MAX_ID}").status_code == 404  # routed, then no such group
    assert client.get("/beheer/groep/1").status_code == 200


# --- ?pagina= and ?groep= --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, DIGITS_5000, "-5", "²", "1e9", ""])
def test_a_page_number_of_any_size_shows_a_page(client, coordinator, value):
    for path in ("/beheer/audit", "/meldingen/", "/incidenten/"):
        assert client.get(path, query_string={"pagina": value}).status_code == 200, path


@pytest.mark.parametrize("value", [HUGE, DIGITS_5000, "²", "-1"])
def test_a_group_filter_that_cannot_be_an_id(client, coordinator, value):
    assert client.get("/incidenten/", query_string={"groep": value, "gebied": value}).status_code == 200
    assert client.get("/incidenten/export.csv", query_string={"groep": value}).status_code == 200
    assert client.get("/meldingen/", query_string={"group": value}).status_code == 200
    assert client.get("/beheer/dekking/kaart", query_string={"groep": value}).status_code == 404


# --- dates at the ends of the calendar -------------------------------------------------------------


@pytest.mark.parametrize(("since", "until"), [("0001-01-01", ""), ("", "9999-12-31"), ("0001-01-01", "9999-12-31")])
def test_date_filters_at_the_ends_of_the_calendar(client, coordinator, since, until):
    response = client.get("/meldingen/", query_string={"since": since, "until": until})
    assert response.status_code == 200
    assert "Kies een datum tussen 2000 en 2100." in response.get_data(as_text=True)
    response = client.get("/incidenten/", query_string={"periode": "range", "van": since, "tot": until})
    assert response.status_code == 200


def test_a_melding_at_the_start_of_the_calendar_is_refused_with_a_message(client, coordinator):
    response = client.post(
        "/meldingen/nieuw",
        data={
            "received_text": "Inbraak Fictieweg 1",
            "category": "woninginbraak",
            "occurred_at": "0001-01-01T00:00",
            "location": "Fictieweg 1",
            "radius_m": "500",
        },
    )
    assert response.status_code == 422
    assert "Kies een datum tussen 2000 en 2100." in response.get_data(as_text=True)


def test_parse_date_bounds():
    assert parse_date("2026-05-01").isoformat() == "2026-05-01"
    assert parse_date("0001-01-01") is None
    assert parse_date("9999-12-31") is None
    assert parse_date("2026-02-30") is None
    assert parse_date("٢٠٢٦-٠١-٠١") is None or parse_date("٢٠٢٦-٠١-٠١").year == 2026  # no exception either way


def test_parse_id_bounds():
    assert parse_id("12") == 12
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in (str(MAX_ID + 1), HUGE, DIGITS_5000, "0", "-1", "²", "٣", "1.0", "", None):
        assert parse_id(text) is None, text


# --- CR/LF into a header ---------------------------------------------------------------------------


def test_crlf_in_the_console_anchor_is_not_a_header(client, groups, make_user, make_resident, login):
    group = groups[0]
    login(make_user(Role.BEHEERDER, groups=[group]))
    resident = make_resident(group, status=ResidentStatus.PENDING)
    response = client.post(
        f"/beheer/groep/{group.id}/bewoner/{resident.id}/toegevoegd", data={"anchor": "wachtrij\r\nSet-Cookie: x=1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#wachtrij")
    assert "Set-Cookie" not in response.headers.get("Location", "")
    kept = client.post(f"/beheer/groep/{group.id}/bewoner/{resident.id}/opnieuw", data={"anchor": "grens"})
    assert kept.headers["Location"].endswith("#grens")


def test_safe_fragment():
    assert safe_fragment("leden", "wachtrij") == "leden"
    for bad in ("a\r\nb", "x" * 31, '"><script>', "", None, "#x", "Leden"):
        assert safe_fragment(bad, "wachtrij") == "wachtrij"


def test_crlf_in_next_after_login_goes_to_the_landing_page(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user(Role.COORDINATOR)
    response = client.post(
        "/inloggen",
        query_string={"next": "/beheer/\r\nSet-Cookie: x=1"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "\r" not in response.headers["Location"]
    assert response.headers["Location"].endswith("/beheer/")


def test_a_json_body_that_is_not_an_object(client, coordinator):
    for body in ([1, 2], "tekst", 3, None):
        assert client.post("/meldingen/locatie-voorstel", json=body).status_code == 200


# --- a house number of 5,000 digits ----------------------------------------------------------------


def test_parse_house_number_refuses_long_text_before_int():
    with pytest.raises(InvalidAddress) as error:
        parse_house_number(DIGITS_5000)
    assert len(error.value.message) < 200  # the message does not echo the input
    with pytest.raises(InvalidAddress):
        parse_house_number("1" * 21)
    assert parse_house_number("12 a-3").number == 12


def test_a_5000_digit_house_number_on_the_lookup(client):
    response = client.post("/welke-groep", data={"postcode": "2221AA", "house_number": DIGITS_5000})
    assert response.status_code < 500
    assert "Een huisnummer is korter." in response.get_data(as_text=True)


def test_a_5000_digit_house_number_on_the_sign_up(client):
    response = client.post(
        "/aanmelden",
        data={
            "name": "Fictief Persoon",
            "postcode": "2221AA",
            "house_number": DIGITS_5000,
            "phone": "0612345678",
            "household_size": "1",
            "consent_privacy": "y",
            "consent_rules": "y",
            "consent_age": "y",
        },
    )
    assert response.status_code < 500
    assert "Een huisnummer is korter." in response.get_data(as_text=True)


def test_a_5000_digit_house_number_on_the_correction_form(app, client, groups, make_resident):
    resident = make_resident(groups[0], status=ResidentStatus.ADDED)
    token = my_data_link(resident).split("#", 1)[1]
    response = client.post(
        "/mijn-gegevens/wijzigen",
        data={
            "token": token,
            "name": resident.name,
            "phone": "0612345678",
            "postcode": "2221AA",
            "house_number": DIGITS_5000,
            "household_size": "1",
        },
    )
    assert response.status_code < 500


# --- NUL bytes (PostgreSQL refuses them in any text value: a DataError, a 500) ---------------------


def without_csrf(response) -> str:
    """The page without its CSRF tokens: a token is signed with the current second, so two pages a
    second apart differ there (the logout form in the header is on every page of a logged-in user)."""
    return CSRF_VALUE.sub('value="csrf"', response.get_data(as_text=True))


def test_a_nul_byte_is_dropped_from_form_fields_and_refused_elsewhere(client, coordinator, groups):
    assert client.get("/beheer/audit", query_string={"actie": "a\x00b"}).status_code == 400
    assert client.get("/incidenten/", query_string={"a\x00": "1"}).status_code == 400
    assert client.post("/meldingen/locatie-voorstel", json={"text": "Fictieweg\x00"}).status_code == 400
    # in a form a person typed (or pasted) into, the NUL goes and the rest is kept: the same answer
    typed = client.post("/welke-groep", data={"postcode": "2221AA", "house_number": "1"})
    pasted = client.post("/welke-groep", data={"postcode": "2221AA", "house_number": "1\x00"})
    assert (pasted.status_code, without_csrf(pasted)) == (typed.status_code, without_csrf(typed))
    assert client.get("/beheer/audit", query_string={"actie": "bekeken"}).status_code == 200
