"""Loading an address register file into the database (`flask buurt addresses import`, demo data).

Rows come from buurt.geo.register_io as AddressRecord, Rejected or Skipped; this module writes them.

All or nothing: one import is one transaction. A file that fails half-way (bad bytes, a full
disk, Ctrl-C) leaves the ``address`` table and the ``addresses`` cache revision as they were, so
"run it again" is the whole recovery. The whole file is read, validated and filtered first, into a
throwaway SQLite file beside the database (the stage); only then does the transaction start. On
SQLite that transaction holds the write lock until it commits, and a sign-up that wants to write
meanwhile waits (busy_timeout 15 s, then a Dutch 503): with the stage that is the writing phase
only, not the reading of a national file. bench/bench_register_import.py measures both.

Rows are written with the driver's executemany on plain tuples (no SQLAlchemy type processing
per row: that was two thirds of the time), and memory does not grow with the file: a batch is
checked against the database (which already holds this import's earlier batches), and a bitmap
over the ids that existed before remembers which of those this file already touched.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from buurt import caching
from buurt.addresses.services import invalidate_register
from buurt.exceptions import UserError
from buurt.extensions import db
from buurt.geo.addresses import normalize_street
from buurt.geo.geocoding import ONLINE_SOURCES
from buurt.geo.register_io import (
    AddressRecord,
    Rejected,
    RowFilter,
    Skipped,
    SniffedFile,
    csv_format_name,
    outline_with_margin,
    read_bagadres_csv,
    read_geojson_points,
    sniff_register_file,
)
from buurt.models import Address
from buurt.models.base import utcnow

__all__ = [
    "WITHIN_AREAS_MARGIN_M",
    "ImportReport",
    "areas_outline",
    "import_file",
    "import_records",
    "sniff_file",
]

#: How far beyond the current areas' outline ``--within-areas`` keeps addresses: 500 m. Enough
#: for generalised CBS boundaries (tens of metres off) and for a lookup just over the edge to say
#: "buiten de buurten" with the right street, instead of "dit adres kennen we niet"; a few
#: percent more rows than the areas themselves hold.
WITHIN_AREAS_MARGIN_M = 500.0
#: Rejected rows kept with their line number (all are counted per reason).
REJECTED_KEPT = 1000
_INSERT_COLUMNS = (
    "postcode",
    "house_number",
    "house_letter",
    "house_addition",
    "street",
    "street_norm",
    "place",
    "lat",
    "lon",
    "source",
    "is_demo",
    "created_at",
    "updated_at",
)


@dataclass
class ImportReport:
    """What an address import did."""

    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # the same address again later in the file
    rejected: list[Rejected] = field(default_factory=list)  # the first REJECTED_KEPT, in file order
    rejected_count: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows left out on purpose
    encoding: str | None = None  # label of the text encoding used (files only)
    file_format: str | None = None  # bagadres, bagadres-full, bagadresplus, CSV or GeoJSON
    _reasons: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def reasons(self) -> dict[str, int]:
        """Rejected rows per Dutch reason (all of them, not only the kept ones)."""
        return dict(self._reasons)

    def reject(self, item: Rejected) -> None:
        self.rejected_count += 1
        self._reasons[item.reason_nl] = self._reasons.get(item.reason_nl, 0) + 1
        if len(self.rejected) < REJECTED_KEPT:
            self.rejected.append(item)

    def skip(self, item: Skipped) -> None:
        self.skipped[item.reason_nl] = self.skipped.get(item.reason_nl, 0) + item.count


def import_records(
    items: Iterable[AddressRecord | Rejected | Skipped],
    *,
    source: str,
    is_demo: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Insert or update addresses in ONE transaction; idempotent (key: postcode+number+letter+addition).

    Two phases. Reading: every row is validated and parked in a private temporary SQLite file
    (:class:`_Stage`), so memory stays flat and the register is not touched while a national
    file is still being read and filtered. Writing: one transaction, batch by batch from the
    stage. Anything raised in either phase leaves the register and its cache revision as they
    were, and is raised again. Within one file the first row for an address wins; later ones are
    counted as duplicates. ``progress`` gets the number of input rows read (accepted, rejected
    and skipped) after each batch.
    """
    report = ImportReport()
    with _Stage() as stage:
        for batch, handled in _batches(items, batch_size, report):
            stage.add(batch)
            if progress is not None:
                progress(handled)
        session = db.session
        try:
            writer = _Writer(source, is_demo)
            with writer.big_cache():
                for rows in stage.batches(batch_size):
                    writer.write(rows, report)
                if report.loaded or report.updated:
                    caching.bump(session, caching.ADDRESSES)  # driver-level writes pass no session hook
                session.commit()
        except BaseException:
            session.rollback()
            raise
    invalidate_register()
    return report


#: One staged address: postcode, number, letter ('' or capital), addition ('' or capitals),
#: street, place, lat, lon (rounded to 7 decimals, as stored).
_Row = tuple[str, int, str, str, str, str, float, float]


class _Stage:
    """Validated rows parked on disk (a throwaway SQLite file) until the whole input is read."""

    def __enter__(self) -> _Stage:
        self._dir = tempfile.TemporaryDirectory(prefix="buurt-import-")
        self._db = sqlite3.connect(Path(self._dir.name) / "stage.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE stage (postcode, number, letter, addition, street, place, lat, lon)")
        self._db.execute("BEGIN")
        return self

    def add(self, batch: list[AddressRecord]) -> None:
        self._db.executemany(
            "INSERT INTO stage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.postcode,
                    r.number,
                    (r.letter or "").upper(),
                    (r.addition or "").upper(),
                    r.street,
                    r.place or "",
                    round(r.lat, 7),
                    round(r.lon, 7),
                )
                for r in batch
            ],
        )

    def batches(self, size: int) -> Iterator[list[_Row]]:
        """In key order (the register's unique index then grows in order, ~10 % less work); for
        one key the row read first comes first, so the first row of the file still wins."""
        cursor = self._db.execute("SELECT * FROM stage ORDER BY postcode, number, letter, addition, rowid")
        while rows := cursor.fetchmany(size):
            yield rows

    def __exit__(self, *exc: object) -> None:
        self._db.close()
        self._dir.cleanup()


class _Writer:
    """Writes batches through the raw driver cursor of the session's (one) connection."""

    def __init__(self, source: str, is_demo: bool):
        connection = db.session.connection()
        self.connection = connection
        dialect = connection.dialect
        table = Address.__table__
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        # Table and column names are this module's constants; every value is a bound parameter.
        marks = ", ".join([mark] * len(_INSERT_COLUMNS))
        self.insert_sql = f"INSERT INTO {table.name} ({', '.join(_INSERT_COLUMNS)}) VALUES ({marks})"  # noqa: S608
        self.copy_sql = f"COPY {table.name} ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"
        self.update_sql = (
            f"UPDATE {table.name} SET street = {mark}, street_norm = {mark}, place = {mark}, "  # noqa: S608
            f"lat = {mark}, lon = {mark}, source = {mark}, updated_at = {mark} WHERE id = {mark}"
        )
        self.source = source
        self.existing_sql = db.select(
            table.c.id,
            table.c.postcode,
            table.c.house_number,
            table.c.house_letter,
            table.c.house_addition,
            table.c.street,
            table.c.place,
            table.c.lat,
            table.c.lon,
            table.c.source,
        ).where(table.c.postcode.in_(db.bindparam("postcodes", expanding=True)))

        def bound(column: str, value: object) -> object:
            """The value as the driver gets it (a TypeDecorator's impl included), converted once."""
            processor = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
            return processor(value) if processor else value

        now = utcnow()
        self.constants = (source, bound("is_demo", is_demo), bound("created_at", now), bound("updated_at", now))
        self.now = self.constants[3]
        # Ids up to here existed before this import; ``touched`` marks the ones this file matched,
        # so a second row for them is a duplicate. Newer ids were inserted by this import.
        self.start_max = connection.execute(db.select(db.func.max(table.c.id))).scalar() or 0
        self.touched = bytearray(self.start_max // 8 + 1)
        self.street_norm = lru_cache(maxsize=65536)(normalize_street)  # a street repeats 20-40 times

    def _insert(self, rows: list[tuple]) -> None:
        if self.connection.dialect.driver == "psycopg":
            # PostgreSQL: COPY in its text format, inside the same transaction: twice as fast as
            # executemany, and building the text here is 5x faster than psycopg's write_row.
            suffix = "\t".join(_copy_text(value) for value in self.constants)
            e = _COPY_ESCAPES  # postcode, number, letter and addition are validated letters and digits
            text = "".join(
                f"{pc}\t{num}\t{let}\t{add}\t{st.translate(e)}\t{norm.translate(e)}\t{pl.translate(e)}"
                f"\t{lat!r}\t{lon!r}\t{suffix}\n"
                for pc, num, let, add, st, norm, pl, lat, lon, *_constants in rows
            )
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(self.copy_sql) as copy:
                copy.write(text.encode())
            return
        self.connection.exec_driver_sql(self.insert_sql, rows)

    @contextmanager
    def big_cache(self) -> Iterator[None]:
        """SQLite: a 64 MB page cache while writing (the default 2 MB spills the growing indexes
        to the WAL again and again); the connection's own size comes back afterwards."""
        if self.connection.dialect.name != "sqlite":
            yield
            return
        raw = self.connection.connection.driver_connection
        before = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute("PRAGMA cache_size=-65536")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA cache_size={int(before)}")

    def write(self, rows: list[_Row], report: ImportReport) -> None:
        postcodes = sorted({row[0] for row in rows})
        existing = {
            (postcode, number, letter, addition): (row_id, (street, place, lat, lon), source in ONLINE_SOURCES)
            for row_id, postcode, number, letter, addition, street, place, lat, lon, source in self.connection.execute(
                self.existing_sql, {"postcodes": postcodes}
            )
        }
        in_batch: set[tuple[str, int, str, str]] = set()
        new_rows: list[tuple] = []
        changed_rows: list[tuple] = []
        street_norm, touched, start_max, constants = self.street_norm, self.touched, self.start_max, self.constants
        for row in rows:
            key = row[:4]
            if key in in_batch:
                report.duplicates += 1
                continue
            in_batch.add(key)
            values = row[4:]
            current = existing.get(key)
            if current is None:
                new_rows.append((*key, row[4], street_norm(row[4]), *row[5:], *constants))
                report.loaded += 1
                continue
            row_id = current[0]
            if row_id > start_max or touched[row_id >> 3] & (1 << (row_id & 7)):
                report.duplicates += 1  # inserted or matched earlier in this file
                continue
            touched[row_id >> 3] |= 1 << (row_id & 7)
            # A kept online answer (PDOK, Nominatim) for this address becomes register data: purging
            # the online cache must not delete an address the register file has.
            if current[1] != values or current[2]:
                changed_rows.append((row[4], street_norm(row[4]), *row[5:], self.source, self.now, row_id))
                report.updated += 1
            else:
                report.unchanged += 1
        if new_rows:
            self._insert(new_rows)
        if changed_rows:
            self.connection.exec_driver_sql(self.update_sql, changed_rows)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: object) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return repr(value)


def _batches(
    items: Iterable[AddressRecord | Rejected | Skipped], size: int, report: ImportReport
) -> Iterator[tuple[list[AddressRecord], int]]:
    """Batches of records, each with the number of input rows it stands for (for the progress bar)."""
    batch: list[AddressRecord] = []
    handled = 0
    for item in items:
        if isinstance(item, AddressRecord):
            batch.append(item)
            handled += 1
            if len(batch) >= size:
                yield batch, handled
                batch, handled = [], 0
        elif isinstance(item, Skipped):
            report.skip(item)
            handled += item.count
        else:
            report.reject(item)
            handled += 1
    if batch or handled:
        yield batch, handled


# ---------------------------------------------------------------------------------------------
# Files


def sniff_file(path: Path, encoding: str | None = None) -> SniffedFile:
    """Encoding, line count and kind (CSV or JSON) of a register file; reads it once, in chunks."""
    with path.open("rb") as binary:
        return sniff_register_file(binary, encoding)


def areas_outline(margin_m: float = WITHIN_AREAS_MARGIN_M):
    """The current areas' outline grown by ``margin_m`` metres, for ``--within-areas``."""
    from shapely.geometry import shape

    from buurt.areas.services import current_areas

    infos = current_areas().areas
    if not infos:
        raise UserError(
            "Er zijn nog geen buurten: laad eerst de buurtgrenzen (flask buurt areas import) "
            "of laat --within-areas weg."
        )
    return outline_with_margin((shape(info.geometry) for info in infos), margin_m)


def import_file(
    path: Path,
    *,
    sniffed: SniffedFile | None = None,
    encoding: str | None = None,
    row_filter: RowFilter | None = None,
    source: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Import an NLExtract CSV or a GeoJSON file, streaming (CSV) and all or nothing.

    Raises :class:`~buurt.geo.register_io.RegisterFileError` (Dutch, nothing written) for a file
    in the wrong format or encoding.
    """
    sniffed = sniffed or sniff_file(path, encoding)
    if sniffed.is_json:
        raw = path.read_text(encoding=sniffed.encoding)
        report = import_records(read_geojson_points(raw, row_filter), source=source or "geojson", progress=progress)
        report.file_format = "GeoJSON"
    else:
        with path.open(encoding=sniffed.encoding, newline="") as handle:
            header = handle.readline()
            handle.seek(0)
            file_format = csv_format_name(header)
            items = read_bagadres_csv(handle, row_filter)
            report = import_records(items, source=source or "bag-csv", progress=progress)
        report.file_format = file_format
    report.encoding = sniffed.label_nl
    return report
