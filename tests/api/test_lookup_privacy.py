"""Issue 13, findings 8 and 11: an address lookup tells nothing about earlier lookups, and no address in a URL.

A fake PDOK on 127.0.0.1 (tests/geocoder_support.py) answers one address. Its first lookup goes
online and is kept in the address cache; the second is answered from that cache. Both answers
must be the same, in the JSON API and on the page: a difference (the API said "pdok" and then
"register") told anyone that somebody had looked up this address before.
"""

from __future__ import annotations

import re

import pytest

from buurt.extensions import db
from buurt.models import Address
from tests.geocoder_support import LoopbackGeocoder, pdok_config

PDOK_ADDRESS = {"postcode": "2221AB", "huisnummer": "12"}  # tests.geocoder_support.pdok_body


@pytest.fixture
def server():
    with LoopbackGeocoder("ok") as running:
        yield running


@pytest.fixture
def app_config(server):
    return pdok_config(server)


def api_lookup(client, **body):
    return client.post("/api/v1/lookup", json=body)


def cached_rows() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Address.source).where(Address.postcode == "2221AB")))


@pytest.mark.parametrize("body", [PDOK_ADDRESS, {"q": "Voorbeeldlaan 12"}], ids=["postcode", "text"])
def test_the_api_answers_a_cached_address_as_it_answered_it_online(client, server, body):
    first = api_lookup(client, **body)
    assert server.hits == 1
    assert cached_rows() == ["pdok"]  # asked online, and kept
    second = api_lookup(client, **body)
    assert server.hits == 1  # the cache answered
    assert (second.status_code, second.get_json()) == (first.status_code, first.get_json())
    assert first.get_json()["status"] == "found"
    assert first.get_json()["source"] == "online"


def test_the_api_says_register_for_an_imported_address(client, server, make_address):
    make_address(postcode="2221ZZ", number=3, source="bag-csv")
    body = api_lookup(client, postcode="2221ZZ", huisnummer="3").get_json()
    assert (body["status"], body["source"]) == ("found", "register")
    assert server.hits == 0


def _answer(html: str) -> str:
    """The answer card of /welke-groep, without per-request tokens."""
    match = re.search(r'<section class="card answer[^"]*"[^>]*id="antwoord">.*?</section>', html, re.S)
    assert match, "no answer on the page"
    return re.sub(r'(name="(?:csrf_token|once)"[^>]*value=")[^"]*', r"\1", match.group(0))


def test_the_page_answers_a_cached_address_as_it_answered_it_online(client, server):
    form = {"postcode": "2221 AB", "house_number": "12"}
    first = client.post("/welke-groep", data=form).get_data(as_text=True)
    assert server.hits == 1
    assert cached_rows() == ["pdok"]
    second = client.post("/welke-groep", data=form).get_data(as_text=True)
    assert server.hits == 1
    assert "Voorbeeldlaan 12" in _answer(first)
    assert _answer(second) == _answer(first)


@pytest.mark.parametrize(
    "query",
    [
        "postcode=2221AB&huisnummer=12",
        "q=Voorbeeldlaan%2012",
        "postcode=2221AB&huisnummer=12&toevoeging=a",
        "",
    ],
)
def test_an_address_in_the_url_is_refused_and_points_to_post(client, server, query):
    response = client.get(f"/api/v1/lookup?{query}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "POST" in response.get_json()["message"]
    assert server.hits == 0  # nothing was looked up
    assert cached_rows() == []
