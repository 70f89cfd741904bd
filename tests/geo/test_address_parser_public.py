"""The address parser against published Dutch address material that nobody in this project wrote.

Sources (each block below names its own):

* pelias/parser ``test/address.nld.test.js`` at commit 016cdf26b79ab74fbdce837a30f8f6c8bba8e9ae
  (MIT): the Dutch test cases of the Pelias address parser.
* nlextract/NLExtract ``bag/test/bagadres.csv`` at commit 8714df77fbdd0ad5285427c39b46af06ac89536e
  (GPL-3.0): real BAG rows (Amsterdam 1011 A*), with huisletter and huisnummertoevoeging as the
  BAG holds them ("105", "", "H"; "99", "B", "1"; "100", "", "1L").
* Amsterdam/vergunningcheck ``docs/zipcodes.md`` (MPL-2.0; the index had no commit for it): the
  "postcode, huisnummer" forms the City of Amsterdam uses in its own test list ("546 K 1", "2 1",
  "279 H").
* PDOK Locatieserver v3 responses published as test fixtures in public GitHub repositories
  (``straatnaam`` next to ``straatnaam_verkort``: "Europalaan"/"Europaln",
  "Bolognalaan"/"Bolognaln", "Lijsterstraat"/"Lijsterstr", "Riouwstraat"/"Riouwstr",
  "Arend Noorduijnstraat"/"Arend Noorduijnstr", "Evert van de Beekstraat"/"Evert van de Beekstr").
  The code index showed these excerpts without naming their repositories, so only the values are
  quoted; the pairs are the ones PDOK returns for those addresses.
* Official NEN 5825 short names (BAG "korte naam", at most 24 characters) quoted in a public
  address-cleaning script (again shown by the index without its repository): "Burg A P vd Blinkln",
  "Jkvr CM v Asch v Wijckln", "Kon Willem-Alexanderpln", "Comm d Vos v Steenwijkln",
  "Verl Oude Veenendaalsewg", "Storm v 's Gravesandestr". The full names beside them are the
  names those abbreviations stand for.

Where a source expects something else than the BAG reading, a comment says so and the test
asserts the BAG reading.
"""

import pytest

from buurt.geo.addresses import HouseNumber, ParsedAddress, normalize_street, parse_address

H = HouseNumber
P = ParsedAddress

# ---------------------------------------------------------------------------------------------
# pelias/parser test/address.nld.test.js @ 016cdf26b79ab74fbdce837a30f8f6c8bba8e9ae

PELIAS_NLD = [
    ("Julianastraat, Heel", P("Julianastraat", None, None, "Heel")),
    ("Lindenlaan, Sint Odilienberg", P("Lindenlaan", None, None, "Sint Odilienberg")),
    ("Bosserdijk, Hoogland", P("Bosserdijk", None, None, "Hoogland")),
    ("Lange Groenendaal, Gouda", P("Lange Groenendaal", None, None, "Gouda")),
    ("Achter Clarenburg, Utrecht", P("Achter Clarenburg", None, None, "Utrecht")),
    ("Brinkstraat 87, 7512EC, Enschede", P("Brinkstraat", H(87), "7512EC", "Enschede")),
    ("Blekerssngl, Gouda", P("Blekerssngl", None, None, "Gouda")),
    ("Weerdsingel O.Z., Utrecht", P("Weerdsingel O.Z.", None, None, "Utrecht")),
    ("Oranjelaan Westzijde 41, Puttershoek", P("Oranjelaan Westzijde", H(41), None, "Puttershoek")),
    ("Rembrandtplein, Amsterdam", P("Rembrandtplein", None, None, "Amsterdam")),
    ("Korte Tiendeweg, Gouda", P("Korte Tiendeweg", None, None, "Gouda")),
    ("Burgemeester Martenssingel, Gouda", P("Burgemeester Martenssingel", None, None, "Gouda")),
    ("Agorabaan, Lelystad", P("Agorabaan", None, None, "Lelystad")),
    ("1234AB, Amsterdam", P(None, None, "1234AB", "Amsterdam")),
    ("Haarlemmerdijk 12, 1234ST, Amsterdam", P("Haarlemmerdijk", H(12), "1234ST", "Amsterdam")),
    # Postcodes never have SA, SD or SS and never start with 0 (pelias issue 145): no postcode,
    # and the postcode-shaped text is not read as a place either.
    ("Haarlemmerdijk 12, 1234SS, Amsterdam", P("Haarlemmerdijk", H(12), None, "Amsterdam")),
    ("Haarlemmerdijk 12, 0123AB, Amsterdam", P("Haarlemmerdijk", H(12), None, "Amsterdam")),
]


@pytest.mark.parametrize(("text", "expected"), PELIAS_NLD)
def test_pelias_nld_cases(text, expected):
    assert parse_address(text) == expected


def test_pelias_st_ludgerusstraat_keeps_sint():
    # Pelias expects street "Ludgerusstraat" (it drops "St"); the BAG name is
    # "Sint Ludgerusstraat", so buurt keeps the word and matches it to the full name.
    parsed = parse_address("St Ludgerusstraat, Utrecht")
    assert parsed.place == "Utrecht"
    assert normalize_street(parsed.street) == normalize_street("Sint Ludgerusstraat")


@pytest.mark.parametrize("text", ["Rozenburg", "Bloemendaal"])
def test_pelias_single_name_is_street_or_place(text):
    # Pelias accepts both readings; without a number or comma buurt reads a street name (the
    # register then says whether it exists). Never a house number or postcode.
    parsed = parse_address(text)
    assert (parsed.house, parsed.postcode) == (None, None)
    assert text in (parsed.street, parsed.place)


def test_pelias_forbidden_postcode_alone():
    # Pelias expects only locality "Amsterdam"; buurt reads the lone word as the street. What
    # matters for BAG: "1234SA" is neither a postcode nor a house number.
    parsed = parse_address("1234SA, Amsterdam")
    assert (parsed.house, parsed.postcode) == (None, None)
    assert "Amsterdam" in (parsed.street, parsed.place)


def test_pelias_blekerssngl_is_the_singel():
    assert normalize_street("Blekerssngl") == normalize_street("Blekerssingel")


# ---------------------------------------------------------------------------------------------
# nlextract/NLExtract bag/test/bagadres.csv @ 8714df77fbdd0ad5285427c39b46af06ac89536e
# (openbareruimte; huisnummer; huisletter; huisnummertoevoeging; postcode; woonplaats)

BAGADRES_ROWS = [
    ("De Ruijterkade", 105, None, "1", "1011AB"),
    ("De Ruijterkade", 105, None, "H", "1011AB"),
    ("De Ruijterkade", 106, None, "H", "1011AB"),
    ("De Ruijterkade", 107, None, "5", "1011AB"),
    ("De Ruijterkade", 107, None, None, "1011AB"),
    ("De Ruijterkade", 149, "A", None, "1011AC"),
    ("De Ruijterkade", 149, "C", None, "1011AC"),
    ("Oosterdokskade", 36, "B", None, "1011AE"),
    ("Prins Hendrikkade", 99, "B", "1", "1011AG"),
    ("Prins Hendrikkade", 99, "B", "3", "1011AG"),
    ("Prins Hendrikkade", 100, None, "1L", "1011AH"),
    ("Prins Hendrikkade", 100, None, "3R", "1011AH"),
    ("Prins Hendrikkade", 100, None, "H", "1011AH"),
    ("Prins Hendrikkade", 102, None, "4", "1011AH"),
    ("Prins Hendrikkade", 104, "D", None, "1011AJ"),
    ("Houtkopersdwarsstraat", 6, None, None, "1011AL"),
    ("Prins Hendrikkade", 121, None, "2", "1011AM"),
]


def _typed_forms(street, number, letter, addition, postcode):
    """How residents write this BAG address: BAG-style, Amsterdam-style, and postcode first."""
    letter_text = (letter or "").lower()
    forms = []
    if addition:
        forms += [
            f"{street} {number}{letter_text}-{addition}",
            f"{street} {number}{letter_text} {addition}",
            f"{postcode} {number}{letter_text}-{addition}",
            f"{postcode[:4]} {postcode[4:]}, {number} {letter or ''} {addition}".replace("  ", " "),
        ]
    else:
        forms += [f"{street} {number}{letter_text}", f"{postcode} {number}{letter_text}"]
    return [f"{form}, Amsterdam" if form.startswith(street) else form for form in forms]


@pytest.mark.parametrize("row", BAGADRES_ROWS, ids=lambda r: f"{r[0]} {r[1]}{r[2] or ''}-{r[3] or ''}")
def test_bagadres_rows_typed_every_way_parse_to_the_bag_address(row):
    street, number, letter, addition, postcode = row
    wanted = H(number, letter, addition)
    for text in _typed_forms(*row):
        # "Prins Hendrikkade 121 2" reads first as street "Prins Hendrikkade 121", number 2 (the
        # last number group; street names hold numbers); its second reading is the BAG address.
        found = [
            reading
            for reading in parse_address(text).readings()
            if reading.house is not None and wanted in reading.house.readings()
        ]
        assert found, text
        parsed = found[0]
        if parsed.postcode is None:
            assert parsed.street == street, text
            assert parsed.place == "Amsterdam", text
        else:
            assert parsed.postcode == postcode, text


@pytest.mark.parametrize("text", ["1011AB 105-H", "1011 AB 105 H", "1011AB 105H", "De Ruijterkade 105-H"])
def test_bagadres_one_letter_toevoeging_is_a_reading(text):
    # Issue 14, point 1: BAG has 105 with toevoeging "H" and no huisletter.
    house = parse_address(text).house
    assert H(105, None, "H") in house.readings()


# ---------------------------------------------------------------------------------------------
# Amsterdam/vergunningcheck docs/zipcodes.md: "postcode, huisnummer" as the City writes them.

AMSTERDAM_FORMS = [
    ("1024BV, 546 K 1", "1024BV", H(546, "K", "1")),
    ("1024BV, 546 K 10", "1024BV", H(546, "K", "10")),
    ("1073HL, 2 1", "1073HL", H(2, None, "1")),
    ("1072AX, 239 1", "1072AX", H(239, None, "1")),
    ("1017GW, 279 H", "1017GW", H(279, None, "H")),  # toevoeging H ("huis"), a reading of 279h
    ("1012TK, 1A", "1012TK", H(1, "A")),
    ("1012TK, 2C", "1012TK", H(2, "C")),
    ("1055XD, 19c", "1055XD", H(19, "C")),
    ("1052VG, 14", "1052VG", H(14)),
    ("1077HP, 81", "1077HP", H(81)),
]


@pytest.mark.parametrize(("text", "postcode", "house"), AMSTERDAM_FORMS)
def test_amsterdam_postcode_house_forms(text, postcode, house):
    parsed = parse_address(text)
    assert parsed.postcode == postcode
    assert house in parsed.house.readings()
    assert parsed.street is None


# ---------------------------------------------------------------------------------------------
# PDOK Locatieserver: straatnaam vs straatnaam_verkort (see the module docstring).

PDOK_SHORT_NAMES = [
    ("Europalaan", "Europaln"),
    ("Bolognalaan", "Bolognaln"),
    ("Lijsterstraat", "Lijsterstr"),
    ("Riouwstraat", "Riouwstr"),
    ("Arend Noorduijnstraat", "Arend Noorduijnstr"),
    ("Evert van de Beekstraat", "Evert van de Beekstr"),
    ("Koolmees", "Koolmees"),
    ("Amstel", "Amstel"),
]


@pytest.mark.parametrize(("full", "short"), PDOK_SHORT_NAMES)
def test_pdok_full_and_short_street_name_match(full, short):
    assert normalize_street(full) == normalize_street(short)
    # ... and an address typed with either name parses to that street.
    assert normalize_street(parse_address(f"{short} 93").street) == normalize_street(full)


# NEN 5825 short names as the BAG registers them, with the names they abbreviate.
NEN_SHORT_NAMES = [
    ("Burgemeester A.P. van der Blinklaan", "Burg A P vd Blinkln"),
    ("Jonkvrouw C.M. van Asch van Wijcklaan", "Jkvr CM v Asch v Wijckln"),
    ("Koning Willem-Alexanderplein", "Kon Willem-Alexanderpln"),
    ("Commissaris de Vos van Steenwijklaan", "Comm d Vos v Steenwijkln"),
    ("Verlengde Oude Veenendaalseweg", "Verl Oude Veenendaalsewg"),
    ("Storm van 's-Gravesandestraat", "Storm v 's Gravesandestr"),
    ("Prinses Beatrixlaan", "Pr Beatrixln"),
    ("Hertog Karel van Gelreweg", "Hertog Karel van Gelrewg"),
    ("Sir Winston Churchilllaan", "Sir Winston Churchillln"),
    ("Professor Alberdingk Thijmstraat", "Prof Alberdingk Thijmstr"),
]


@pytest.mark.parametrize(("full", "short"), NEN_SHORT_NAMES)
def test_nen5825_short_name_matches_full_name(full, short):
    assert normalize_street(full) == normalize_street(short)
