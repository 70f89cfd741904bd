"""Loading an address register file into the database (`flask buurt addresses import`, demo data).

Rows come from buurt.geo.register_io as AddressRecord or Rejected; this module writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from buurt import caching
from buurt.addresses.services import ADDRESS_COLUMNS, invalidate_register
from buurt.extensions import db
from buurt.geo.addresses import normalize_street
from buurt.geo.register_io import AddressRecord, Rejected
from buurt.models import Address

__all__ = ["ImportReport", "import_records"]


@dataclass
class ImportReport:
    """What an address import did."""

    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # the same address again later in the file
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason_nl] = counts.get(r.reason_nl, 0) + 1
        return counts


def import_records(
    items: Iterable[AddressRecord | Rejected],
    *,
    source: str,
    is_demo: bool = False,
    batch_size: int = 5000,
    progress=None,
) -> ImportReport:
    """Insert or update addresses; idempotent (the unique key is postcode+number+letter+addition).

    Works on plain tuples and bulk statements (no ORM object per row): 100,000 rows in a few
    seconds. Within one file the first row for an address wins; later ones are counted as
    duplicates.
    """
    report = ImportReport()
    street_norm = lru_cache(maxsize=None)(normalize_street)  # a street repeats 20-40 times
    seen: set[tuple[str, int, str, str]] = set()
    for batch in _batches(items, batch_size, report):
        existing = {
            (postcode, number, letter, addition): (row_id, (street, place, lat, lon))
            for row_id, postcode, number, letter, addition, street, place, lat, lon in db.session.execute(
                db.select(Address.id, *ADDRESS_COLUMNS).where(Address.postcode.in_({r.postcode for r in batch}))
            )
        }
        new_rows, changed_rows = [], []
        for r in batch:
            key = (r.postcode, r.number, (r.letter or "").upper(), (r.addition or "").upper())
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            values = (r.street, r.place or "", round(r.lat, 7), round(r.lon, 7))
            current = existing.get(key)
            if current is None:
                new_rows.append(
                    {
                        "postcode": key[0],
                        "house_number": key[1],
                        "house_letter": key[2],
                        "house_addition": key[3],
                        "street": values[0],
                        "street_norm": street_norm(values[0]),
                        "place": values[1],
                        "lat": values[2],
                        "lon": values[3],
                        "source": source,
                        "is_demo": is_demo,
                    }
                )
                report.loaded += 1
            elif current[1] != values:
                changed_rows.append(
                    {
                        "id": current[0],
                        "street": values[0],
                        "street_norm": street_norm(values[0]),
                        "place": values[1],
                        "lat": values[2],
                        "lon": values[3],
                    }
                )
                report.updated += 1
            else:
                report.unchanged += 1
        if new_rows:
            db.session.execute(Address.__table__.insert(), new_rows)  # Core: no ORM bookkeeping per row
            caching.bump(db.session, caching.ADDRESSES)  # Core inserts pass no session hook
        if changed_rows:
            db.session.execute(db.update(Address), changed_rows)
        db.session.commit()
        if progress is not None:
            progress(len(batch))
    invalidate_register()
    return report


def _batches(items, size, report) -> Iterator[list[AddressRecord]]:
    batch: list[AddressRecord] = []
    for item in items:
        if isinstance(item, Rejected):
            report.rejected.append(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
