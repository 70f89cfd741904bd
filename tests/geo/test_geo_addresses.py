"""addresses: postcodes, house numbers, free text, street matching keys and display."""

import pytest

from buurt.geo.addresses import (
    HouseNumber,
    InvalidAddress,
    ParsedAddress,
    format_address,
    format_postcode,
    normalize_postcode,
    normalize_street,
    parse_address,
    parse_house_number,
)

H = HouseNumber


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2221AB", "2221AB"),
        ("2221ab", "2221AB"),
        ("2221 AB", "2221AB"),
        (" 2221-ab ", "2221AB"),
        ("2221  aB", "2221AB"),
        ("9999ZZ", "9999ZZ"),
        ("1000AA", "1000AA"),
    ],
)
def test_normalize_postcode_accepts(text, expected):
    assert normalize_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Vul een postcode in"),
        ("   ", "Vul een postcode in"),
        ("0221AB", "begint niet met een 0"),
        ("2221SA", "SA, SD en SS"),
        ("2221 sd", "SA, SD en SS"),
        ("2221SS", "SA, SD en SS"),
        ("221AB", "4 cijfers en 2 letters"),
        ("22211AB", "4 cijfers en 2 letters"),
        ("2221A", "4 cijfers en 2 letters"),
        ("2221ABC", "4 cijfers en 2 letters"),
        ("AB2221", "4 cijfers en 2 letters"),
        ("2221 Ä B", "4 cijfers en 2 letters"),
    ],
)
def test_normalize_postcode_rejects_with_dutch_reason(text, reason):
    with pytest.raises(InvalidAddress) as caught:
        normalize_postcode(text)
    assert reason in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_format_postcode():
    assert format_postcode("2221AB") == "2221 AB"


@pytest.mark.parametrize(
    ("text", "expected", "display"),
    [
        ("12", H(12), "12"),
        ("12a", H(12, "A"), "12a"),
        ("12 A", H(12, "A"), "12a"),
        ("12-a", H(12, "A"), "12a"),
        ("12-3", H(12, None, "3"), "12-3"),
        ("12/3", H(12, None, "3"), "12-3"),
        ("12 bis", H(12, None, "BIS"), "12-bis"),
        ("12A-2", H(12, "A", "2"), "12a-2"),
        ("12 a 2", H(12, "A", "2"), "12a-2"),
        ("12 hs", H(12, None, "HS"), "12-hs"),
        ("12-II", H(12, None, "II"), "12-II"),
        ("12\u20133", H(12, None, "3"), "12-3"),  # en dash
        (" 7 ", H(7), "7"),
        ("99999", H(99999), "99999"),
    ],
)
def test_parse_house_number(text, expected, display):
    house = parse_house_number(text)
    assert house == expected
    assert str(house) == display


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Vul een huisnummer in"),
        ("0", "Huisnummer 0 bestaat niet"),
        ("-3", "niet negatief"),
        ("100000", "tot en met 99999"),
        ("abc", "begint met een getal"),
        ("a12", "begint met een getal"),
        ("12 abcde", "hoogstens 4 tekens"),
        ("12!!", "begrijpen we niet"),
        ("12a-b-c", "begrijpen we niet"),
    ],
)
def test_parse_house_number_rejects_with_dutch_reason(text, reason):
    with pytest.raises(InvalidAddress) as caught:
        parse_house_number(text)
    assert reason in caught.value.message


def test_house_number_value_object_validates_itself():
    with pytest.raises(ValueError, match="out of range"):
        HouseNumber(0)
    with pytest.raises(ValueError, match="one letter"):
        HouseNumber(1, "AB")
    with pytest.raises(ValueError, match="invalid addition"):
        HouseNumber(1, None, "TOOLONG")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Voorbeeldlaan 12a", ParsedAddress("Voorbeeldlaan", H(12, "A"))),
        ("Voorbeeldlaan 12a, Katwijk", ParsedAddress("Voorbeeldlaan", H(12, "A"), None, "Katwijk")),
        ("2221AB 12", ParsedAddress(None, H(12), "2221AB")),
        ("2221 ab 12-3", ParsedAddress(None, H(12, None, "3"), "2221AB")),
        ("2221AB, 12a", ParsedAddress(None, H(12, "A"), "2221AB")),
        (
            "Voorbeeldlaan 12a 2221AB Katwijk",
            ParsedAddress("Voorbeeldlaan", H(12, "A"), "2221AB", "Katwijk"),
        ),
        (
            "Voorbeeldlaan 12a-3, 2221 AB, Katwijk",
            ParsedAddress("Voorbeeldlaan", H(12, "A", "3"), "2221AB", "Katwijk"),
        ),
        ("v. Beethovenstr. 3", ParsedAddress("v. Beethovenstr.", H(3))),
        ("2e Boerhaavestraat 5", ParsedAddress("2e Boerhaavestraat", H(5))),
        ("Voorbeeldlaan 12 bis", ParsedAddress("Voorbeeldlaan", H(12, None, "BIS"))),
        ("Voorbeeldlaan 12 Katwijk", ParsedAddress("Voorbeeldlaan", H(12), None, "Katwijk")),
        ("Katwijk, Voorbeeldlaan 3", ParsedAddress("Voorbeeldlaan", H(3), None, "Katwijk")),
        ("Voorbeeldlaan, 12a", ParsedAddress("Voorbeeldlaan", H(12, "A"))),
        ("Voorbeeldlaan", ParsedAddress("Voorbeeldlaan")),
        ("2221 AB", ParsedAddress(None, None, "2221AB")),
        ("  voorbeeldlaan   12A  ", ParsedAddress("voorbeeldlaan", H(12, "A"))),
    ],
)
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Vul een adres in"),
        ("Voorbeeldlaan 0", "Huisnummer 0 bestaat niet"),
        ("Voorbeeldlaan 123456", "tot en met 99999"),
    ],
)
def test_parse_address_rejects(text, reason):
    with pytest.raises(InvalidAddress) as caught:
        parse_address(text)
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("V. Beethovenstr.", "van Beethovenstraat"),
        ("v.Beethovenstr", "Van  Beethovenstraat"),
        ("Burg. Koomanstr.", "Burgemeester Koomanstraat"),
        ("Pr. Bernhardln.", "Prins Bernhardlaan"),
        ("St. Jorisstraat", "Sint Jorisstraat"),
        ("Rijnsoeverwg.", "Rijnsoeverweg"),
        ("Zola pln", "Zola plein"),
        ("Emile Zolaplein", "Émile Zolaplein"),
        ("'s-Gravendijckseweg", "s Gravendijckseweg"),
        ("Plein v. d. Republiek", "Plein van de Republiek"),
    ],
)
def test_normalize_street_makes_variants_equal(a, b):
    assert normalize_street(a) == normalize_street(b)


def test_normalize_street_output():
    assert normalize_street("V. Beethovenstr.") == "van beethovenstraat"
    # Words that merely end in abbreviation letters are left alone.
    assert normalize_street("Oost") == "oost"
    # PDOK's official short names have no dot ("Europaln"): "ln" at the end is "laan" (issue 14).
    assert normalize_street("Kerkln") == normalize_street("Kerklaan") == "kerklaan"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("Voorbeeldlaan", H(12, "A", "3"), "2221AB", "Katwijk"), "Voorbeeldlaan 12a-3, 2221 AB Katwijk"),
        (("Voorbeeldlaan", H(12), None, None), "Voorbeeldlaan 12"),
        ((None, H(12, None, "BIS"), "2221AB", None), "12-bis, 2221 AB"),
        (("Voorbeeldlaan", None, None, "Katwijk"), "Voorbeeldlaan, Katwijk"),
    ],
)
def test_format_address(parts, expected):
    assert format_address(*parts) == expected
