"""Read address-register files (BAG extracts) into plain records; writing them is elsewhere.

Every input row gives either an :class:`AddressRecord` or a :class:`Rejected` with a Dutch
reason, in file order, so an import can report "regel 17: postcode ontbreekt". Rows left out on
purpose (a withdrawn BAG object, outside the asked gemeente or the areas) are not errors: they
are counted and reported as :class:`Skipped` totals once per batch, so a national extract of
9.9 million rows streams through in bounded memory.
Rows are parsed in batches so RD New -> WGS84 conversion is one vectorised pyproj call.

The three NLExtract CSV exports are read by column name: ``bagadres`` (adres2csv.sql),
``bagadres-full`` (adres-full2csv.sql, with ``verblijfsobjectstatus``) and ``bagadresplus``
(adres-plus2csv.sql, with ``openbareruimtenaam`` and ``adresseerbaarobject_status``). Files come
as UTF-8 or, with NLExtract's documented Excel option, windows-1252: :func:`sniff_register_file`
decides which before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, BinaryIO, TextIO

import numpy as np
import shapely

from buurt.exceptions import UserError
from buurt.geo.addresses import MAX_ADDITION_LENGTH, MAX_HOUSE_NUMBER, HouseNumber, InvalidAddress, normalize_postcode
from buurt.geo.coords import NL_BOUNDS, from_rd, looks_swapped, rd_transform, wgs84_transform

__all__ = [
    "BAGADRES_COLUMNS",
    "EXPECTED_FORMATS_NL",
    "AddressRecord",
    "RegisterFileError",
    "Rejected",
    "RowFilter",
    "Skipped",
    "SniffedFile",
    "csv_format_name",
    "is_withdrawn_status",
    "outline_with_margin",
    "read_bagadres_csv",
    "read_geojson_points",
    "sniff_register_file",
]

#: Column layout of NLExtract's ``bagadres`` CSV export.
BAGADRES_COLUMNS = (
    "openbareruimte",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats",
    "gemeente",
    "provincie",
    "object_id",
    "object_type",
    "nevenadres",
    "x",
    "y",
    "lon",
    "lat",
)
BATCH_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """One address with WGS84 coordinates; ``letter``/``addition`` in capitals or ``None``."""

    postcode: str
    number: int
    letter: str | None
    addition: str | None
    street: str
    place: str
    lat: float
    lon: float

    @property
    def house(self) -> HouseNumber:
        """The house number as a value object."""
        return HouseNumber(self.number, self.letter, self.addition)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not imported: 1-based line (CSV) or feature number (GeoJSON) and why."""

    line_no: int
    reason_nl: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """``count`` rows left out on purpose for one reason (a BAG status, a filter); not errors."""

    reason_nl: str
    count: int


class RegisterFileError(UserError, ValueError):
    """The file as a whole is unusable (wrong header, not GeoJSON); ``message`` is Dutch."""


#: What the import accepts, for messages that refuse a file.
EXPECTED_FORMATS_NL = (
    "een NLExtract-adresexport (bagadres, bagadres-full of bagadresplus: een CSV met ; en de kolommen "
    "openbareruimte, huisnummer, postcode, woonplaats en lon/lat of x/y) of een GeoJSON met adrespunten"
)
SKIPPED_PLACE = "Niet in de gekozen gemeente of woonplaats."
SKIPPED_OUTSIDE = "Buiten de buurten (met marge)."

# ---------------------------------------------------------------------------------------------
# BAG status: withdrawn and never-built objects are not addresses anyone lives at

#: Words in a BAG status that mean "this object does not (or no longer) exist": "Verblijfsobject
#: ingetrokken", "Niet gerealiseerd verblijfsobject", "Plaats ingetrokken", "Naamgeving
#: ingetrokken", "Verblijfsobject ten onrechte opgevoerd" (BAG 2.0). Spelling from NLExtract's
#: bagv2/etl/sql/create-tables.sql enums; "gevormd", "in gebruik", "buiten gebruik" and
#: "verbouwing" stay (the address exists).
_WITHDRAWN_WORDS = ("ingetrokken", "niet gerealiseerd", "ten onrechte opgevoerd")
#: Status columns of NLExtract's exports: bagadres-full and bagadresplus; GeoJSON may say "status".
_STATUS_KEYS = ("verblijfsobjectstatus", "adresseerbaarobject_status", "nummeraanduidingstatus", "status")


@lru_cache(maxsize=256)
def is_withdrawn_status(status: str) -> bool:
    """True for a BAG status of an object that was withdrawn or never realised."""
    folded = status.casefold()
    return any(word in folded for word in _WITHDRAWN_WORDS)


# ---------------------------------------------------------------------------------------------
# Filters


def _names(values: Iterable[str]) -> frozenset[str]:
    """``["Katwijk, Leiden", "noordwijk"]`` -> ``{"katwijk", "leiden", "noordwijk"}``."""
    return frozenset(part.strip().casefold() for value in values for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class RowFilter:
    """Which rows to keep: gemeente and woonplaats names (any case) and an outline (WGS84).

    Empty name sets and ``within=None`` keep everything. Names are compared case-insensitively
    after trimming; ``"Katwijk,Leiden"`` is two names.
    """

    gemeenten: frozenset[str] = frozenset()
    woonplaatsen: frozenset[str] = frozenset()
    within: Any = None  # a shapely geometry in (lon, lat); prepared by outline_with_margin
    describe_nl: str = field(default="", compare=False)

    @classmethod
    def make(cls, gemeenten: Iterable[str] = (), woonplaatsen: Iterable[str] = (), within: Any = None) -> RowFilter:
        return cls(_names(gemeenten), _names(woonplaatsen), within)

    @property
    def active(self) -> bool:
        return bool(self.gemeenten or self.woonplaatsen or self.within is not None)

    def leaves_out(self, gemeente: Any, place: Any) -> bool:
        """True when a row of this gemeente and woonplaats is not among the asked names."""
        if self.gemeenten and str(gemeente or "").strip().casefold() not in self.gemeenten:
            return True
        return bool(self.woonplaatsen) and str(place or "").strip().casefold() not in self.woonplaatsen


def outline_with_margin(geometries: Iterable[Any], margin_m: float) -> Any:
    """The union of WGS84 polygons grown by ``margin_m`` metres (buffered in RD New), prepared.

    Buffering in RD keeps the margin in metres the same in every direction (a degree of
    longitude is 68 km here, a degree of latitude 111 km).
    """
    union = shapely.union_all([g for g in geometries if g is not None and not g.is_empty])
    if union.is_empty:
        raise RegisterFileError("Er zijn geen buurtgrenzen om op te filteren.")

    in_rd = shapely.transform(union, rd_transform)
    grown = shapely.transform(in_rd.buffer(margin_m, quad_segs=8), wgs84_transform)
    shapely.prepare(grown)
    return grown


# ---------------------------------------------------------------------------------------------
# Encoding and kind of file, decided before anything is written

_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SniffedFile:
    """What :func:`sniff_register_file` found: the codec to read with, a label, lines, JSON or CSV."""

    encoding: str  # a Python codec name: "utf-8-sig", "utf-8", "cp1252" or what was asked
    label_nl: str  # for the summary: "UTF-8", "UTF-8 met BOM", "windows-1252 (geen geldige UTF-8)"
    lines: int
    is_json: bool


def sniff_register_file(binary: BinaryIO, encoding: str | None = None) -> SniffedFile:
    """Decide the text encoding of a whole file, in chunks (bounded memory), and count its lines.

    UTF-8 with a BOM, else strict UTF-8 over every byte, else windows-1252 (NLExtract's documented
    ``ENCODING 'windows-1252'`` option for Excel). Valid UTF-8 is almost never a cp1252 file by
    accident (an "é" in cp1252 is one byte that UTF-8 forbids), so this order is safe. With
    ``encoding`` given, the file must decode with it. Raises :class:`RegisterFileError` naming
    the line with the first byte that does not fit.
    """
    first = binary.read(_CHUNK)
    has_bom = first.startswith(_BOM)
    is_json = first[len(_BOM) if has_bom else 0 :].lstrip()[:1] in (b"{", b"[")
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise RegisterFileError(
                f"De codering '{encoding}' bestaat niet; gebruik bijvoorbeeld utf-8 of windows-1252."
            ) from None
        if codec == "utf-8" and has_bom:
            codec = "utf-8-sig"
        lines, bad_line = _check(binary, first, codec)
        if bad_line is not None:
            raise RegisterFileError(
                f"Regel {bad_line} is geen geldige {encoding}-tekst; laat --encoding weg om de codering "
                "te laten herkennen, of sla het bestand op als UTF-8."
            )
        return SniffedFile(codec, encoding, lines, is_json)
    codec = "utf-8-sig" if has_bom else "utf-8"
    lines, bad_line = _check(binary, first, codec)
    if bad_line is None:
        return SniffedFile(codec, "UTF-8 met BOM" if has_bom else "UTF-8", lines, is_json)
    lines, bad_cp1252 = _check(binary, first, "cp1252")
    if bad_cp1252 is not None:
        raise RegisterFileError(
            f"Het bestand is geen UTF-8 (regel {bad_line}) en ook geen windows-1252 (regel {bad_cp1252}); "
            "sla het op als UTF-8 of geef de codering op met --encoding."
        )
    return SniffedFile("cp1252", "windows-1252 (het bestand is geen geldige UTF-8)", lines, is_json)


def _check(binary: BinaryIO, first: bytes, codec: str) -> tuple[int, int | None]:
    """(newlines, None) when every byte decodes with ``codec``, else (lines so far, bad line)."""
    binary.seek(len(first))
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = 0
    chunk = first
    while True:
        final = len(chunk) < _CHUNK
        try:
            decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            start = max(0, min(exc.start, len(chunk)))
            return lines, lines + chunk[:start].count(b"\n") + 1
        lines += chunk.count(b"\n")
        if final:
            return lines, None
        chunk = binary.read(_CHUNK)


# ---------------------------------------------------------------------------------------------
# Shared row validation


@dataclass(slots=True)
class _Pending:
    line_no: int
    postcode: str
    number: int
    letter: str | None
    addition: str | None
    street: str
    place: str
    a: float  # lon, or RD x when rd is True
    b: float  # lat, or RD y
    rd: bool


@lru_cache(maxsize=65536)
def _postcode(text: str) -> str:
    # About 20 addresses share a postcode; an extract repeats each one many times.
    return normalize_postcode(text)


def _number(text: str) -> float:
    text = text.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _validate(
    line_no: int,
    street: Any,
    number: Any,
    letter: Any,
    addition: Any,
    postcode: Any,
    place: Any,
) -> _Pending | Rejected:
    """Check the address fields; coordinates are filled in by the caller."""
    street_text = str(street or "").strip()
    place_text = str(place or "").strip()
    if not street_text:
        return Rejected(line_no, "De straatnaam ontbreekt.")
    if not place_text:
        return Rejected(line_no, "De woonplaats ontbreekt.")
    try:
        postcode_text = _postcode(str(postcode or ""))
    except InvalidAddress as exc:
        return Rejected(line_no, f"Postcode: {exc.message}")
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    number_text = str(number if number is not None else "").strip()
    if not number_text.isdigit() or not 1 <= int(number_text) <= MAX_HOUSE_NUMBER:
        return Rejected(line_no, f"Huisnummer '{number_text}' is geen getal van 1 tot en met {MAX_HOUSE_NUMBER}.")
    letter_text = str(letter or "").strip().upper() or None
    if letter_text is not None and not (len(letter_text) == 1 and letter_text.isalpha()):
        return Rejected(line_no, f"Huisletter '{letter_text}' is niet één letter.")
    addition_text = str(addition or "").strip().upper() or None
    if addition_text is not None and not (len(addition_text) <= MAX_ADDITION_LENGTH and addition_text.isalnum()):
        return Rejected(
            line_no,
            f"Toevoeging '{addition_text}' is ongeldig: hoogstens {MAX_ADDITION_LENGTH} letters of cijfers.",
        )
    return _Pending(
        line_no, postcode_text, int(number_text), letter_text, addition_text, street_text, place_text, 0.0, 0.0, False
    )


def _finish(batch: list[_Pending | Rejected], within: Any = None) -> Iterator[AddressRecord | Rejected | Skipped]:
    """Convert RD rows in one call, check the coordinates and yield in the original order.

    With ``within`` (a prepared geometry in lon/lat), rows outside it are counted, not yielded.
    """
    rd_rows = [row for row in batch if isinstance(row, _Pending) and row.rd]
    if rd_rows:
        lon, lat = from_rd(np.array([row.a for row in rd_rows]), np.array([row.b for row in rd_rows]))
        for row, row_lon, row_lat in zip(rd_rows, lon.tolist(), lat.tolist(), strict=True):
            row.a, row.b = row_lon, row_lat
    inside: dict[int, bool] = {}
    if within is not None:
        pending = [row for row in batch if isinstance(row, _Pending)]
        if pending:
            mask = shapely.intersects_xy(within, [row.a for row in pending], [row.b for row in pending])
            inside = {id(row): bool(keep) for row, keep in zip(pending, mask.tolist(), strict=True)}
    outside = 0
    for row in batch:
        if isinstance(row, Rejected):
            yield row
            continue
        lon_value, lat_value = row.a, row.b
        if not NL_BOUNDS.contains(lat_value, lon_value):
            hint = " De kolommen lat en lon lijken verwisseld." if looks_swapped(lat_value, lon_value) else ""
            yield Rejected(
                row.line_no,
                f"De coördinaten ({lat_value:.5f}, {lon_value:.5f}) liggen buiten Nederland.{hint}",
            )
            continue
        if within is not None and not inside[id(row)]:
            outside += 1
            continue
        yield AddressRecord(
            postcode=row.postcode,
            number=row.number,
            letter=row.letter,
            addition=row.addition,
            street=row.street,
            place=row.place,
            lat=lat_value,
            lon=lon_value,
        )
    if outside:
        yield Skipped(SKIPPED_OUTSIDE, outside)


def _batched(
    rows: Iterable[_Pending | Rejected], skips: dict[str, int], within: Any = None
) -> Iterator[AddressRecord | Rejected | Skipped]:
    """Group rows for the vectorised steps; ``skips`` (filled by ``rows``) is reported per batch."""
    batch: list[_Pending | Rejected] = []

    def flush_skips() -> Iterator[Skipped]:
        for reason, count in skips.items():
            yield Skipped(reason, count)
        skips.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield from _finish(batch, within)
            yield from flush_skips()
            batch = []
    if batch:
        yield from _finish(batch, within)
    yield from flush_skips()


# ---------------------------------------------------------------------------------------------
# NLExtract CSV exports (bagadres, bagadres-full, bagadresplus)

#: Column names by role; the first one present wins. bagadresplus says "openbareruimtenaam".
_CSV_COLUMNS = {
    "street": ("openbareruimte", "openbareruimtenaam", "straatnaam", "openbare_ruimte_naam"),
    "number": ("huisnummer",),
    "postcode": ("postcode",),
    "place": ("woonplaats", "woonplaatsnaam", "woonplaats_naam"),
    "letter": ("huisletter",),
    "addition": ("huisnummertoevoeging", "toevoeging"),
    "gemeente": ("gemeente", "gemeentenaam", "gemeente_naam"),
    "lon": ("lon",),
    "lat": ("lat",),
    "x": ("x",),
    "y": ("y",),
}
_REQUIRED_ROLES = ("street", "number", "postcode", "place")
_LOOKS_LIKE_DATA = re.compile(r"^\s*(\d+([.,]\d+)?|[1-9]\d{3}\s?[A-Za-z]{2})\s*$")


def _header_names(header: list[str]) -> list[str]:
    return [name.strip().lstrip("\ufeff").strip('"').strip().lower() for name in header]


def csv_format_name(first_line: str) -> str:
    """Which NLExtract export a header line belongs to: bagadres, bagadres-full, bagadresplus or CSV."""
    names = set(_header_names(next(csv.reader([first_line], delimiter=_delimiter(first_line)), [])))
    if "adresseerbaarobject_status" in names and "openbareruimtenaam" in names:
        return "bagadresplus"
    if "verblijfsobjectstatus" in names:
        return "bagadres-full"
    if set(BAGADRES_COLUMNS) <= names:
        return "bagadres"
    return "CSV"


def _delimiter(first_line: str) -> str:
    """NLExtract forces ``;`` since 2015 (NLExtract issue 147); older exports used ``,``."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def read_bagadres_csv(
    fileobj_text: TextIO, row_filter: RowFilter | None = None
) -> Iterator[AddressRecord | Rejected | Skipped]:
    """Read an NLExtract address CSV (``bagadres``, ``bagadres-full`` or ``bagadresplus``).

    Columns by name (see the module docstring); ``;`` (``,`` or tab also work) separated, header
    row. Coordinates: ``lon``/``lat`` when both are filled, else RD New ``x``/``y`` converted with
    pyproj. Decimal commas are accepted. ``line_no`` is the physical line (header = 1). Rows whose
    status column says the object was withdrawn or never built are skipped (:class:`Skipped`),
    as are rows outside ``row_filter``. Streams: memory does not grow with the file.
    Raises :class:`RegisterFileError` when the header lacks required columns (or a column the
    filter needs), and mid-file when a line cannot be decoded.
    """
    row_filter = row_filter or RowFilter()
    first_line = fileobj_text.readline()
    if not first_line.strip():
        raise RegisterFileError("Het bestand is leeg: er staat geen kopregel in.")
    delimiter = _delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter))
    names = _header_names(header)
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        columns.setdefault(name, i)
    index = {role: next((columns[n] for n in options if n in columns), None) for role, options in _CSV_COLUMNS.items()}
    missing = [_CSV_COLUMNS[role][0] for role in _REQUIRED_ROLES if index[role] is None]
    has_lonlat = index["lon"] is not None and index["lat"] is not None
    has_xy = index["x"] is not None and index["y"] is not None
    if missing or not (has_lonlat or has_xy):
        wanted = ", ".join(missing + ([] if has_lonlat or has_xy else ["lon en lat (of x en y)"]))
        if any(_LOOKS_LIKE_DATA.match(name) for name in header):
            found = "geen kopregel (de eerste regel is al een adres)"
        else:
            shown = [name for name in names[:8] if name]
            found = "de kolommen " + ", ".join(shown) + (" …" if len(names) > 8 else "")
        raise RegisterFileError(
            f"Dit is geen bagadres-CSV: het bestand heeft {found}, maar de kolommen {wanted} ontbreken; "
            f"verwacht wordt {EXPECTED_FORMATS_NL}."
        )
    if row_filter.gemeenten and index["gemeente"] is None:
        raise RegisterFileError(
            "Het bestand heeft geen kolom gemeente, dus --gemeente kan niet; gebruik --woonplaats of --within-areas."
        )
    status_columns = tuple(columns[key] for key in _STATUS_KEYS if key in columns)
    reader = csv.reader(fileobj_text, delimiter=delimiter)
    skips: dict[str, int] = {}
    rows = _bagadres_rows(reader, len(header), index, status_columns, row_filter, skips)
    return _batched(rows, skips, row_filter.within)


def _bagadres_rows(
    reader: Any,
    width: int,
    index: dict[str, int | None],
    status_columns: tuple[int, ...],
    row_filter: RowFilter,
    skips: dict[str, int],
) -> Iterator[_Pending | Rejected]:
    i_street, i_number, i_postcode, i_place = (index[role] for role in _REQUIRED_ROLES)
    i_letter, i_addition, i_gemeente = index["letter"], index["addition"], index["gemeente"]
    i_lon, i_lat, i_x, i_y = index["lon"], index["lat"], index["x"], index["y"]
    by_name = bool(row_filter.gemeenten or row_filter.woonplaatsen)
    line_no = 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise RegisterFileError(
                f"Regel {line_no + 1} kan niet gelezen worden in deze tekstcodering; er is niets opgeslagen. "
                "Geef de juiste codering op met --encoding."
            ) from None
        except csv.Error:  # its text is English jargon ("field larger than field limit")
            raise RegisterFileError(
                f"Regel {line_no + 1} is geen geldige CSV (een veld is te lang, of een aanhalingsteken "
                "staat verkeerd); er is niets opgeslagen. Verbeter die regel en laad het bestand opnieuw."
            ) from None
        line_no = reader.line_num + 1  # the header was read apart
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield Rejected(line_no, f"De regel heeft {len(row)} kolommen in plaats van {width}.")
            continue
        if by_name and row_filter.leaves_out(
            row[i_gemeente] if i_gemeente is not None else None,
            row[i_place],  # type: ignore[index]
        ):
            skips[SKIPPED_PLACE] = skips.get(SKIPPED_PLACE, 0) + 1
            continue
        withdrawn = next((row[i] for i in status_columns if row[i] and is_withdrawn_status(row[i])), None)
        if withdrawn is not None:
            reason = f"BAG-status: {withdrawn.strip()}"
            skips[reason] = skips.get(reason, 0) + 1
            continue
        checked = _validate(
            line_no,
            row[i_street],  # type: ignore[index]
            row[i_number],  # type: ignore[index]
            row[i_letter] if i_letter is not None else None,
            row[i_addition] if i_addition is not None else None,
            row[i_postcode],  # type: ignore[index]
            row[i_place],  # type: ignore[index]
        )
        if isinstance(checked, Rejected):
            yield checked
            continue
        lon_text = row[i_lon].strip() if i_lon is not None else ""
        lat_text = row[i_lat].strip() if i_lat is not None else ""
        try:
            if lon_text and lat_text:
                checked.a, checked.b = _number(lon_text), _number(lat_text)
            else:
                x_text = row[i_x].strip() if i_x is not None else ""
                y_text = row[i_y].strip() if i_y is not None else ""
                if not (x_text and y_text):
                    yield Rejected(line_no, "De coördinaten ontbreken (lon/lat of x/y).")
                    continue
                checked.a, checked.b, checked.rd = _number(x_text), _number(y_text), True
        except ValueError:
            yield Rejected(line_no, "De coördinaten zijn geen getallen.")
            continue
        yield checked


# ---------------------------------------------------------------------------------------------
# GeoJSON points (PDOK / BAG property names)

_STREET_KEYS = ("openbare_ruimte_naam", "straatnaam", "openbareruimte")
_ADDITION_KEYS = ("toevoeging", "huisnummertoevoeging")
_PLACE_KEYS = ("woonplaats_naam", "woonplaatsnaam", "woonplaats")


def _first(properties: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = properties.get(key)
        if value not in (None, ""):
            return value
    return None


_GEMEENTE_KEYS = ("gemeentenaam", "gemeente_naam", "gemeente")


def read_geojson_points(
    data: Mapping[str, Any] | str | bytes, row_filter: RowFilter | None = None
) -> Iterator[AddressRecord | Rejected | Skipped]:
    """Read a GeoJSON FeatureCollection of Point features with BAG/PDOK property names.

    Street: ``openbare_ruimte_naam`` / ``straatnaam`` / ``openbareruimte``; ``huisnummer``,
    ``huisletter``, ``toevoeging`` / ``huisnummertoevoeging``, ``postcode``; place:
    ``woonplaats_naam`` / ``woonplaatsnaam`` / ``woonplaats``. Coordinates are WGS84 [lon, lat].
    ``line_no`` is the 1-based feature number. A ``status`` saying the object was withdrawn is
    skipped, as are features outside ``row_filter``. Raises :class:`RegisterFileError` when the
    document is not a FeatureCollection, or holds areas (polygons) instead of address points.
    """
    row_filter = row_filter or RowFilter()
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RegisterFileError("Het bestand is geen geldige GeoJSON (geen JSON).") from None
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise RegisterFileError("Het bestand is geen GeoJSON FeatureCollection met adrespunten.")
    features = data.get("features")
    if not isinstance(features, list):
        raise RegisterFileError("Het bestand is geen GeoJSON FeatureCollection met adrespunten.")
    kinds = {
        (f.get("geometry") or {}).get("type") for f in features[:100] if isinstance(f, Mapping) and f.get("geometry")
    }
    if kinds and kinds <= {"Polygon", "MultiPolygon"}:
        raise RegisterFileError(
            "Dit is een GeoJSON met vlakken (zoals buurtgrenzen), geen adrespunten; buurtgrenzen laadt u met "
            f"'flask buurt areas import', en hier wordt {EXPECTED_FORMATS_NL} verwacht."
        )
    skips: dict[str, int] = {}
    return _batched(_geojson_rows(features, row_filter, skips), skips, row_filter.within)


def _geojson_rows(features: list[Any], row_filter: RowFilter, skips: dict[str, int]) -> Iterator[_Pending | Rejected]:
    for index, feature in enumerate(features, start=1):
        if not isinstance(feature, Mapping):
            yield Rejected(index, "Dit onderdeel is geen GeoJSON Feature.")
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
            yield Rejected(index, "Dit adres heeft geen puntgeometrie (Point).")
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, Mapping):
            properties = {}
        if row_filter.leaves_out(_first(properties, _GEMEENTE_KEYS), _first(properties, _PLACE_KEYS)):
            skips[SKIPPED_PLACE] = skips.get(SKIPPED_PLACE, 0) + 1
            continue
        status = _first(properties, _STATUS_KEYS)
        if isinstance(status, str) and is_withdrawn_status(status):
            reason = f"BAG-status: {status.strip()}"
            skips[reason] = skips.get(reason, 0) + 1
            continue
        checked = _validate(
            index,
            _first(properties, _STREET_KEYS),
            properties.get("huisnummer"),
            properties.get("huisletter"),
            _first(properties, _ADDITION_KEYS),
            properties.get("postcode"),
            _first(properties, _PLACE_KEYS),
        )
        if isinstance(checked, Rejected):
            yield checked
            continue
        coordinates = geometry.get("coordinates")
        try:
            if not isinstance(coordinates, list | tuple) or len(coordinates) < 2:
                raise ValueError("not a coordinate pair")
            lon, lat = float(coordinates[0]), float(coordinates[1])
        except (TypeError, ValueError):
            yield Rejected(index, "De coördinaten van het punt zijn geen [lengtegraad, breedtegraad]-paar.")
            continue
        if not (math.isfinite(lon) and math.isfinite(lat)):
            yield Rejected(index, "De coördinaten van het punt zijn geen getallen.")
            continue
        checked.a, checked.b = lon, lat
        yield checked
