"""Dutch addresses as residents type them: postcode, house number, street, free text.

Canonical forms (what the parsers return and registers store):

* postcode ``"2221AB"`` (4 digits not starting with 0, 2 capitals, never SA/SD/SS);
* house number as :class:`HouseNumber` with ``letter`` and ``addition`` in capitals
  (BAG style: ``huisletter`` and ``huisnummertoevoeging``); compare them case-insensitively;
* street names keep the resident's spelling; :func:`normalize_street` gives a matching key.

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
# number, then an optional single letter (not followed by another letter), then an optional
# addition of letters/digits after an optional separator.
_HOUSE_RE = re.compile(
    r"^(?P<number>\d+)"
    r"(?:\s*-?\s*(?P<letter>[A-Za-z])(?![A-Za-z]))?"
    r"(?:\s*[-/\s]?\s*(?P<addition>[A-Za-z0-9]+))?$"
)
_ROMAN_RE = re.compile(r"^[IVX]+$")


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
            readings.append(HouseNumber(self.number, addition, None))
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


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """What could be read from a free-text address; any part may be missing."""

    street: str | None = None
    house: HouseNumber | None = None
    postcode: str | None = None
    place: str | None = None


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


def parse_house_number(text: str) -> HouseNumber:
    """Read a house number as residents type it, or raise :class:`InvalidAddress`.

    ``"12"``, ``"12a"``, ``"12 A"``, ``"12-3"``, ``"12 bis"``, ``"12A-2"``, ``"12 hs"``, ``"12-II"``.
    A single letter straight after the number (also after a space or hyphen: ``"12-a"``) is
    the huisletter; anything else after it is the toevoeging (at most 4 letters/digits).
    """
    cleaned = " ".join((text or "").translate(_DASHES).split())
    if not cleaned:
        raise InvalidAddress("Vul een huisnummer in, bijvoorbeeld 12 of 12a.")
    if len(cleaned) > MAX_HOUSE_TEXT:
        raise InvalidAddress(
            f"Dit huisnummer is te lang: huisnummers gaan tot en met {MAX_HOUSE_NUMBER}, "
            "bijvoorbeeld 12, 12a, 12-3 of 12 bis."
        )
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
    cleaned = " ".join(text.replace(",", " ").split()).strip(" .;")
    return cleaned or None


def _split_street_house(
    segment: str,
) -> tuple[str | None, HouseNumber | None, str | None]:
    """Split ``"Voorbeeldlaan 12a Katwijk"`` into (street, house, rest)."""
    tokens = segment.split()
    if not tokens:
        return None, None, None
    if len(tokens) == 1:
        house = _try_house(tokens[0])
        return (None, house, None) if house else (tokens[0], None, None)
    # Longest suffix that is a house number, leaving a street before it.
    for k in range(1, len(tokens)):
        if tokens[k][0].isdigit():
            house = _try_house(" ".join(tokens[k:]))
            if house is not None:
                return " ".join(tokens[:k]), house, None
    # A house number followed by more words (a place without a comma): take the shortest
    # valid number at the last token that starts with a digit.
    for k in range(len(tokens) - 1, 0, -1):
        if tokens[k][0].isdigit():
            for end in (k + 1, k + 2):
                house = _try_house(" ".join(tokens[k:end]))
                if house is not None and end < len(tokens):
                    return " ".join(tokens[:k]), house, " ".join(tokens[end:])
            # Looks like a number but is not a valid one: say why.
            parse_house_number(tokens[k])
    return " ".join(tokens), None, None


def _leading_house(text: str) -> tuple[HouseNumber | None, str | None]:
    """Split ``"12-3 Katwijk"`` (text after a postcode) into (house, place)."""
    tokens = text.split()
    if not tokens or not tokens[0][0].isdigit():
        return None, _clean_part(text)
    for end in range(min(len(tokens), 3), 0, -1):
        house = _try_house(" ".join(tokens[:end]))
        if house is not None:
            rest = " ".join(tokens[end:])
            # "12 Ede": prefer a short house number and a place over a 3-letter addition.
            if end > 1 and tokens[end - 1].isalpha() and len(tokens[end - 1]) > 2 and not rest:
                short = _try_house(" ".join(tokens[: end - 1]))
                if short is not None and tokens[end - 1][0].isupper():
                    return short, tokens[end - 1]
            return house, _clean_part(rest)
    parse_house_number(tokens[0])  # raises with the reason
    raise AssertionError("unreachable")  # pragma: no cover


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
        postcode = match.group(1) + match.group(2).upper()
        before, after = cleaned[: match.start()], cleaned[match.end() :]
        break

    street: str | None = None
    house: HouseNumber | None = None
    place: str | None = None

    head_segments = [s for s in (p.strip() for p in before.split(",")) if s]
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
        if extra and postcode is None:
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

_WORD_ABBREVIATIONS = {
    "v": "van",
    "d": "de",
    "burg": "burgemeester",
    "pr": "prins",
    "st": "sint",
    "str": "straat",
    "ln": "laan",
    "wg": "weg",
    "pln": "plein",
    "mr": "meester",
    "dr": "dokter",
    "ds": "dominee",
    "kon": "koning",
    "koning": "koning",
}
# Word endings: "Beethovenstr." -> "Beethovenstraat". Longest first.
_SUFFIX_ABBREVIATIONS = (
    ("str", "straat"),
    ("pln", "plein"),
    ("ln", "laan"),
    ("wg", "weg"),
)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_street(name: str) -> str:
    """Matching key for a street name: forgiving about case, accents, dots and abbreviations.

    ``"V. Beethovenstr."`` and ``"van Beethovenstraat"`` both give ``"van beethovenstraat"``.
    """
    text = _strip_accents((name or "").casefold()).replace("\u2019", "'")
    text = text.replace("'", "")
    # Split on anything that is not a letter, digit or dot; dots mark abbreviations.
    raw_tokens = re.split(r"[^\w.]+|_", text)
    words: list[str] = []
    for raw in raw_tokens:
        for token in re.split(r"(?<=\.)(?=\w)", raw):  # "v.beethovenstr." -> "v.", "beethovenstr."
            abbreviated = token.endswith(".")
            word = token.strip(".")
            if not word:
                continue
            if word in _WORD_ABBREVIATIONS:
                words.append(_WORD_ABBREVIATIONS[word])
                continue
            for suffix, full in _SUFFIX_ABBREVIATIONS:
                stem = word[: -len(suffix)]
                if word.endswith(suffix) and len(stem) >= 3 and (abbreviated or suffix == "str"):
                    word = stem + full
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
