"""Dutch addresses as residents type them: postcode, house number, street, free text.

Canonical forms (what the parsers return and registers store):

* postcode ``"2221AB"`` (4 digits not starting with 0, 2 capitals, never SA/SD/SS);
* house number as :class:`HouseNumber` with ``letter`` and ``addition`` in capitals
  (BAG style: ``huisletter`` and ``huisnummertoevoeging``); compare them case-insensitively;
* street names keep the resident's spelling; :func:`normalize_street` gives a matching key that
  is the same for the full BAG name and its official NEN 5825 short name ("Europalaan" and PDOK's
  ``straatnaam_verkort`` "Europaln").

Free text: the house number is the LAST number group, because street names may hold numbers
("Plein 1945 1", "Kamp 20 38", "Laan 1940-1945 7"); "2e Jan Steenstraat 4" keeps its "2e".
Where "Straat 12 3" could also mean number 12, toevoeging 3, :meth:`ParsedAddress.readings`
gives that reading too, so a register can try both.

Error messages (``InvalidAddress.message``) are Dutch sentences meant for residents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from buurt.exceptions import UserError

__all__ = [
    "HouseNumber",
    "InvalidAddress",
    "ParsedAddress",
    "format_address",
    "format_postcode",
    "house_order",
    "house_part",
    "normalize_postcode",
    "normalize_street",
    "parse_address",
    "parse_house_number",
]

MAX_HOUSE_NUMBER = 99999
MAX_ADDITION_LENGTH = 4
#: The longest house number text worth reading ("99999 A-XVII" with room to spare). Checked before
#: anything else: int() refuses more than 4,300 digits, and a message must not echo a megabyte.
MAX_HOUSE_TEXT = 20

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_POSTCODE_RE = re.compile(r"^(\d{4})[\s-]*([A-Za-z]{2})$")
# Inside free text: 4 digits, optional space/hyphen, 2 letters, not followed by a letter.
_POSTCODE_IN_TEXT_RE = re.compile(r"(?<![\w])([1-9]\d{3})\s?-?\s?([A-Za-z]{2})(?![\w])")
_FORBIDDEN_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})
# Shaped like a postcode but not a valid one ("1234 SS", "0123AB"): never a place or house number.
_POSTCODE_SHAPE_RE = re.compile(r"^\d{4}\s?-?\s?[A-Za-z]{2}$")
# number, then an optional single letter (not followed by another letter), then an optional
# addition of letters/digits after an optional separator.
_HOUSE_RE = re.compile(
    r"^(?P<number>\d+)"
    r"(?:\s*-?\s*(?P<letter>[A-Za-z])(?![A-Za-z]))?"
    r"(?:\s*[-/\s]?\s*(?P<addition>[A-Za-z0-9]+))?$"
)
_ROMAN_RE = re.compile(r"^[IVX]+$")
# Typed forms that are BAG fields in other clothes: "12 (2)" is 12-2, "12 bus II" (Belgian) and
# "12 app. 3" are 12-II and 12-3, "12 / 2" is 12/2. Floor words longer than a BAG toevoeging (at most
# 4 characters) become the short forms municipalities register: "46 a BOVEN" is 46a-BOV.
_PAREN_ADDITION_RE = re.compile(r"(?<=[0-9A-Za-z])\s*\(\s*([0-9A-Za-z]{1,4})\s*\)")
_SEPARATOR_SPACES_RE = re.compile(r"(?<=\d)\s*([-/])\s*(?=[0-9A-Za-z])|(?<=\d[A-Za-z])\s*([-/])\s*(?=[0-9A-Za-z])")
_FILLER_WORDS = frozenset({"bus", "app", "app.", "apt", "apt.", "appartement"})
_HOUSE_WORDS = {"boven": "bov", "beneden": "ben"}
# Words after a house number that are part of it, also when capitalised ("12 Bis", "12 Boven"),
# never a place. Not "ter": "Ter Apel" and "Ter Aar" are places.
_NOT_PLACES = _FILLER_WORDS | frozenset(_HOUSE_WORDS) | frozenset(_HOUSE_WORDS.values()) | {"bis"}
# Words before a house number that are not part of the street ("Kerkstraat nr. 12").
_NUMBER_WORDS = frozenset({"nr", "nr.", "no", "no.", "nummer", "huisnummer"})
# A street name glued to its number: "Kraanspoor39", "Route66". Three letters at least, so road
# numbers such as "A12" and "N206" stay whole.
_GLUED_RE = re.compile(r"^([^\W\d_][^\W\d_'.-]{2,})(\d+(?:[0-9A-Za-z-]*[0-9A-Za-z])?)$")
# A number group that can be part of a street name: "1945", "1940-1945".
_STREET_NUMBER_RE = re.compile(r"^\d+(?:-\d+)?$")
#: The most tokens a house number takes in free text ("12", "a", "bis" ... "46 a bov").
MAX_HOUSE_TOKENS = 4


class InvalidAddress(UserError, ValueError):
    """An address part that cannot be right; ``message`` is a Dutch sentence for the resident."""


@dataclass(frozen=True, slots=True)
class HouseNumber:
    """A Dutch house number: ``number`` plus optional ``letter`` (huisletter) and ``addition``.

    ``letter`` and ``addition`` are stored in capitals; ``str()`` gives the display form
    (``12``, ``12a``, ``12a-3``, ``12-bis``, ``12-II``, ``105-H``).
    """

    number: int
    letter: str | None = None
    addition: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.number <= MAX_HOUSE_NUMBER:
            raise ValueError(f"house number out of range: {self.number}")
        if self.letter is not None and not (len(self.letter) == 1 and self.letter.isalpha()):
            raise ValueError(f"letter must be one letter: {self.letter!r}")
        if self.addition is not None and not (
            1 <= len(self.addition) <= MAX_ADDITION_LENGTH and self.addition.isalnum()
        ):
            raise ValueError(f"invalid addition: {self.addition!r}")

    def readings(self) -> tuple[HouseNumber, ...]:
        """The BAG addresses this number as typed can mean, the typed reading first.

        One letter after the number is a huisletter ("12a") or a one-letter huisnummertoevoeging
        ("105-H": BAG has both), and a letter plus an addition may be one toevoeging ("12A3");
        residents cannot know which, so a lookup tries every reading before it says "unknown".
        """
        readings = [self]
        letter, addition = self.letter, self.addition
        if letter and not addition:
            readings.append(HouseNumber(self.number, None, letter))
        elif letter and addition and len(letter + addition) <= MAX_ADDITION_LENGTH:
            readings.append(HouseNumber(self.number, None, letter + addition))
        elif not letter and addition and len(addition) == 1 and addition.isalpha():
            readings.append(HouseNumber(self.number, addition))
        return tuple(readings)

    def __str__(self) -> str:
        text = str(self.number)
        if self.letter:
            text += self.letter.lower()
        if self.addition:
            # Roman floors and a one-letter toevoeging ("105-H", not "105h": that is a huisletter)
            # keep their capitals.
            upper = _ROMAN_RE.match(self.addition) or (len(self.addition) == 1 and self.addition.isalpha())
            addition = self.addition if upper else self.addition.lower()
            text += f"-{addition}"
        return text


def house_order(house: HouseNumber) -> tuple:
    """Order for people choosing their address: the bare number first, then by letter; additions
    in natural order (20-2 before 20-10; text order would be 20-1, 20-10, 20-11, 20-2)."""
    chunks = re.findall(r"\d+|\D+", house.addition or "")
    return (
        house.number,
        house.letter or "",
        # (0, number) before (1, text); the first item decides, so an int never meets a str.
        [(0, int(chunk)) if chunk.isdigit() else (1, chunk) for chunk in chunks],
    )


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """What could be read from a free-text address; any part may be missing."""

    street: str | None = None
    house: HouseNumber | None = None
    postcode: str | None = None
    place: str | None = None

    def readings(self) -> tuple[ParsedAddress, ...]:
        """The addresses this text can mean, the parsed one first.

        "Voorbeeldlaan 12 3" is street "Voorbeeldlaan 12", number 3 (street names hold numbers:
        "Kamp 20 38"), but may be "Voorbeeldlaan" 12-3 (Amsterdam writes "239 1"). A street lookup
        tries both; the register knows which street exists.
        """
        street, house = self.street, self.house
        if not street or house is None or " " not in street:
            return (self,)
        head, _, last = street.rpartition(" ")
        addition = f"{house.number}{house.letter or ''}{house.addition or ''}"
        if not last.isdigit() or len(addition) > MAX_ADDITION_LENGTH or not 1 <= int(last) <= MAX_HOUSE_NUMBER:
            return (self,)
        other = HouseNumber(int(last), None, addition)
        return (self, ParsedAddress(head, other, self.postcode, self.place))


def normalize_postcode(text: str) -> str:
    """Return the canonical postcode (``"2221AB"``) or raise :class:`InvalidAddress`.

    Accepts ``"2221ab"``, ``"2221 AB"``, ``" 2221-ab "``.
    """
    cleaned = (text or "").translate(_DASHES).strip()
    if not cleaned:
        raise InvalidAddress("Vul een postcode in, bijvoorbeeld 2221 AB.")
    match = _POSTCODE_RE.match(cleaned)
    if match is None:
        raise InvalidAddress(
            f"'{cleaned}' is geen geldige postcode: een postcode bestaat uit 4 cijfers en "
            "2 letters, bijvoorbeeld 2221 AB."
        )
    digits, letters = match.group(1), match.group(2).upper()
    if digits.startswith("0"):
        raise InvalidAddress(f"'{cleaned}' is geen geldige postcode: een Nederlandse postcode begint niet met een 0.")
    if letters in _FORBIDDEN_POSTCODE_LETTERS:
        raise InvalidAddress(
            f"'{cleaned}' is geen geldige postcode: de letters SA, SD en SS komen in Nederlandse postcodes niet voor."
        )
    return digits + letters


def format_postcode(postcode: str) -> str:
    """Display form of a canonical postcode: ``"2221AB"`` -> ``"2221 AB"``."""
    return f"{postcode[:4]} {postcode[4:]}" if len(postcode) == 6 else postcode


def _clean_house_text(text: str) -> str:
    """``"12 (2)"`` -> ``"12-2"``, ``"12 bus II"`` -> ``"12 II"``, ``"46 a BOVEN"`` -> ``"46 a bov"``."""
    if "(" in text:
        text = _PAREN_ADDITION_RE.sub(r"-\1", text)
    if " " not in text:
        return text  # the common "12", "12a", "12-3": nothing to rewrite
    # Spaces around "-" and "/" ("12 - 3") need no rewriting: _HOUSE_RE allows them.
    words = text.split()
    return " ".join(_HOUSE_WORDS.get(word.lower(), word) for word in words if word.lower() not in _FILLER_WORDS)


def parse_house_number(text: str) -> HouseNumber:
    """Read a house number as residents type it, or raise :class:`InvalidAddress`.

    ``"12"``, ``"12a"``, ``"12 A"``, ``"12-3"``, ``"12 bis"``, ``"12A-2"``, ``"12 hs"``, ``"12-II"``,
    ``"12 (2)"``, ``"12 bus II"``, ``"12 A 3"``, ``"12bis"``, ``"46 a BOVEN"`` (46a-BOV).
    A single letter straight after the number (also after a space or hyphen: ``"12-a"``) is
    the huisletter; anything else after it is the toevoeging (at most 4 letters/digits). A lone
    letter may also be a one-letter toevoeging ("105-H"): :meth:`HouseNumber.readings` gives both.
    """
    cleaned = " ".join((text or "").translate(_DASHES).split())
    if not cleaned:
        raise InvalidAddress("Vul een huisnummer in, bijvoorbeeld 12 of 12a.")
    if len(cleaned) > MAX_HOUSE_TEXT:
        raise InvalidAddress(
            f"Dit huisnummer is te lang: huisnummers gaan tot en met {MAX_HOUSE_NUMBER}, "
            "bijvoorbeeld 12, 12a, 12-3 of 12 bis."
        )
    cleaned = _clean_house_text(cleaned)
    if re.match(r"^-\s*\d", cleaned):
        raise InvalidAddress(f"'{cleaned}' kan geen huisnummer zijn: een huisnummer is niet negatief.")
    if not cleaned[0].isdigit():
        raise InvalidAddress(
            f"'{cleaned}' is geen huisnummer: een huisnummer begint met een getal, bijvoorbeeld 12 of 12a."
        )
    match = _HOUSE_RE.match(cleaned)
    if match is None:
        raise InvalidAddress(
            f"Het huisnummer '{cleaned}' begrijpen we niet. Schrijf het bijvoorbeeld als 12, 12a, 12-3 of 12 bis."
        )
    number = int(match.group("number"))
    if number == 0:
        raise InvalidAddress("Huisnummer 0 bestaat niet. Controleer het huisnummer.")
    if number > MAX_HOUSE_NUMBER:
        raise InvalidAddress(f"'{cleaned}' kan geen huisnummer zijn: huisnummers gaan tot en met {MAX_HOUSE_NUMBER}.")
    letter = match.group("letter")
    addition = match.group("addition")
    if addition is not None and len(addition) > MAX_ADDITION_LENGTH:
        raise InvalidAddress(
            f"De toevoeging '{addition}' is te lang: een toevoeging heeft hoogstens "
            f"{MAX_ADDITION_LENGTH} tekens, bijvoorbeeld 12-3 of 12 bis."
        )
    return HouseNumber(
        number=number,
        letter=letter.upper() if letter else None,
        addition=addition.upper() if addition else None,
    )


# ---------------------------------------------------------------------------------------------
# Free text


def house_part(value: str | None) -> str | None:
    """A house letter or addition as stored: stripped, in capitals, ``None`` when blank."""
    value = (value or "").strip()
    return value.upper() or None


def _try_house(text: str) -> HouseNumber | None:
    try:
        return parse_house_number(text)
    except InvalidAddress:
        return None


def _clean_part(text: str) -> str | None:
    cleaned = " ".join(text.replace(",", " ").split()).strip(" .;()")
    return cleaned or None


def _tokens(segment: str) -> list[str]:
    """Words of a street-and-number segment, with the typed house forms made regular.

    ``"Kraanspoor39"`` -> ``["Kraanspoor", "39"]``; ``"12 (2)"`` -> ``["12-2"]``; ``"12 - 3"`` ->
    ``["12-3"]``; ``"nr."`` before a number is dropped (``"Kerkstraat nr. 12"``).
    """
    segment = _PAREN_ADDITION_RE.sub(r"-\1", segment)
    segment = _SEPARATOR_SPACES_RE.sub(lambda m: m.group(1) or m.group(2), segment)
    tokens: list[str] = []
    for token in segment.split():
        glued = _GLUED_RE.match(token)
        if glued is not None:
            tokens.extend(glued.groups())
        else:
            tokens.append(token)
    return [
        token
        for index, token in enumerate(tokens)
        if not (token.lower() in _NUMBER_WORDS and index + 1 < len(tokens) and tokens[index + 1][0].isdigit())
    ]


def _is_house_part(token: str) -> bool:
    """A token that sits inside a house number between two number groups ("12 A 3", "12 bus 2")."""
    return (len(token) == 1 and token.isalpha()) or token.lower() in _FILLER_WORDS


def _house_start(tokens: list[str]) -> int | None:
    """Index of the token where the house number starts: the LAST number group, stepping back
    over parts of the same house number ("12 A 3", "12a 3"), never to the first token."""
    start = None
    for index in range(len(tokens) - 1, 0, -1):
        if tokens[index][0].isdigit():
            start = index
            break
    if start is None:
        return None
    before = tokens[start - 1]
    if start >= 3 and _is_house_part(before) and tokens[start - 2][0].isdigit():
        return start - 2  # "12 A 3", "12 bus 2"
    if start >= 2 and before[0].isdigit() and not _STREET_NUMBER_RE.match(before):
        return start - 1  # "12a 3", "546K 1"
    return start  # "Plein 1945 1": the number group before belongs to the street


def _looks_like_place(word: str) -> bool:
    """ "Ede" after "12": a capitalised word, not a toevoeging such as "bis" or "BOVEN"."""
    return (
        len(word) > 2
        and word.isalpha()
        and word[0].isupper()
        and not word.isupper()
        and word.lower() not in _NOT_PLACES
    )


def _house_and_rest(tokens: list[str]) -> tuple[HouseNumber, str | None] | None:
    """The longest house number at the start of ``tokens`` and the words after it (a place)."""
    for end in range(min(len(tokens), MAX_HOUSE_TOKENS), 0, -1):
        house = _try_house(" ".join(tokens[:end]))
        if house is None:
            continue
        # "12 Ede", "12 Den Haag": a short house number and a place rather than the 3-letter
        # toevoeging "EDE" or "DEN".
        if end > 1 and _looks_like_place(tokens[end - 1]):
            short = _try_house(" ".join(tokens[: end - 1]))
            if short is not None:
                return short, _clean_part(" ".join(tokens[end - 1 :]))
        return house, _clean_part(" ".join(tokens[end:]))
    return None


def _split_street_house(
    segment: str,
) -> tuple[str | None, HouseNumber | None, str | None]:
    """Split ``"Voorbeeldlaan 12a Katwijk"`` into (street, house, rest).

    The house number is the last number group: ``"Plein 1945 1"`` is street "Plein 1945",
    number 1; ``"1e Hogeweg 3"`` keeps "1e" in the street.
    """
    tokens = _tokens(segment)
    if not tokens:
        return None, None, None
    if len(tokens) == 1:
        house = _try_house(tokens[0])
        return (None, house, None) if house else (tokens[0], None, None)
    start = _house_start(tokens)
    if start is None:
        return " ".join(tokens), None, None
    found = _house_and_rest(tokens[start:])
    if found is None:
        parse_house_number(tokens[start])  # looks like a number but is not a valid one: say why
        return " ".join(tokens), None, None  # pragma: no cover - parse_house_number raised
    house, rest = found
    return " ".join(tokens[:start]), house, rest


def _leading_house(text: str) -> tuple[HouseNumber | None, str | None]:
    """Split ``"12-3 Katwijk"`` (text after a postcode) into (house, place)."""
    tokens = _tokens(text)
    if not tokens or not tokens[0][0].isdigit():
        return None, _clean_part(text)
    found = _house_and_rest(tokens)
    if found is None:
        parse_house_number(tokens[0])  # raises with the reason
        raise AssertionError("unreachable")  # pragma: no cover
    return found


def parse_address(text: str) -> ParsedAddress:
    """Read a free-text address; parts that are not there are ``None``.

    Handles ``"Voorbeeldlaan 12a"``, ``"Voorbeeldlaan 12a, Katwijk"``, ``"2221AB 12"``,
    ``"2221 ab 12-3"``, ``"Voorbeeldlaan 12a 2221AB Katwijk"``, ``"v. Beethovenstr. 3"``.
    Raises :class:`InvalidAddress` for empty text or a clearly wrong house number ("Laan 0").
    """
    cleaned = " ".join((text or "").translate(_DASHES).split())
    if not cleaned:
        raise InvalidAddress("Vul een adres in, bijvoorbeeld 2221 AB 12 of Voorbeeldlaan 12a.")

    postcode: str | None = None
    before, after = cleaned, ""
    for match in _POSTCODE_IN_TEXT_RE.finditer(cleaned):
        if match.group(2).upper() in _FORBIDDEN_POSTCODE_LETTERS:
            continue
        if (
            "-" in match.group(0)
            and cleaned[: match.start()].rstrip()[-1:] not in ("", ",")
            and cleaned[match.end() :].lstrip()[:1] in ("", ",")
        ):
            continue  # "Proefstraat 1000-aa, Katwijk" is house number 1000-AA, not postcode 1000 AA
        postcode = match.group(1) + match.group(2).upper()
        before, after = cleaned[: match.start()], cleaned[match.end() :]
        break

    street: str | None = None
    house: HouseNumber | None = None
    place: str | None = None

    head_segments = [s for s in (p.strip() for p in before.split(",")) if s and not _POSTCODE_SHAPE_RE.match(s)]
    tail = after.strip(" ,")

    if head_segments:
        # The street is the first comma segment that holds a house number ("Katwijk,
        # Voorbeeldlaan 3" works too); without any number it is the first segment.
        chosen = 0
        for index, segment in enumerate(head_segments):
            if _split_street_house(segment)[1] is not None:
                chosen = index
                break
        street, house, rest = _split_street_house(head_segments[chosen])
        others = head_segments[:chosen] + head_segments[chosen + 1 :]
        if street is None and chosen > 0:
            # "Voorbeeldlaan, 12a": the street is the segment before the bare number.
            street = head_segments[chosen - 1]
            others.remove(street)
        extra = ([rest] if rest else []) + others
        if postcode is None:
            place = _clean_part(" ".join(extra))
    if tail:
        if house is None:
            house, place_after = _leading_house(tail)
        else:
            place_after = _clean_part(tail)
        place = place_after or place
    if street is not None:
        street = street.strip(" ,;") or None
    return ParsedAddress(street=street, house=house, postcode=postcode, place=place)


# ---------------------------------------------------------------------------------------------
# Street names

# Whole words: the official NEN 5825 short forms (PDOK ``straatnaam_verkort``, BAG "korte naam")
# and what residents type. Both sides of a match go through this, so the value only has to be
# the same for the full and the short word ("prinses" and "pr" -> "prins").
_WORD_ABBREVIATIONS = {
    "v": "van",
    "d": "de",
    "vd": "van de",
    "burg": "burgemeester",
    "pr": "prins",
    "prinses": "prins",
    "st": "sint",
    "str": "straat",
    "ln": "laan",
    "wg": "weg",
    "pln": "plein",
    "sngl": "singel",
    "mr": "meester",
    "dr": "dokter",
    "doctor": "dokter",
    "ds": "dominee",
    "kon": "koning",
    "koningin": "koning",
    "prof": "professor",
    "gen": "generaal",
    "comm": "commissaris",
    "weth": "wethouder",
    "past": "pastoor",
    "jhr": "jonkheer",
    "jkvr": "jonkvrouw",
    "mgr": "monseigneur",
    "zr": "zuster",
    "verl": "verlengde",
    "gebr": "gebroeders",
}
# Word endings of the official short names, written with or without a dot ("Europaln",
# "Lijsterstr", "Blekerssngl", "Rijnsoeverwg."). Only endings no Dutch word has, so a real name
# is never changed into another one ("Wegh", "Oost", "Kerkhof" stay as they are). Longest first.
_SUFFIX_ABBREVIATIONS = (
    ("sngl", "singel"),
    ("pln", "plein"),
    ("str", "straat"),
    ("ln", "laan"),
    ("wg", "weg"),
)
# "van der", "van den" and "van de" are all "vd" in a short name.
_VAN_ARTICLES = frozenset({"de", "der", "den"})
_STREET_SPLIT_RE = re.compile(r"[^\w.]+|_")
_DOTTED_RE = re.compile(r"(?<=\.)(?=\w)")
# Initials written together in a short name ("Jkvr CM v Asch v Wijckln" for "C.M.").
_INITIALS_RE = re.compile(r"^[A-Z]{2,3}$")
_NOT_INITIALS = frozenset({"IJ"})


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _street_words(name: str) -> list[str]:
    """Raw words in the resident's case; "CM" between other words becomes "C", "M"."""
    words: list[str] = []
    mixed = name != name.upper()
    for raw in _STREET_SPLIT_RE.split(name):
        for token in _DOTTED_RE.split(raw):  # "v.beethovenstr." -> "v.", "beethovenstr."
            if (
                mixed
                and _INITIALS_RE.match(token)
                and token not in _NOT_INITIALS
                and token.lower() not in _WORD_ABBREVIATIONS
            ):
                words.extend(token)
            elif token:
                words.append(token)
    return words


def normalize_street(name: str) -> str:
    """Matching key for a street name: forgiving about case, accents, dots and abbreviations.

    ``"V. Beethovenstr."`` and ``"van Beethovenstraat"`` both give ``"van beethovenstraat"``;
    the BAG name and its official short name give the same key: ``"Europalaan"`` and
    ``"Europaln"``, ``"Burgemeester A.P. van der Blinklaan"`` and ``"Burg A P vd Blinkln"``.
    """
    text = _strip_accents(name or "").replace("\u2019", "'").replace("'", "")
    words: list[str] = []
    for token in _street_words(text):
        word = token.strip(".").casefold()
        if not word:
            continue
        if word in _WORD_ABBREVIATIONS:
            words.extend(_WORD_ABBREVIATIONS[word].split())
            continue
        if words and words[-1] == "van" and word in _VAN_ARTICLES:
            words.append("de")
            continue
        if not word[-1].isdigit():
            for suffix, full in _SUFFIX_ABBREVIATIONS:
                if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                    word = word[: -len(suffix)] + full
                    break
        words.append(word)
    return " ".join(words)


def format_address(
    street: str | None,
    house: HouseNumber | None,
    postcode: str | None,
    place: str | None,
) -> str:
    """Display form: ``"Voorbeeldlaan 12a-3, 2221 AB Katwijk"``; missing parts are left out."""
    # Plain conditionals rather than generator joins: this runs on every register hit.
    number = str(house) if house else ""
    first = f"{street} {number}" if street and number else (street or number)
    pc = format_postcode(postcode) if postcode else ""
    second = f"{pc} {place}" if pc and place else (pc or place or "")
    return f"{first}, {second}" if first and second else (first or second)
