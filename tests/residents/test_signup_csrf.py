"""The sign-up form with CSRF protection switched on, as in production."""

import pytest

from tests.conftest import csrf_token_from
from tests.residents.conftest import form, residents


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_signup_with_the_token_from_the_form_is_stored(client, addresses):
    token = csrf_token_from(client.get("/aanmelden").get_data(as_text=True))
    response = client.post("/aanmelden", data=form(csrf_token=token))
    assert response.status_code == 302
    assert len(residents()) == 1


def test_signup_without_a_token_is_refused_in_dutch_and_stores_nothing(client, addresses):
    client.get("/aanmelden")
    response = client.post("/aanmelden", data=form())
    assert response.status_code == 400
    assert "Het formulier was verlopen. Vul het opnieuw in; er is niets opgeslagen." in response.get_data(as_text=True)
    assert residents() == []


def test_signup_with_a_forged_token_stores_nothing(client, addresses):
    client.get("/aanmelden")
    assert client.post("/aanmelden", data=form(csrf_token="vervalst")).status_code == 400
    assert residents() == []


def test_lookup_and_my_data_forms_carry_a_token(client):
    for path in ("/welke-groep", "/mijn-gegevens"):
        assert csrf_token_from(client.get(path).get_data(as_text=True))
    assert client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"}).status_code == 400
