"""PDOK and Nominatim answers in their published form, served from 127.0.0.1 (issue 14, points 1 and 3).

Real PDOK Locatieserver answers (``tests/geo/data/pdok/``, sources in the README there:
repository foarsitter/locatieserver, ``locatieserver/schema/free.json`` and ``lookup.json`` at
commit b6860e987ddc843e096e1dc088e4a897c4e0d1f6) and faithful reconstructions of docs with a
huisletter or toevoeging are served by :class:`tests.geocoder_support.FakePDOK`, which filters
them by the ``fq`` PDOKGeocoder sends the way PDOK does. Checked: the right doc is picked, the
result carries the BAG form from the doc, and a toevoeging-only address ("105-H": toevoeging H,
no huisletter) is found by every way a resident types it. Nominatim: a reconstruction in its
documented ``format=json`` (``tests/geo/data/nominatim/README.md``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from buurt.geo.addresses import HouseNumber
from buurt.geo.geocoding import AddressQuery
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.pdok import PDOKGeocoder
from tests.geocoder_support import FakeNominatim, FakePDOK

DATA = Path(__file__).parent / "data"
USER_AGENT = "buurt-tests/1.0 (beheer@example.invalid)"


def docs(name: str) -> list[dict]:
    return json.loads((DATA / "pdok" / name).read_text(encoding="utf-8"))["response"]["docs"]


BOLSTRAAT = docs("free_v3_1_bolstraat_utrecht.json")
EUROPALAAN = docs("lookup_v3_1_europalaan_utrecht.json")
PROEFSTRAAT = docs("reconstructed_free_proefstraat_toevoegingen.json")


@pytest.fixture
def pdok_server() -> Iterator[FakePDOK]:
    with FakePDOK(docs=BOLSTRAAT + EUROPALAAN + PROEFSTRAAT) as server:
        yield server


def geocoder_for(server: FakePDOK) -> PDOKGeocoder:
    return server.geocoder(user_agent=USER_AGENT)


def test_the_real_answer_gives_the_real_address(pdok_server):
    result = geocoder_for(pdok_server).geocode(AddressQuery.from_text("3581 WS 1"))
    assert (result.lat, result.lon) == (52.08884161, 5.13287587)  # POINT(lon lat)
    assert (result.postcode, result.house_number, result.street, result.place) == (
        "3581WS",
        HouseNumber(1),
        "Bolstraat",
        "Utrecht",
    )
    assert result.display_name == "Bolstraat 1, 3581WS Utrecht"  # PDOK's weergavenaam
    (request,) = pdok_server.requests
    assert request.filters == [("type", "adres"), ("postcode", "3581WS"), ("huisnummer", "1"), *request.filters[3:]]
    assert (request.rows, request.start) == (100, 0)
    assert pdok_server.refused == []


def test_the_filter_picks_the_doc_at_that_postcode_and_number(pdok_server):
    geocoder = geocoder_for(pdok_server)
    assert geocoder.geocode(AddressQuery.from_text("3526KP 93")).street == "Europalaan"
    assert geocoder.geocode(AddressQuery.from_text("3581WS 93")) is None  # 93 exists, not at 3581WS
    assert geocoder.geocode(AddressQuery.from_text("3526KP 1")) is None


def test_a_street_query_finds_the_real_address(pdok_server):
    result = geocoder_for(pdok_server).geocode(AddressQuery.from_text("Bolstraat 1, Utrecht"))
    assert (result.postcode, result.street, result.lat) == ("3581WS", "Bolstraat", 52.08884161)
    assert len(pdok_server.requests) == 1


@pytest.mark.parametrize(
    "query",
    [
        AddressQuery.from_text("2221 CM 105-H"),
        AddressQuery.from_text("2221CM 105 H"),
        AddressQuery.from_text("2221CM 105H"),
        AddressQuery.from_text("2221cm 105h"),
        AddressQuery.structured("2221CM", HouseNumber(105, None, "H")),  # "105" + Toevoeging "H"
        AddressQuery.structured("2221CM", HouseNumber(105, "H", None)),  # picked as a letter
        AddressQuery.from_text("Proefstraat 105H, Katwijk"),
        AddressQuery.from_text("Proefstraat 105-H"),
    ],
    ids=["105-H", "105 H", "105H", "lowercase", "form toevoeging", "form letter", "street 105H", "street 105-H"],
)
def test_a_toevoeging_only_address_is_found_however_it_is_typed(pdok_server, query):
    result = geocoder_for(pdok_server).geocode(query)
    assert result is not None
    assert result.house_number == HouseNumber(105, None, "H")  # the BAG form from the doc, not the typed one
    assert result.display_name == "Proefstraat 105-H, 2221CM Katwijk"
    assert (result.lat, result.postcode) == (52.20961, "2221CM")
    assert len(pdok_server.requests) == 1
    assert pdok_server.refused == []


@pytest.mark.parametrize(
    ("house", "lat"),
    [
        (HouseNumber(9, "A"), 52.20964),  # typed as a letter: 9A, though 9-A exists too
        (HouseNumber(9, None, "A"), 52.20965),  # typed as a toevoeging: 9-A
        (HouseNumber(12, "A", "3"), 52.20966),  # 12A-3
        (HouseNumber(12, None, "A3"), 52.20967),  # 12-A3
    ],
)
def test_when_both_readings_exist_the_typed_one_wins(pdok_server, house, lat):
    result = geocoder_for(pdok_server).geocode(AddressQuery.structured("2221CM", house))
    assert (result.house_number, result.lat) == (house, lat)


def test_empty_letter_and_addition_strings_are_no_letter_and_no_addition():
    # Older PDOK answers carried "huisletter": "" and "huisnummertoevoeging": "" (reconstruction).
    doc = copy.deepcopy(BOLSTRAAT[0])
    doc.update(huisletter="", huisnummertoevoeging="")
    with FakePDOK(docs=[doc]) as server:
        result = geocoder_for(server).geocode(AddressQuery.from_text("3581WS 1"))
    assert result.house_number == HouseNumber(1)


# -- Nominatim ------------------------------------------------------------------------------------

PLACES = json.loads((DATA / "nominatim" / "reconstructed_search_proefstraat_105h.json").read_text(encoding="utf-8"))


@pytest.fixture
def nominatim_server() -> Iterator[FakeNominatim]:
    with FakeNominatim(places=PLACES) as server:
        yield server


def nominatim_for(server: FakeNominatim) -> NominatimGeocoder:
    return NominatimGeocoder(
        user_agent=USER_AGENT, timeout=10, domain=f"127.0.0.1:{server.port}", scheme="http", min_delay_seconds=0
    )


@pytest.mark.parametrize(
    "query",
    [
        AddressQuery.from_text("2221CM 105-H"),
        AddressQuery.from_text("2221CM 105H"),
        AddressQuery.structured("2221CM", HouseNumber(105, None, "H")),
        AddressQuery.from_text("Proefstraat 105 H, Katwijk"),
    ],
    ids=["105-H", "105H", "form toevoeging", "street"],
)
def test_nominatim_accepts_any_reading(nominatim_server, query):
    result = nominatim_for(nominatim_server).geocode(query)
    assert result is not None
    assert (result.lat, result.postcode, result.street) == (52.20961, "2221CM", "Proefstraat")
    assert result.house_number.readings()[0].number == 105
    assert HouseNumber(105, None, "H") in result.house_number.readings()


@pytest.mark.parametrize("typed", ["2221CM 105", "2221CM 105-2", "2221CM 105B"])
def test_nominatim_never_guesses_and_never_offers_a_choice(nominatim_server, typed):
    assert nominatim_for(nominatim_server).geocode(AddressQuery.from_text(typed)) is None
