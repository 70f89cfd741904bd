"""The address parser at its limits: both sides of every boundary, every reading, every Dutch message.

Found by mutation testing (issue 19): each test states a promise that a one-line bug in
buurt/geo/addresses.py broke without any test noticing.

The BAG limits come from the BAG itself and are restated by the City of Amsterdam's and
Dimpact's form builder: open-formulieren/formio-builder ``src/registry/addressNL/edit-validation.ts``
at commit 58ab1ed2afc4634306a29b89d9cbb45c945d2c4e ("Constraints taken from the BRK API"):
huisnummer ``^\\d{1,5}$``, huisletter ``^[a-zA-Z]$``, huisnummertoevoeging ``^([a-z,A-Z,0-9]){1,4}$``.
Street and place names are fictional unless the shape of a real one is the point.
"""

import pytest

from buurt.geo.addresses import (
    MAX_ADDITION_LENGTH,
    MAX_HOUSE_NUMBER,
    MAX_HOUSE_TEXT,
    HouseNumber,
    InvalidAddress,
    ParsedAddress,
    format_postcode,
    house_order,
    house_part,
    normalize_postcode,
    normalize_street,
    parse_address,
    parse_house_number,
)

H = HouseNumber
P = ParsedAddress


def test_the_limits_are_the_bag_limits():
    assert (MAX_HOUSE_NUMBER, MAX_ADDITION_LENGTH) == (99999, 4)


# ---------------------------------------------------------------------------------------------
# Toevoeging: up to 4 letters/digits (issue 19, point 3: a 4-character addition was refused by
# no test when ">" became ">=").


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-1234", H(12, None, "1234")),
        ("12 abcd", H(12, None, "ABCD")),
        ("12A-1HOG", H(12, "A", "1HOG")),
        ("12-ABCD", H(12, None, "ABCD")),
        ("12A-ZW", H(12, "A", "ZW")),
        ("12 bis", H(12, None, "BIS")),
        ("12 hs", H(12, None, "HS")),
        ("12-1", H(12, None, "1")),
    ],
)
def test_additions_up_to_four_characters_are_accepted(text, expected):
    assert parse_house_number(text) == expected


@pytest.mark.parametrize("text", ["12-12345", "12 abcde", "12A-1HOGE"])
def test_a_five_character_addition_is_refused_with_the_dutch_reason(text):
    with pytest.raises(InvalidAddress) as caught:
        parse_house_number(text)
    addition = text.split("-")[-1].split()[-1]
    assert caught.value.message == (
        f"De toevoeging '{addition}' is te lang: een toevoeging heeft hoogstens 4 tekens, bijvoorbeeld 12-3 of 12 bis."
    )


def test_the_value_object_takes_four_characters_and_refuses_five_or_none():
    assert H(12, None, "ABCD").addition == "ABCD"
    for addition in ("ABCDE", "", "A-1"):
        with pytest.raises(ValueError, match="invalid addition"):
            H(12, None, addition)
    assert H(1).number == 1
    assert H(MAX_HOUSE_NUMBER).number == 99999
    for number in (0, MAX_HOUSE_NUMBER + 1):
        with pytest.raises(ValueError, match="out of range"):
            H(number)


# ---------------------------------------------------------------------------------------------
# House number text: 20 characters are read, 21 are refused before anything else.


def test_house_text_of_twenty_characters_is_read_and_of_twenty_one_refused():
    twenty = "9999 a appartement 3"
    assert len(twenty) == MAX_HOUSE_TEXT == 20
    assert parse_house_number(twenty) == H(9999, "A", "3")
    with pytest.raises(InvalidAddress) as caught:
        parse_house_number("9" + twenty)
    assert caught.value.message == (
        "Dit huisnummer is te lang: huisnummers gaan tot en met 99999, bijvoorbeeld 12, 12a, 12-3 of 12 bis."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Vul een huisnummer in, bijvoorbeeld 12 of 12a."),
        ("  ", "Vul een huisnummer in, bijvoorbeeld 12 of 12a."),
        ("0", "Huisnummer 0 bestaat niet. Controleer het huisnummer."),
        ("-3", "'-3' kan geen huisnummer zijn: een huisnummer is niet negatief."),
        ("100000", "'100000' kan geen huisnummer zijn: huisnummers gaan tot en met 99999."),
        ("a12", "'a12' is geen huisnummer: een huisnummer begint met een getal, bijvoorbeeld 12 of 12a."),
        ("12!!", "Het huisnummer '12!!' begrijpen we niet. Schrijf het bijvoorbeeld als 12, 12a, 12-3 of 12 bis."),
    ],
)
def test_house_number_messages_are_the_dutch_sentences(text, message):
    with pytest.raises(InvalidAddress) as caught:
        parse_house_number(text)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 - 3", H(12, None, "3")),
        ("12 / 2", H(12, None, "2")),
        ("12a - 3", H(12, "A", "3")),
        ("46 - boven", H(46, None, "BOV")),  # was refused: the rewrite glued "46-boven" together
        ("12\u20103", H(12, None, "3")),  # hyphen
        ("12\u20113", H(12, None, "3")),  # non-breaking hyphen
        ("12\u20123", H(12, None, "3")),  # figure dash
        ("12\u20143", H(12, None, "3")),  # em dash
        ("12 bus 2", H(12, None, "2")),
        ("12 app 2", H(12, None, "2")),
        ("12 apt. 2", H(12, None, "2")),
        ("12 appartement 2", H(12, None, "2")),
        ("46 beneden", H(46, None, "BEN")),
    ],
)
def test_typed_separators_dashes_and_words(text, expected):
    assert parse_house_number(text) == expected


# ---------------------------------------------------------------------------------------------
# Readings of one house number: huisletter or one-letter toevoeging, letter + addition as one.


@pytest.mark.parametrize(
    ("house", "readings"),
    [
        (H(12), (H(12),)),
        (H(105, "H"), (H(105, "H"), H(105, None, "H"))),
        (H(105, None, "H"), (H(105, None, "H"), H(105, "H"))),  # NLExtract bagadres: 105 toevoeging H
        (H(12, "A", "3"), (H(12, "A", "3"), H(12, None, "A3"))),
        (H(12, "A", "BIS"), (H(12, "A", "BIS"), H(12, None, "ABIS"))),  # 4 characters together
        (H(12, "A", "1234"), (H(12, "A", "1234"),)),  # 5 together: no toevoeging can hold it
        (H(12, None, "HS"), (H(12, None, "HS"),)),
        (H(12, None, "3"), (H(12, None, "3"),)),  # a digit is never a huisletter
    ],
)
def test_house_number_readings(house, readings):
    assert house.readings() == readings


@pytest.mark.parametrize(
    ("house", "display"),
    [(H(105, None, "H"), "105-H"), (H(105, "H"), "105h"), (H(12, None, "IV"), "12-IV"), (H(12, None, "1L"), "12-1l")],
)
def test_display_keeps_capitals_only_for_one_letter_and_roman_toevoegingen(house, display):
    assert str(house) == display


def test_house_order_is_natural_for_people_choosing_their_address():
    wanted = [H(3), H(20), H(20, None, "1A"), H(20, None, "2"), H(20, None, "10"), H(20, None, "A"), H(20, "B")]
    for given in (list(reversed(wanted)), wanted[3:] + wanted[:3]):
        assert sorted(given, key=house_order) == wanted


# ---------------------------------------------------------------------------------------------
# Readings of free text: "Straat 12 3" is also Straat 12-3, at both ends of the limits.


@pytest.mark.parametrize(
    ("text", "second"),
    [
        ("Proefstraat 1 3", P("Proefstraat", H(1, None, "3"))),
        ("Proefstraat 99999 3", P("Proefstraat", H(99999, None, "3"))),
        ("Proefstraat 12 1234", P("Proefstraat", H(12, None, "1234"))),  # 4 characters
        ("Proefstraat 7 12ab", P("Proefstraat", H(7, None, "12AB"))),
        ("Proefstraat 12 123a", P("Proefstraat", H(12, None, "123A"))),
        ("Proefstraat 12 3, 2221 AB Katwijk", P("Proefstraat", H(12, None, "3"), "2221AB", "Katwijk")),
    ],
)
def test_number_pair_has_the_toevoeging_reading(text, second):
    parsed = parse_address(text)
    assert parsed.readings() == (parsed, second)


@pytest.mark.parametrize(
    "text",
    [
        "Proefstraat 0 3",  # no house number 0
        "Proefstraat 100000 3",  # beyond 99999
        "Proefstraat 12 12345",  # a toevoeging of 5 characters
        "1945 3",  # no street would be left
    ],
)
def test_no_toevoeging_reading_past_the_limits(text):
    parsed = parse_address(text)
    assert parsed.readings() == (parsed,)


# ---------------------------------------------------------------------------------------------
# Free text: where each part lands.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A place after the number is a place, also when it has more than one word.
        ("Voorbeeldlaan 12 Den Haag", P("Voorbeeldlaan", H(12), None, "Den Haag")),
        ("Voorbeeldlaan 12a Den Haag", P("Voorbeeldlaan", H(12, "A"), None, "Den Haag")),
        ("Voorbeeldlaan 12 Sint Odilienberg", P("Voorbeeldlaan", H(12), None, "Sint Odilienberg")),
        ("Voorbeeldlaan 12 Katwijk aan Zee", P("Voorbeeldlaan", H(12), None, "Katwijk aan Zee")),
        ("2221 AB 12 Den Haag", P(None, H(12), "2221AB", "Den Haag")),
        ("Verzonnenlaan 12 a Ede", P("Verzonnenlaan", H(12, "A"), None, "Ede")),
        # ... but a two-letter toevoeging, a floor word or a filler word is not a place.
        ("Verzonnenlaan 12 Hs", P("Verzonnenlaan", H(12, None, "HS"))),
        ("Verzonnenlaan 12 Boven", P("Verzonnenlaan", H(12, None, "BOV"))),
        ("Verzonnenlaan 12 Bus", P("Verzonnenlaan", H(12))),
        ("Verzonnenlaan 12 bis Katwijk", P("Verzonnenlaan", H(12, None, "BIS"), None, "Katwijk")),
        ("Verzonnenlaan 12 Bis", P("Verzonnenlaan", H(12, None, "BIS"))),
        ("Verzonnenlaan 12 Bis Katwijk", P("Verzonnenlaan", H(12, None, "BIS"), None, "Katwijk")),
        ("Verzonnenlaan 12 Bov", P("Verzonnenlaan", H(12, None, "BOV"))),
        ("Verzonnenlaan 12 Ter Apel", P("Verzonnenlaan", H(12), None, "Ter Apel")),
        # A word between two number groups belongs to the street; a letter to the house number.
        ("Plein 1945 Oost 1", P("Plein 1945 Oost", H(1))),
        ("Verzonnenlaan 7 A 3", P("Verzonnenlaan", H(7, "A", "3"))),
        ("Verzonnenlaan 12a - 3", P("Verzonnenlaan", H(12, "A", "3"))),
        ("Verzonnenlaan nr. 3", P("Verzonnenlaan", H(3))),
        ("Verzonnenlaan nr", P("Verzonnenlaan nr")),
        ("Voorbeeldlaan; 12a", P("Voorbeeldlaan", H(12, "A"))),
        ("Xavierlaan 3", P("Xavierlaan", H(3))),
        ("Proefstraat 3, Xaverdorp", P("Proefstraat", H(3), None, "Xaverdorp")),
        ("12a, Katwijk", P(None, H(12, "A"), None, "Katwijk")),
        ("Katwijk, Voorbeeldlaan 3, Zuid-Holland", P("Voorbeeldlaan", H(3), None, "Katwijk Zuid-Holland")),
        ("2221 AB Katwijk, Zuid-Holland", P(None, None, "2221AB", "Katwijk Zuid-Holland")),
        ("2221 AB 12X", P(None, H(12, "X"), "2221AB")),
        # A postcode after the house number is a postcode; "1000-aa" right after a street is a
        # house number with toevoeging AA, unless a comma or the start of the text is before it.
        ("Voorbeeldlaan 12 2221 AB", P("Voorbeeldlaan", H(12), "2221AB")),
        ("Proefstraat 1000-aa", P("Proefstraat", H(1000, None, "AA"))),
        ("Proefstraat 1000-aa, Katwijk", P("Proefstraat", H(1000, None, "AA"), None, "Katwijk")),
        ("Proefstraat 1000-aa , Katwijk", P("Proefstraat", H(1000, None, "AA"), None, "Katwijk")),
        ("Proefstraat 3, 1000-AA", P("Proefstraat", H(3), "1000AA")),
        ("1000-AA, 12", P(None, H(12), "1000AA")),
        # SA, SD and SS are never postcode letters: the search goes on to the real postcode.
        ("Proefstraat 12, 1234 SS, 2221 AB Katwijk", P("Proefstraat", H(12), "2221AB", "Katwijk")),
    ],
)
def test_free_text_parts_land_in_the_right_field(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Vul een adres in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12a."),
        ("2221 AB 0", "Huisnummer 0 bestaat niet. Controleer het huisnummer."),
    ],
)
def test_free_text_messages_are_the_dutch_sentences(text, message):
    with pytest.raises(InvalidAddress) as caught:
        parse_address(text)
    assert caught.value.message == message


# ---------------------------------------------------------------------------------------------
# Postcodes and the small helpers.


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Vul een postcode in, bijvoorbeeld 2221 AB."),
        (
            "221AB",
            "'221AB' is geen geldige postcode: een postcode bestaat uit 4 cijfers en 2 letters, bijvoorbeeld 2221 AB.",
        ),
        ("0221AB", "'0221AB' is geen geldige postcode: een Nederlandse postcode begint niet met een 0."),
        (
            "2221SA",
            "'2221SA' is geen geldige postcode: de letters SA, SD en SS komen in Nederlandse postcodes niet voor.",
        ),
    ],
)
def test_postcode_messages_are_the_dutch_sentences(text, message):
    with pytest.raises(InvalidAddress) as caught:
        normalize_postcode(text)
    assert caught.value.message == message


def test_format_postcode_leaves_a_value_that_is_not_canonical_as_it_is():
    assert format_postcode("2221AB") == "2221 AB"
    assert format_postcode("2221") == "2221"


def test_house_part_is_stripped_capitals_or_none():
    assert house_part(" bis ") == "BIS"
    assert house_part("a") == "A"
    assert house_part("  ") is None
    assert house_part(None) is None


# ---------------------------------------------------------------------------------------------
# Street matching keys.


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Anna's Hoeve", "Annas Hoeve"),  # an apostrophe inside a word is dropped
        ("Anna\u2019s Hoeve", "Anna's Hoeve"),  # the typographic apostrophe too
        ("ST Proefstraat", "Sint Proefstraat"),  # "ST" in capitals is the abbreviation, not initials
        ("Burg . Proefstraat", "Burgemeester Proefstraat"),  # a stray dot is skipped, not the end
        ("IJwg", "IJweg"),  # a two-letter stem takes the suffix expansion
    ],
)
def test_street_keys_match(a, b):
    assert normalize_street(a) == normalize_street(b)


def test_street_keys_edge_cases():
    assert normalize_street("") == normalize_street(None) == ""
    assert normalize_street("Xenonweg") == "xenonweg"
    assert normalize_street("Owg") == "owg"  # a one-letter stem is not expanded
