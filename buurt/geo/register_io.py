"""Read address-register files (BAG extracts) into plain records; writing them is elsewhere.

Every input row gives either an :class:`AddressRecord` or a :class:`Rejected` with a Dutch
reason, in file order, so an import can report "regel 17: postcode ontbreekt".
Rows are parsed in batches so RD New -> WGS84 conversion is one vectorised pyproj call.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TextIO

import numpy as np

from buurt.exceptions import UserError
from buurt.geo.addresses import MAX_ADDITION_LENGTH, MAX_HOUSE_NUMBER, HouseNumber, InvalidAddress, normalize_postcode
from buurt.geo.coords import NL_BOUNDS, from_rd, looks_swapped

__all__ = [
    "BAGADRES_COLUMNS",
    "AddressRecord",
    "RegisterFileError",
    "Rejected",
    "read_bagadres_csv",
    "read_geojson_points",
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
_REQUIRED = ("openbareruimte", "huisnummer", "postcode", "woonplaats")
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


class RegisterFileError(UserError, ValueError):
    """The file as a whole is unusable (wrong header, not GeoJSON); ``message`` is Dutch."""


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


def _finish(batch: list[_Pending | Rejected]) -> Iterator[AddressRecord | Rejected]:
    """Convert RD rows in one call, check the coordinates and yield in the original order."""
    rd_rows = [row for row in batch if isinstance(row, _Pending) and row.rd]
    if rd_rows:
        lon, lat = from_rd(np.array([row.a for row in rd_rows]), np.array([row.b for row in rd_rows]))
        for row, row_lon, row_lat in zip(rd_rows, lon.tolist(), lat.tolist(), strict=True):
            row.a, row.b = row_lon, row_lat
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


def _batched(rows: Iterable[_Pending | Rejected]) -> Iterator[AddressRecord | Rejected]:
    batch: list[_Pending | Rejected] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            yield from _finish(batch)
            batch = []
    if batch:
        yield from _finish(batch)


# ---------------------------------------------------------------------------------------------
# NLExtract bagadres CSV


def read_bagadres_csv(fileobj_text: TextIO) -> Iterator[AddressRecord | Rejected]:
    """Read NLExtract's ``bagadres`` CSV (``;``-separated, header row, see :data:`BAGADRES_COLUMNS`).

    Coordinates: ``lon``/``lat`` when both are filled, else RD New ``x``/``y`` converted with
    pyproj. Decimal commas are accepted. ``line_no`` is the physical line (header = 1).
    Raises :class:`RegisterFileError` when the header lacks required columns.
    """
    reader = csv.reader(fileobj_text, delimiter=";")
    header = next(reader, None)
    if header is None:
        raise RegisterFileError("Het bestand is leeg: er staat geen kopregel in.")
    columns = {name.strip().lstrip("\ufeff").strip('"').lower(): i for i, name in enumerate(header)}
    missing = [name for name in _REQUIRED if name not in columns]
    has_lonlat = "lon" in columns and "lat" in columns
    has_xy = "x" in columns and "y" in columns
    if missing or not (has_lonlat or has_xy):
        wanted = ", ".join(missing + ([] if has_lonlat or has_xy else ["lon en lat (of x en y)"]))
        raise RegisterFileError(
            f"Dit is geen bagadres-CSV: de kolommen {wanted} ontbreken. Verwacht: {';'.join(BAGADRES_COLUMNS)}"
        )
    width = len(header)
    i_street, i_number, i_postcode, i_place = (columns[name] for name in _REQUIRED)
    i_letter = columns.get("huisletter")
    i_addition = columns.get("huisnummertoevoeging")
    i_lon, i_lat = columns.get("lon"), columns.get("lat")
    i_x, i_y = columns.get("x"), columns.get("y")
    optional = (i_letter, i_addition, i_lon, i_lat, i_x, i_y)
    return _batched(_bagadres_rows(reader, width, (i_street, i_number, i_postcode, i_place), optional))


def _bagadres_rows(
    reader: Any, width: int, required: tuple[int, int, int, int], optional: tuple[int | None, ...]
) -> Iterator[_Pending | Rejected]:
    i_street, i_number, i_postcode, i_place = required
    i_letter, i_addition, i_lon, i_lat, i_x, i_y = optional
    for row in reader:
        line_no = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield Rejected(line_no, f"De regel heeft {len(row)} kolommen in plaats van {width}.")
            continue
        checked = _validate(
            line_no,
            row[i_street],
            row[i_number],
            row[i_letter] if i_letter is not None else None,
            row[i_addition] if i_addition is not None else None,
            row[i_postcode],
            row[i_place],
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


def read_geojson_points(data: Mapping[str, Any] | str | bytes) -> Iterator[AddressRecord | Rejected]:
    """Read a GeoJSON FeatureCollection of Point features with BAG/PDOK property names.

    Street: ``openbare_ruimte_naam`` / ``straatnaam`` / ``openbareruimte``; ``huisnummer``,
    ``huisletter``, ``toevoeging`` / ``huisnummertoevoeging``, ``postcode``; place:
    ``woonplaats_naam`` / ``woonplaatsnaam`` / ``woonplaats``. Coordinates are WGS84 [lon, lat].
    ``line_no`` is the 1-based feature number. Raises :class:`RegisterFileError` when the
    document is not a FeatureCollection.
    """
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
    return _batched(_geojson_rows(features))


def _geojson_rows(features: list[Any]) -> Iterator[_Pending | Rejected]:
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
