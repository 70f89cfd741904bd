"""Flask-Limiter on the sign-up and lookup forms (the only tests with rate limiting on)."""

import pytest

from tests.residents.conftest import form, residents


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_SIGNUP": "2 per hour", "RATELIMIT_LOOKUP": "3 per minute"}


def test_signups_per_client_are_limited_with_a_dutch_page(client, addresses):
    assert client.post("/aanmelden", data=form(phone="06 11111111")).status_code == 302
    # every post counts, a form with a typo too (else refusals would be free to probe with)
    assert client.post("/aanmelden", data=form(phone="06 2222", name="")).status_code == 200
    blocked = client.post("/aanmelden", data=form(phone="06 33333333"))
    assert blocked.status_code == 429
    assert "U heeft dit te vaak geprobeerd" in blocked.get_data(as_text=True)
    assert len(residents()) == 1
    assert client.get("/aanmelden").status_code == 200  # reading the form is never limited


def test_lookups_per_client_are_limited(client, addresses):
    for _ in range(3):
        assert client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"}).status_code == 200
    assert client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"}).status_code == 429
