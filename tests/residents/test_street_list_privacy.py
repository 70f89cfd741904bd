"""Issue 13, finding 8: the public street list comes from the imported register, never from lookups.

An address an online geocoder answered is kept in the address table (the cache); before this,
one anonymous lookup put its street on /welke-groep/straten for everyone to see.
"""

from __future__ import annotations

import re

import pytest

from buurt.extensions import db
from buurt.models import Address
from tests.geocoder_support import LoopbackGeocoder, pdok_config


@pytest.fixture
def server():
    with LoopbackGeocoder("ok") as running:  # PDOK knows "Voorbeeldlaan 12, 2221AB" (Midden Zuid)
        yield running


@pytest.fixture
def app_config(server):
    return pdok_config(server)


def street_page(client) -> str:
    html = client.get("/welke-groep/straten").get_data(as_text=True)
    return re.sub(r'nonce="[^"]*"', "", html)


@pytest.mark.parametrize("source", ["bag-csv", "geojson", "demo"])
def test_a_lookup_leaves_the_street_list_as_it_was(client, server, make_address, source):
    make_address(postcode="2221ZZ", number=1, lat=52.2096, lon=4.42125, street="Registerstraat", source=source)
    before = street_page(client)
    assert "Registerstraat" in before

    answer = client.post("/welke-groep", data={"postcode": "2221 AB", "house_number": "12"})
    assert "Voorbeeldlaan" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(db.select(Address.source).filter_by(street="Voorbeeldlaan")) == "pdok"  # kept

    after = street_page(client)
    assert "Voorbeeldlaan" not in after
    assert after == before
