"""geocoding, offline: queries, the in-memory register, the register geocoder and the chain."""

from dataclasses import dataclass, field

import pytest

from buurt.geo.addresses import HouseNumber, InvalidAddress, ParsedAddress
from buurt.geo.chain import GeocoderChain, build_chain
from buurt.geo.geocoding import AddressQuery, Geocoder, GeocodeResult, GeocoderUnavailable
from buurt.geo.nominatim import NominatimGeocoder
from buurt.geo.pdok import PDOKGeocoder
from buurt.geo.register import MemoryRegister, RegisterGeocoder
from buurt.geo.register_io import AddressRecord

H = HouseNumber


def record(
    postcode="2221AB", number=12, letter=None, addition=None, street="Voorbeeldlaan", place="Katwijk", lat=52.21
):
    return AddressRecord(postcode, number, letter, addition, street, place, lat, 4.42)


@pytest.fixture
def register():
    return MemoryRegister(
        [
            record(number=12, lat=52.2101),
            record(number=12, letter="a", lat=52.2102),
            record(number=12, letter="A", addition="3", lat=52.2103),
            record(number=14, letter="B", lat=52.2104),
            record(number=16, addition="bis", lat=52.2105),
            record("2221AC", 3, street="Van Beethovenstraat", lat=52.2106),
            record("2331AA", 3, street="Van Beethovenstraat", place="Leiden", lat=52.15),
        ]
    )


# -- AddressQuery ------------------------------------------------------------------------------


def test_query_structured_validates():
    query = AddressQuery.structured("2221 ab", "12a-3")
    assert (query.postcode, query.house, query.is_structured) == ("2221AB", H(12, "A", "3"), True)
    assert query.free_text() == "2221AB 12a-3"
    assert AddressQuery.structured("2221AB", 7).house == H(7)
    with pytest.raises(InvalidAddress):
        AddressQuery.structured("0221AB", 12)


def test_query_from_text_and_parsed():
    query = AddressQuery.from_text("v. Beethovenstr. 3, Katwijk")
    assert (query.street, query.house, query.place, query.is_structured) == ("v. Beethovenstr.", H(3), "Katwijk", False)
    assert query.free_text() == "v. Beethovenstr. 3, Katwijk"
    with pytest.raises(InvalidAddress, match="huisnummer"):
        AddressQuery.from_parsed(ParsedAddress(street="Voorbeeldlaan"))
    with pytest.raises(InvalidAddress, match="postcode of de straat"):
        AddressQuery.from_parsed(ParsedAddress(house=H(3)))


# -- MemoryRegister / RegisterGeocoder -------------------------------------------------------------


@pytest.mark.parametrize(
    ("letter", "addition", "lat"),
    [
        (None, None, 52.2101),  # the bare number exists besides 12a and 12a-3
        ("a", None, 52.2102),  # case-insensitive
        ("A", None, 52.2102),
        ("a", "3", 52.2103),
    ],
)
def test_register_exact(register, letter, addition, lat):
    hit = register.find_exact("2221AB", 12, letter, addition)
    assert hit is not None
    assert hit.lat == lat
    assert hit.source == "register"


def test_register_bare_number_takes_the_only_address(register):
    assert register.find_exact("2221AB", 14, None, None).house_number == H(14, "B")
    assert register.find_exact("2221AB", 16, None, None).house_number == H(16, None, "BIS")
    assert register.find_exact("2221AB", 16, None, "BIS").display_name == "Voorbeeldlaan 16-bis, 2221 AB Katwijk"


@pytest.mark.parametrize(
    ("number", "letter", "addition"),
    [
        (12, "b", None),  # letter that does not exist: no guessing, even though 12 exists
        (12, None, "3"),  # addition without the letter
        (14, "C", None),
        (18, None, None),  # number that does not exist
    ],
)
def test_register_does_not_guess(register, number, letter, addition):
    assert register.find_exact("2221AB", number, letter, addition) is None


def test_register_by_street_and_place(register):
    assert register.find_by_street("van beethovenstraat", 3, None, None, "Katwijk").postcode == "2221AC"
    assert register.find_by_street("van beethovenstraat", 3, None, None, "leiden").postcode == "2331AA"
    assert register.find_by_street("van beethovenstraat", 3, None, None, None) is None  # ambiguous
    assert register.find_by_street("van beethovenstraat", 3, None, None, "Ede") is None


def test_register_add_replaces_same_address(register):
    before = len(register)
    register.add(record(number=12, lat=52.3))
    assert len(register) == before
    assert register.find_exact("2221AB", 12, None, None).lat == 52.3


def test_register_geocoder_uses_postcode_then_street(register):
    geocoder = RegisterGeocoder(register)
    assert isinstance(geocoder, Geocoder)
    assert geocoder.online is False
    assert geocoder.geocode(AddressQuery.from_text("2221 AB 12a")).lat == 52.2102
    assert geocoder.geocode(AddressQuery.from_text("V. Beethovenstr. 3, Katwijk")).postcode == "2221AC"
    # Wrong postcode but a known street: the street lookup still finds it.
    assert geocoder.geocode(AddressQuery.from_text("Voorbeeldlaan 14b 9999ZZ Katwijk")).lat == 52.2104
    assert geocoder.geocode(AddressQuery.from_text("2221AB 99")) is None


def test_register_stores_online_results(register):
    result = GeocodeResult(52.2, 4.4, "Nieuweweg 1, 2221 AD Katwijk", "pdok", "2221AD", H(1), "Nieuweweg", "Katwijk")
    register.add_result(result)
    hit = register.find_exact("2221AD", 1, None, None)
    assert (hit.lat, hit.source) == (52.2, "pdok")


# -- chain ------------------------------------------------------------------------------------


@dataclass
class FakeGeocoder:
    name: str
    online: bool = True
    result: GeocodeResult | None = None
    unavailable: bool = False
    calls: list[AddressQuery] = field(default_factory=list)

    def geocode(self, query):
        self.calls.append(query)
        if self.unavailable:
            raise GeocoderUnavailable(detail=f"{self.name} down")
        return self.result


def hit(source):
    return GeocodeResult(52.21, 4.42, f"via {source}", source)


QUERY = AddressQuery.structured("2221AB", 12)


def test_chain_returns_first_hit_in_order_and_stops():
    first, second = FakeGeocoder("register", online=False, result=hit("register")), FakeGeocoder("pdok")
    assert GeocoderChain([first, second]).geocode(QUERY).source == "register"
    assert second.calls == []


def test_chain_reports_online_hits_to_callback_only():
    seen = []
    offline = FakeGeocoder("register", online=False)
    online = FakeGeocoder("pdok", result=hit("pdok"))
    chain = GeocoderChain([offline, online], on_online_result=lambda q, r: seen.append((q, r)))
    assert chain.geocode(QUERY).source == "pdok"
    assert seen == [(QUERY, hit("pdok"))]
    offline.result = hit("register")
    chain.geocode(QUERY)
    assert len(seen) == 1


def test_chain_skips_unavailable_and_returns_later_hit():
    chain = GeocoderChain([FakeGeocoder("pdok", unavailable=True), FakeGeocoder("nominatim", result=hit("nominatim"))])
    assert chain.geocode(QUERY).source == "nominatim"


def test_chain_all_missing_is_none():
    assert GeocoderChain([FakeGeocoder("register", online=False), FakeGeocoder("pdok")]).geocode(QUERY) is None


def test_chain_miss_plus_unavailable_raises_with_dutch_message():
    chain = GeocoderChain([FakeGeocoder("register", online=False), FakeGeocoder("pdok", unavailable=True)])
    with pytest.raises(GeocoderUnavailable) as caught:
        chain.geocode(QUERY)
    assert caught.value.message.startswith("De adreszoeker is nu niet bereikbaar")
    assert "pdok" in caught.value.detail


def test_chain_callback_errors_propagate():
    def broken(_query, _result):
        raise RuntimeError("database down")

    chain = GeocoderChain([FakeGeocoder("pdok", result=hit("pdok"))], on_online_result=broken)
    with pytest.raises(RuntimeError, match="database down"):
        chain.geocode(QUERY)


# -- build_chain ------------------------------------------------------------------------------


def test_build_chain_from_names(register):
    chain = build_chain(["register", "pdok", "nominatim"], register=register, user_agent="buurt-tests", timeout=2)
    assert [g.name for g in chain.geocoders] == ["register", "pdok", "nominatim"]
    assert isinstance(chain.geocoders[1], PDOKGeocoder)
    assert chain.geocoders[1].client.api == "https://api.pdok.nl/bzk/locatieserver/search/v3_1"
    assert isinstance(chain.geocoders[2], NominatimGeocoder)
    assert chain.geocoders[2].client.api == "https://nominatim.openstreetmap.org/search"


def test_build_chain_custom_urls(register):
    chain = build_chain(
        ["pdok", "nominatim"],
        register=None,
        user_agent="buurt-tests",
        timeout=2,
        pdok_url="http://127.0.0.1:8123/pdok/v3_1/",
        nominatim_url="http://127.0.0.1:8124",
    )
    assert chain.geocoders[0].client.api == "http://127.0.0.1:8123/pdok/v3_1"
    assert chain.geocoders[1].client.api == "http://127.0.0.1:8124/search"


@pytest.mark.parametrize(
    ("names", "kwargs", "match"),
    [
        (["register", "google"], {}, "unknown geocoder 'google'"),
        ([], {}, "no geocoders"),
        (["pdok", "pdok"], {}, "twice"),
        (["register"], {"register": None}, "needs a register"),
        (["pdok"], {"user_agent": ""}, "user_agent"),
        (["pdok"], {"pdok_url": "ftp://x"}, "http"),
    ],
)
def test_build_chain_rejects_bad_config(register, names, kwargs, match):
    options = {"register": register, "user_agent": "buurt-tests", "timeout": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_chain(names, **options)


def test_a_house_choice_lists_its_houses_in_the_order_people_read_them():
    """Wherever a choice comes from (register, PDOK, a test), 20-2 comes before 20-10 and the bare
    number and the letters come first."""
    from buurt.geo.geocoding import HouseChoice

    typed = (HouseNumber(20, None, "10"), HouseNumber(20, "B"), HouseNumber(20, None, "2"), HouseNumber(20))
    choice = HouseChoice("2221CM", 20, "Proefstraat", "Katwijk", typed, "register")
    assert [str(house) for house in choice.houses] == ["20", "20-2", "20-10", "20b"]


# -- the Dutch message of a choice (issue 19: the resident reads it, so its text is a promise) ---


def flats(count):
    return tuple(HouseNumber(7, None, str(n)) for n in range(1, count + 1))


@pytest.mark.parametrize(
    ("street", "place", "count", "complete", "message"),
    [
        (
            "Proefstraat",
            "Katwijk",
            2,
            True,
            "Op huisnummer 7 (Proefstraat, Katwijk) zijn meer adressen: 7-1, 7-2. Kies het uwe.",
        ),
        (None, None, 2, True, "Op huisnummer 7 zijn meer adressen: 7-1, 7-2. Kies het uwe."),
        (None, "Katwijk", 1, True, "Op huisnummer 7 (Katwijk) zijn meer adressen: 7-1. Kies het uwe."),
        (
            "Proefstraat",
            None,
            12,
            True,
            "Op huisnummer 7 (Proefstraat) zijn meer adressen: "
            "7-1, 7-2, 7-3, 7-4, 7-5, 7-6, 7-7, 7-8, 7-9, 7-10, 7-11, 7-12. Kies het uwe.",
        ),
        (
            None,
            None,
            13,
            True,
            "Op huisnummer 7 zijn meer adressen: "
            "7-1, 7-2, 7-3, 7-4, 7-5, 7-6, 7-7, 7-8, 7-9, 7-10, 7-11, 7-12 en 1 andere. Kies het uwe.",
        ),
        (
            None,
            None,
            2,
            False,
            "Op huisnummer 7 zijn meer adressen: 7-1, 7-2. Kies het uwe. "
            "Staat het uwe er niet bij, typ dan het huisnummer met toevoeging.",
        ),
    ],
    ids=["street and place", "neither", "place only", "twelve named", "thirteenth counted", "incomplete"],
)
def test_a_house_choice_message_names_the_houses(street, place, count, complete, message):
    from buurt.geo.geocoding import HouseChoice, HouseChoiceNeeded

    choice = HouseChoice("2221CM", 7, street, place, flats(count), "pdok", complete=complete)
    error = HouseChoiceNeeded(choice)
    assert error.message == message
    assert error.choice is choice


# -- issue 19: what a query holds and says --------------------------------------------------------


def test_query_messages_are_the_dutch_promised_to_residents():
    with pytest.raises(InvalidAddress) as no_house:
        AddressQuery.from_parsed(ParsedAddress(street="Voorbeeldlaan", postcode="2221AB"))
    assert no_house.value.message == "Vul ook het huisnummer in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12."
    with pytest.raises(InvalidAddress) as no_where:
        AddressQuery.from_parsed(ParsedAddress(house=H(3), place="Katwijk"))
    assert no_where.value.message == "Vul de postcode of de straat in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12."
    assert GeocoderUnavailable().message == (
        "De adreszoeker is nu niet bereikbaar. Probeer het over een paar minuten opnieuw; "
        "lukt het dan nog niet, neem contact op met de beheerder."
    )
    assert (GeocoderUnavailable("Anders.", detail="pdok: busy").message, GeocoderUnavailable(detail="x").detail) == (
        "Anders.",
        "x",
    )


def test_query_from_text_keeps_every_part_and_every_reading():
    query = AddressQuery.from_text("  Proefstraat   12 3,  2221 CM  Katwijk ")
    assert (query.street, query.house, query.postcode, query.place) == ("Proefstraat 12", H(3), "2221CM", "Katwijk")
    assert query.text == "Proefstraat 12 3, 2221 CM Katwijk"  # spaces folded, as typed otherwise
    assert query.free_text() == "2221CM 3"  # postcode + house: the most exact form for a service
    (other,) = query.other_readings
    assert (other.street, other.house, other.postcode, other.place, other.text) == (
        "Proefstraat",
        H(12, None, "3"),
        "2221CM",
        "Katwijk",
        query.text,
    )
    assert query.readings() == (query, other)
    assert other.other_readings == ()


def test_query_free_text_without_typed_text_is_formatted():
    query = AddressQuery(street="Voorbeeldlaan", house=H(12, "A"), place="Katwijk")
    assert (query.free_text(), query.is_structured) == ("Voorbeeldlaan 12a, Katwijk", False)
    without_house = AddressQuery(postcode="2221AB", street="Voorbeeldlaan", place="Katwijk")
    assert (without_house.free_text(), without_house.is_structured) == ("Voorbeeldlaan, 2221 AB Katwijk", False)
    assert AddressQuery.structured("2221AB", H(12, "A")).free_text() == "2221AB 12a"
