"""A number with several addresses: the complete choice from PDOK, paged (issue 14, point 2).

"2221 CM 7" where only 7-1 and 7-2 exist is not "unknown": PDOK is asked for every address at the
postcode and number and :class:`HouseChoiceNeeded` lists them, complete and sorted. A block of
flats with more addresses than PDOK's ``rows`` (100, its maximum) is paged with ``start``; the
fake PDOK on 127.0.0.1 (:class:`tests.geocoder_support.FakePDOK`) honours ``rows``, ``start`` and
``numFound`` as PDOK does. The block "Proefflat 1-1" … "1-250" is a faithful reconstruction on the
real doc's field set (``tests/geo/data/pdok/README.md``). Also: a choice is no hit (nothing is
stored, Nominatim is not asked), the register's choice ends the chain too, paging ends at
``max_houses`` and at the deadline (unavailable, never a half list), and values typed by
residents cannot change the Solr query's meaning.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buurt.geo.addresses import HouseNumber
from buurt.geo.chain import build_chain
from buurt.geo.geocoding import AddressQuery, GeocoderUnavailable, HouseChoiceNeeded
from buurt.geo.pdok import PDOKGeocoder, solr_phrase, solr_text
from buurt.geo.register import MemoryRegister
from buurt.geo.register_io import AddressRecord
from tests.geocoder_support import (
    FakeNominatim,
    FakePDOK,
    LoopbackGeocoder,
    SolrSyntaxError,
    parse_solr_filter,
    parse_solr_text,
)

DATA = Path(__file__).parent / "data"
USER_AGENT = "buurt-tests/1.0 (beheer@example.invalid)"
PROEFSTRAAT = json.loads((DATA / "pdok" / "reconstructed_free_proefstraat_toevoegingen.json").read_text("utf-8"))[
    "response"
]["docs"]
TEMPLATE = PROEFSTRAAT[0]


def flat_doc(addition: str, *, street: str = "Proefflat", postcode: str = "2221CN", number: int = 1) -> dict:
    """One address of the reconstructed block, in the real doc's form."""
    doc = copy.deepcopy(TEMPLATE)
    doc.pop("huisletter", None)
    nlt = f"{number}-{addition}"
    doc.update(
        huis_nlt=nlt,
        weergavenaam=f"{street} {nlt}, {postcode} Katwijk",
        straatnaam=street,
        straatnaam_verkort=street,
        postcode=postcode,
        huisnummer=number,
        huisnummertoevoeging=addition,
        id=f"adr-{street.lower()}-{number}-{addition}",
        centroide_ll=f"POINT(4.42100000 {52.21 + int(addition) / 100000 if addition.isdigit() else 52.21:.8f})",
    )
    return doc


BLOCK = [flat_doc(str(n)) for n in range(1, 251)]


@pytest.fixture
def pdok_server() -> Iterator[FakePDOK]:
    with FakePDOK(docs=PROEFSTRAAT + BLOCK) as server:
        yield server


def pdok_for(server: FakePDOK, **options) -> PDOKGeocoder:
    return server.geocoder(user_agent=USER_AGENT, **options)


def choice_for(geocoder, query: AddressQuery):
    with pytest.raises(HouseChoiceNeeded) as caught:
        geocoder.geocode(query)
    return caught.value.choice


# -- the choice --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2221CM 7", "2221 CM 7-3", "2221CM 7a"])
def test_a_number_with_only_toevoegingen_offers_them(pdok_server, typed):
    choice = choice_for(pdok_for(pdok_server), AddressQuery.from_text(typed))
    assert choice.houses == (HouseNumber(7, None, "1"), HouseNumber(7, None, "2"))
    assert (choice.postcode, choice.number, choice.street, choice.place, choice.source) == (
        "2221CM",
        7,
        "Proefstraat",
        "Katwijk",
        "pdok",
    )
    assert len(pdok_server.requests) == 1


def test_a_number_that_does_not_exist_is_unknown(pdok_server):
    assert pdok_for(pdok_server).geocode(AddressQuery.from_text("2221CM 8")) is None


def test_a_bare_number_with_one_address_takes_it_as_the_register_does(pdok_server):
    result = pdok_for(pdok_server).geocode(AddressQuery.from_text("2221CM 105"))
    assert result.house_number == HouseNumber(105, None, "H")


def test_250_flats_are_listed_complete_and_in_order_in_three_requests(pdok_server):
    choice = choice_for(pdok_for(pdok_server), AddressQuery.from_text("2221 CN 1"))
    assert choice.houses == tuple(HouseNumber(1, None, str(n)) for n in range(1, 251))  # 1-2 before 1-10
    assert (choice.street, choice.postcode) == ("Proefflat", "2221CN")
    assert choice.complete
    assert [(r.rows, r.start) for r in pdok_server.requests] == [(100, 0), (100, 100), (100, 200)]


@pytest.mark.parametrize(("typed", "requests"), [("2221CN 1-5", 1), ("2221CN 1-250", 3)])
def test_a_flat_on_a_later_page_is_found(pdok_server, typed, requests):
    result = pdok_for(pdok_server).geocode(AddressQuery.from_text(typed))
    assert str(result.house_number) == typed.split()[1]
    assert len(pdok_server.requests) == requests


def test_paging_stops_at_max_houses(pdok_server):
    choice = choice_for(pdok_for(pdok_server, max_houses=120), AddressQuery.from_text("2221CN 1"))
    assert len(choice.houses) == 120
    assert len(pdok_server.requests) == 2
    assert not choice.complete  # a cut list says so: the resident's own flat may be missing
    assert "typ dan het huisnummer met toevoeging" in HouseChoiceNeeded(choice).message


def test_a_street_query_gets_the_complete_choice_from_the_street_s_bag_name(pdok_server):
    choice = choice_for(pdok_for(pdok_server), AddressQuery.from_text("Proefflat 1, Katwijk"))
    assert len(choice.houses) == 250
    first, *pages = pdok_server.requests
    assert first.filters == [("type", "adres"), ("huisnummer", "1")]
    assert first.words == ["Proefflat", "1,", "Katwijk"]
    assert pages[0].filters[:4] == [
        ("type", "adres"),
        ("straatnaam", "Proefflat"),
        ("woonplaatsnaam", "Katwijk"),
        ("huisnummer", "1"),
    ]
    assert len(pages) == 3


# -- the chain ---------------------------------------------------------------------------------------


def test_a_choice_stops_the_chain_and_stores_nothing(pdok_server):
    stored = []
    with LoopbackGeocoder("error") as nominatim:
        chain = build_chain(
            ["register", "pdok", "nominatim"],
            register=MemoryRegister(),
            user_agent=USER_AGENT,
            timeout=10,
            pdok_url=pdok_server.base_url,
            nominatim_url=nominatim.base_url,
            min_delay_seconds=0,
            on_online_result=lambda query, result: stored.append(result),
        )
        with pytest.raises(HouseChoiceNeeded) as caught:
            chain.geocode(AddressQuery.from_text("2221CM 7"))
        assert caught.value.choice.source == "pdok"
        assert (nominatim.hits, stored) == (0, [])


def test_the_register_s_choice_stops_the_chain_before_pdok(pdok_server):
    def imported(addition: str) -> AddressRecord:
        return AddressRecord("2221CM", 7, None, addition, "Proefstraat", "Katwijk", 52.2096, 4.4213)

    chain = build_chain(
        ["register", "pdok"],
        register=MemoryRegister([imported("1"), imported("2")]),
        user_agent=USER_AGENT,
        timeout=10,
        pdok_url=pdok_server.base_url,
        min_delay_seconds=0,
    )
    with pytest.raises(HouseChoiceNeeded) as caught:
        chain.geocode(AddressQuery.from_text("2221CM 7"))
    assert caught.value.choice.source == "register"
    assert pdok_server.requests == []


def test_the_bag_form_is_stored_and_then_found_by_every_typed_form(pdok_server):
    register = MemoryRegister()
    chain = build_chain(
        ["register", "pdok"],
        register=register,
        user_agent=USER_AGENT,
        timeout=10,
        pdok_url=pdok_server.base_url,
        min_delay_seconds=0,
        on_online_result=lambda _query, result: register.add_result(result),
    )
    assert chain.geocode(AddressQuery.from_text("2221CM 105H")).house_number == HouseNumber(105, None, "H")
    for typed in ("2221CM 105-H", "2221CM 105 h", "2221CM 105H"):
        again = chain.geocode(AddressQuery.from_text(typed))
        assert (again.house_number, again.source) == (HouseNumber(105, None, "H"), "pdok")
    assert len(pdok_server.requests) == 1  # the rest came from the register


def test_nominatim_after_pdok_down_never_offers_a_choice():
    places = json.loads((DATA / "nominatim" / "reconstructed_search_proefstraat_105h.json").read_text("utf-8"))
    with LoopbackGeocoder("error") as pdok, FakeNominatim(places=places) as nominatim:
        chain = build_chain(
            ["pdok", "nominatim"],
            register=None,
            user_agent=USER_AGENT,
            timeout=10,
            pdok_url=pdok.base_url,
            nominatim_url=nominatim.root_url,
            min_delay_seconds=0,
        )
        with pytest.raises(GeocoderUnavailable):  # PDOK down, Nominatim cannot tell: ask again later
            chain.geocode(AddressQuery.from_text("2221CM 105"))
        assert chain.geocode(AddressQuery.from_text("2221CM 105h")).source == "nominatim"


# -- the deadline ------------------------------------------------------------------------------------


def test_a_page_later_than_the_deadline_is_unavailable_not_half_a_list():
    with FakePDOK(docs=BLOCK, delays={1: 30.0}) as server:  # the second page hangs
        stored = []
        chain = build_chain(
            ["pdok"],
            register=None,
            user_agent=USER_AGENT,
            timeout=30,
            max_wait_seconds=30,
            pdok_url=server.base_url,
            min_delay_seconds=0,
            total_deadline_seconds=2.0,
            on_online_result=lambda query, result: stored.append(result),
        )
        with pytest.raises(GeocoderUnavailable) as caught:
            chain.geocode(AddressQuery.from_text("2221CN 1"))
        assert "pdok" in caught.value.detail
        assert [r.start for r in server.requests] == [0, 100]
        assert stored == []


def test_alone_all_pages_share_one_call_s_budget():
    # Each page fits in one call's 1.5 s, the three together (0 + 0.9 + 0.9 s) do not.
    with FakePDOK(docs=BLOCK, delays={1: 0.9, 2: 0.9}) as server:
        geocoder = pdok_for(server)
        geocoder.timeout, geocoder.max_wait_seconds = 1.0, 0.5
        with pytest.raises(GeocoderUnavailable):
            geocoder.geocode(AddressQuery.from_text("2221CN 1"))
        assert [r.start for r in server.requests] == [0, 100, 200]  # cut during the third page


# -- Solr syntax in typed values ------------------------------------------------------------------------


def test_only_numbers_and_plain_ascii_words_go_bare_into_a_filter():
    from buurt.geo.pdok import _filter

    assert _filter([("postcode", "2221AB"), ("huisnummer", 7)]) == "postcode:2221AB AND huisnummer:7"
    # letters outside ASCII are quoted: Solr's analysis of a bare term need not match the field's
    assert _filter([("straatnaam", "Ééndrachtstraat")]) == 'straatnaam:"Ééndrachtstraat"'
    assert _filter([("woonplaatsnaam", "²")]) == 'woonplaatsnaam:"²"'


@pytest.mark.parametrize("street", ["'t Hoen", "Laan 1940-1945", 'a:b OR * "x" \\ (y)'])
def test_street_names_with_solr_syntax_stay_literal(street):
    docs = [flat_doc(a, street=street, number=3) for a in ("1", "2")]
    decoy = flat_doc("9", street="Proefstraat", number=3)  # what an OR or a wildcard would let in
    with FakePDOK(docs=[*docs, decoy]) as server:
        choice = choice_for(pdok_for(server), AddressQuery(street=street, house=HouseNumber(3), place="Katwijk"))
        assert server.refused == []  # nothing the strict fake would read as syntax
        first, second = server.requests
    assert choice.houses == (HouseNumber(3, None, "1"), HouseNumber(3, None, "2"))
    assert choice.street == street
    assert first.words == [*street.split(), "3,", "Katwijk"]
    assert ("straatnaam", street) in second.filters


def test_the_strict_fake_refuses_unescaped_syntax():
    for text in ("a:b OR *", "Laan 1940-1945", "x AND y"):
        with pytest.raises(SolrSyntaxError):
            parse_solr_text(text)
    with pytest.raises(SolrSyntaxError):
        parse_solr_filter("straatnaam:'t Hoen")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40))
def test_escaped_text_and_phrases_read_back_as_the_literal_text(text):
    assert parse_solr_text(solr_text(text)) == text.split()
    assert parse_solr_filter(f"straatnaam:{solr_phrase(text)} AND huisnummer:7") == [
        ("straatnaam", text),
        ("huisnummer", "7"),
    ]


# -- issue 19: the edges of a choice and of a hit --------------------------------------------------------


@pytest.mark.parametrize(("flats", "complete"), [(3, True), (4, False)], ids=["== max_houses", "one more"])
def test_a_choice_of_exactly_max_houses_is_complete_one_more_is_not(flats, complete):
    with FakePDOK(docs=[flat_doc(str(n)) for n in range(1, flats + 1)]) as server:
        choice = choice_for(pdok_for(server, max_houses=3), AddressQuery.from_text("2221CN 1"))
        assert len(server.requests) == 1
    assert choice.houses == (HouseNumber(1, None, "1"), HouseNumber(1, None, "2"), HouseNumber(1, None, "3"))
    assert choice.complete is complete


def test_docs_without_street_place_or_display_name_still_give_a_hit_and_a_choice():
    bare = []
    for addition in ("1", "2"):
        doc = flat_doc(addition)
        for name in ("straatnaam", "woonplaatsnaam", "weergavenaam"):
            doc.pop(name)
        bare.append(doc)
    with FakePDOK(docs=bare) as server:
        geocoder = pdok_for(server)
        choice = choice_for(geocoder, AddressQuery.from_text("2221CN 1"))
        result = geocoder.geocode(AddressQuery.from_text("2221CN 1-2"))
    assert (choice.street, choice.place, choice.postcode) == (None, None, "2221CN")
    assert (result.street, result.place, result.house_number) == (None, None, HouseNumber(1, None, "2"))
    assert result.display_name == "1-2, 2221 CN"  # made from the BAG fields when PDOK has no weergavenaam
    named = flat_doc("2")
    named["weergavenaam"] = ""
    with FakePDOK(docs=[named]) as server:
        result = pdok_for(server).geocode(AddressQuery.from_text("2221CN 1-2"))
    assert result.display_name == "Proefflat 1-2, 2221 CN Katwijk"


def test_paging_stops_as_soon_as_max_houses_are_listed(pdok_server):
    choice = choice_for(pdok_for(pdok_server, max_houses=100), AddressQuery.from_text("2221CN 1"))
    assert [r.start for r in pdok_server.requests] == [0]  # a full first page is enough
    assert (len(choice.houses), choice.complete) == (100, False)


def test_pages_of_one_doc_are_paged_to_the_end():
    with FakePDOK(docs=[flat_doc(str(n)) for n in range(1, 4)]) as server:
        choice = choice_for(pdok_for(server, rows=1), AddressQuery.from_text("2221CN 1"))
        assert [r.start for r in server.requests] == [0, 1, 2]
    assert (len(choice.houses), choice.complete) == (3, True)
