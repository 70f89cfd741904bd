"""Register semantics of letters and toevoegingen (issue 14, points 1 and 2), for every register.

In the BAG "105-H" is huisnummer 105 with huisnummertoevoeging "H" and no huisletter, while "149a"
has huisletter "A": a resident cannot know which, so a lookup tries both readings. A number that
exists only with toevoegingen ("105" where 105-1, 105-2, 105-3 and 105-H exist) is not "unknown"
but a choice, with street and place to check. Cached online answers (source "pdok"/"nominatim")
are somebody's lookup, never the complete list, so they never make a choice.

Each test runs against MemoryRegister, DbRegister in snapshot mode and DbRegister in SQL mode
(ADDRESS_SNAPSHOT_MAX 0), on SQLite, and on PostgreSQL under scripts/with_postgres.sh.

The rows below are real: an excerpt of NLExtract's own test file for the ``bagadres`` export,
repository nlextract/NLExtract, path bag/test/bagadres.csv, commit
8714df77fbdd0ad5285427c39b46af06ac89536e (BAG data of the Kadaster, published under CC0).
"""

from __future__ import annotations

import csv
import io

import pytest

from buurt.addresses import imports, services
from buurt.geo.addresses import HouseNumber, normalize_street
from buurt.geo.geocoding import AddressQuery, HouseChoiceNeeded
from buurt.geo.register import MemoryRegister, RegisterGeocoder
from buurt.geo.register_io import AddressRecord

BAGADRES = """\
openbareruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;gemeente;provincie;object_id;object_type;nevenadres;x;y;lon;lat
De Ruijterkade;105;;1;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000964973;VBO;f;122177;487877;4.905166809483972;52.377779679934136
De Ruijterkade;105;;2;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000784610;VBO;f;122177;487877;4.905166809483972;52.377779679934136
De Ruijterkade;105;;3;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000977861;VBO;f;122177;487877;4.905166809483972;52.377779679934136
De Ruijterkade;105;;H;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000785105;VBO;f;122177;487877;4.905166809483972;52.377779679934136
De Ruijterkade;107;;5;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000618801;VBO;f;122192;487881;4.905386700986679;52.37781652560569
De Ruijterkade;107;;H;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000618800;VBO;f;122192;487881;4.905386700986679;52.37781652560569
De Ruijterkade;107;;;1011AB;Amsterdam;Amsterdam;Noord-Holland;0363010000977860;VBO;f;122192;487881;4.905386700986679;52.37781652560569
De Ruijterkade;149;A;;1011AC;Amsterdam;Amsterdam;Noord-Holland;0363010003684518;VBO;f;122418;487826;4.908710954130923;52.37733568170854
De Ruijterkade;149;B;;1011AC;Amsterdam;Amsterdam;Noord-Holland;0363010003684519;VBO;f;122416;487826;4.908681583473282;52.37733556302507
De Ruijterkade;149;C;;1011AC;Amsterdam;Amsterdam;Noord-Holland;0363010003684520;VBO;f;122416;487826;4.908681583473282;52.37733556302507
Prins Hendrikkade;99;B;1;1011AG;Amsterdam;Amsterdam;Noord-Holland;0363010000783116;VBO;f;122026;487661;4.902970499337329;52.37582937687497
Prins Hendrikkade;99;B;2;1011AG;Amsterdam;Amsterdam;Noord-Holland;0363010000783117;VBO;f;122026;487661;4.902970499337329;52.37582937687497
Prins Hendrikkade;99;;;1011AG;Amsterdam;Amsterdam;Noord-Holland;0363010000966710;VBO;f;122029;487666;4.903014063234948;52.37587449350107
Prins Hendrikkade;100;;1L;1011AH;Amsterdam;Amsterdam;Noord-Holland;0363010000995139;VBO;f;122025;487653;4.902956599510026;52.3757574184544
Prins Hendrikkade;100;;1R;1011AH;Amsterdam;Amsterdam;Noord-Holland;0363010000995140;VBO;f;122025;487653;4.902956599510026;52.3757574184544
Prins Hendrikkade;100;;H;1011AH;Amsterdam;Amsterdam;Noord-Holland;0363010000995671;VBO;f;122025;487653;4.902956599510026;52.3757574184544
"""  # noqa: E501 - real rows, kept whole

#: a fictional flat (7-1 and 7-2 only) and a fictional huisletter, as in the issue
FICTIONAL = [
    AddressRecord("2221CM", 7, None, "1", "Proefstraat", "Katwijk", 52.2101, 4.4201),
    AddressRecord("2221CM", 7, None, "2", "Proefstraat", "Katwijk", 52.2102, 4.4202),
    AddressRecord("2221CM", 9, "A", None, "Proefstraat", "Katwijk", 52.2103, 4.4203),
]


def bag_records() -> list[AddressRecord]:
    rows = csv.DictReader(io.StringIO(BAGADRES), delimiter=";")
    return [
        AddressRecord(
            r["postcode"],
            int(r["huisnummer"]),
            r["huisletter"] or None,
            r["huisnummertoevoeging"] or None,
            r["openbareruimte"],
            r["woonplaats"],
            float(r["lat"]),
            float(r["lon"]),
        )
        for r in rows
    ]


@pytest.fixture(params=["memory", "snapshot", "sql"])
def geocoder(request, app) -> RegisterGeocoder:
    """A RegisterGeocoder over the real rows and the fictional ones, in each kind of register."""
    records = bag_records() + FICTIONAL
    if request.param == "memory":
        return RegisterGeocoder(MemoryRegister(records))
    report = imports.import_records(records, source="bag-csv")
    assert report.loaded == len(records)
    register = services.DbRegister(snapshot_max=0 if request.param == "sql" else None)
    assert register.mode == request.param
    return RegisterGeocoder(register)


def found(geocoder: RegisterGeocoder, query: AddressQuery) -> str | None:
    result = geocoder.geocode(query)
    return None if result is None else str(result.house_number)


@pytest.mark.parametrize("typed", ["1011 AB 105-H", "1011AB 105 H", "1011 ab 105h", "1011AB 105-h"])
def test_a_one_letter_toevoeging_is_found_however_typed(geocoder, typed):
    result = geocoder.geocode(AddressQuery.from_text(typed))
    assert result is not None
    assert (result.house_number.letter, result.house_number.addition) == (None, "H")
    assert result.display_name == "De Ruijterkade 105-H, 1011 AB Amsterdam"
    assert result.source == "register"


@pytest.mark.parametrize("house", [HouseNumber(105, None, "H"), HouseNumber(105, "H", None)])
def test_the_forms_separate_fields_find_the_toevoeging(geocoder, house):
    """The form's "Toevoeging" field gives addition "H"; a huisletter field would give letter "H"."""
    result = geocoder.geocode(AddressQuery.structured("1011AB", house))
    assert result is not None
    assert str(result.house_number) == "105-H"


@pytest.mark.parametrize("typed", ["1011AC 149a", "1011AC 149 A", "1011AC 149-a", "De Ruijterkade 149B Amsterdam"])
def test_a_huisletter_is_found_however_typed(geocoder, typed):
    result = geocoder.geocode(AddressQuery.from_text(typed))
    assert result is not None
    assert result.house_number.addition is None
    assert result.house_number.letter in ("A", "B")


def test_letter_and_toevoeging_together(geocoder):
    assert found(geocoder, AddressQuery.from_text("1011AG 99B-2")) == "99b-2"
    assert found(geocoder, AddressQuery.from_text("1011AG 99")) == "99"  # the bare number exists
    assert found(geocoder, AddressQuery.from_text("1011AH 100-1R")) == "100-1r"
    assert found(geocoder, AddressQuery.from_text("1011AB 107")) == "107"
    assert found(geocoder, AddressQuery.from_text("1011AB 107H")) == "107-H"


def choice_of(geocoder, query: AddressQuery):
    with pytest.raises(HouseChoiceNeeded) as raised:
        geocoder.geocode(query)
    return raised.value


def test_a_number_with_only_toevoegingen_offers_them_with_street_and_place(geocoder):
    needed = choice_of(geocoder, AddressQuery.from_text("1011 AB 105"))
    choice = needed.choice
    assert [str(h) for h in choice.houses] == ["105-1", "105-2", "105-3", "105-H"]
    assert (choice.postcode, choice.street, choice.place) == ("1011AB", "De Ruijterkade", "Amsterdam")
    assert choice.source == "register"
    assert "De Ruijterkade, Amsterdam" in needed.message


def test_the_issues_flat_7_with_7_1_and_7_2(geocoder):
    for typed in ("2221CM 7", "2221 CM 7-3", "Proefstraat 7 Katwijk"):
        choice = choice_of(geocoder, AddressQuery.from_text(typed)).choice
        assert [str(h) for h in choice.houses] == ["7-1", "7-2"], typed
        assert (choice.street, choice.place) == ("Proefstraat", "Katwijk")
    assert found(geocoder, AddressQuery.from_text("2221CM 7-2")) == "7-2"
    assert found(geocoder, AddressQuery.from_text("2221CM 9a")) == "9a"
    assert found(geocoder, AddressQuery.from_text("2221CM 9-A")) == "9a"


def test_a_letter_that_does_not_exist_is_a_choice_not_a_neighbour(geocoder):
    choice = choice_of(geocoder, AddressQuery.from_text("1011AC 149D")).choice
    assert [str(h) for h in choice.houses] == ["149a", "149b", "149c"]
    choice = choice_of(geocoder, AddressQuery.from_text("2221CM 9B")).choice
    assert [str(h) for h in choice.houses] == ["9a"]


def test_a_number_that_does_not_exist_is_unknown(geocoder):
    assert geocoder.geocode(AddressQuery.from_text("1011AB 104")) is None
    assert geocoder.geocode(AddressQuery.from_text("2221CM 8")) is None
    assert geocoder.geocode(AddressQuery.from_text("Proefstraat 8 Katwijk")) is None
    assert geocoder.geocode(AddressQuery.from_text("Proefstraat 7 Leiden")) is None  # another place


@pytest.fixture(params=["snapshot", "sql"])
def db_register(request, app, make_address):
    """The database register with imported 7-1 and 7-2 and cached online answers beside them."""
    make_address(postcode="2221CM", number=7, addition="1", street="Proefstraat", source="bag-csv")
    make_address(postcode="2221CM", number=7, addition="2", street="Proefstraat", source="bag-csv")
    make_address(postcode="2221CM", number=7, addition="3", street="Proefstraat", source="pdok")
    make_address(postcode="2221CN", number=5, addition="1", street="Verzonnenlaan", source="pdok")
    make_address(postcode="2221CN", number=5, addition="2", street="Verzonnenlaan", source="nominatim")
    register = services.DbRegister(snapshot_max=0 if request.param == "sql" else None)
    assert register.mode == request.param
    return RegisterGeocoder(register)


def test_cached_online_answers_never_make_a_choice(db_register):
    assert db_register.geocode(AddressQuery.from_text("2221CN 5")) is None  # only online answers there
    assert db_register.geocode(AddressQuery.from_text("Verzonnenlaan 5")) is None
    choice = choice_of(db_register, AddressQuery.from_text("2221CM 7")).choice
    assert [str(h) for h in choice.houses] == ["7-1", "7-2"]  # not the looked-up 7-3


def test_a_cached_online_answer_answers_as_its_service(db_register):
    """The second lookup of an address says what the first said (issue 13, finding 8)."""
    result = db_register.geocode(AddressQuery.from_text("2221CM 7-3"))
    assert result.source == "pdok"
    assert db_register.geocode(AddressQuery.from_text("2221CN 5-2")).source == "nominatim"
    assert db_register.geocode(AddressQuery.from_text("2221CM 7-1")).source == "register"


def test_the_street_lookup_narrows_by_place_case_insensitively(db_register, make_address):
    make_address(postcode="2332AA", number=7, addition="1", street="Proefstraat", place="Leiden", source="bag-csv")
    register = db_register.register
    street = normalize_street("Proefstraat")
    choice = register.choice_on_street(street, 7, "katwijk")
    assert [str(h) for h in choice.houses] == ["7-1", "7-2"]
    hit = register.find_by_street(street, 7, None, "1", "LEIDEN")
    assert hit.postcode == "2332AA"
    register.invalidate()  # (outside a request the snapshot is re-read every ttl seconds)
    assert register.find_by_street(street, 7, None, "1", None) is None  # two places: not guessed
