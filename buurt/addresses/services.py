"""Geocoding through the configured chain, with the database address register as first step.

Every address an online geocoder finds is stored in the register, so each is fetched once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func

from buurt.extensions import db
from buurt.geo.addresses import HouseNumber, normalize_street
from buurt.geo.geocoding import (
    AddressQuery,
    GeocodeResult,
    GeocoderChain,
    GeocoderUnavailable,
    build_chain,
)
from buurt.geo.register_io import AddressRecord, Rejected
from buurt.models import Address

log = logging.getLogger(__name__)

__all__ = ["DbRegister", "GeocoderUnavailable", "ImportReport", "geocode", "import_records"]


def _result(a: Address, source: str = "register") -> GeocodeResult:
    house = HouseNumber(a.house_number, a.house_letter or None, a.house_addition or None)
    display = f"{a.street} {house}, {a.postcode[:4]} {a.postcode[4:]} {a.place}"
    return GeocodeResult(a.lat, a.lon, display, source, a.postcode, house, a.street, a.place)


def _pick(rows: list[Address], letter: str | None, addition: str | None) -> Address | None:
    """The AddressRegister rule: exact letter/addition, or the only address with that number."""
    letter, addition = (letter or "").upper(), (addition or "").upper()
    if letter or addition:
        matches = [r for r in rows if r.house_letter.upper() == letter and r.house_addition.upper() == addition]
        return matches[0] if len(matches) == 1 else None
    plain = [r for r in rows if not r.house_letter and not r.house_addition]
    if len(plain) == 1:
        return plain[0]
    return rows[0] if len(rows) == 1 else None


class DbRegister:
    """The address register in the database (implements buurt.geo.geocoding.AddressRegister)."""

    def find_exact(self, postcode: str, number: int, letter: str | None, addition: str | None):
        rows = list(db.session.scalars(db.select(Address).filter_by(postcode=postcode, house_number=number)))
        found = _pick(rows, letter, addition)
        return _result(found) if found else None

    def find_by_street(self, street_normalized: str, number: int, letter, addition, place):
        query = db.select(Address).filter_by(street_norm=street_normalized, house_number=number)
        rows = list(db.session.scalars(query))
        if place:
            in_place = [r for r in rows if normalize_street(r.place) == normalize_street(place)]
            rows = in_place or rows
        if len({r.postcode for r in rows}) > 1:  # same street name in two places: do not guess
            return None
        found = _pick(rows, letter, addition)
        return _result(found) if found else None


def store_result(query: AddressQuery, result: GeocodeResult) -> None:
    """Keep an online answer in the register (idempotent)."""
    if not (result.postcode and result.house_number and result.street):
        return
    house = result.house_number
    existing = db.session.scalar(
        db.select(Address).filter_by(
            postcode=result.postcode, house_number=house.number,
            house_letter=(house.letter or "").upper(), house_addition=(house.addition or "").upper(),
        )
    )
    if existing is None:
        db.session.add(
            Address(
                postcode=result.postcode, house_number=house.number, house_letter=(house.letter or "").upper(),
                house_addition=(house.addition or "").upper(), street=result.street,
                street_norm=normalize_street(result.street), place=result.place or "", lat=result.lat,
                lon=result.lon, source=result.source,
            )
        )
        db.session.commit()


def _chain() -> GeocoderChain:
    """One chain per process and configuration (online geocoders keep their rate limiters)."""
    cfg = current_app.config
    key = (tuple(cfg["GEOCODER_CHAIN"]), cfg["PDOK_URL"], cfg["NOMINATIM_URL"], cfg["GEOCODER_TIMEOUT"])
    cache = current_app.extensions.setdefault("buurt.geocoder", {})
    if cache.get("key") != key:
        cache["chain"] = build_chain(
            list(cfg["GEOCODER_CHAIN"]),
            register=DbRegister(),
            user_agent=cfg["GEOCODER_USER_AGENT"],
            timeout=cfg["GEOCODER_TIMEOUT"],
            pdok_url=cfg["PDOK_URL"],
            nominatim_url=cfg["NOMINATIM_URL"],
            min_delay_seconds=cfg["GEOCODER_MIN_DELAY"],
            on_online_result=store_result,
        )
        cache["key"] = key
    return cache["chain"]


def geocode(query: AddressQuery) -> GeocodeResult | None:
    """Coordinates for an address; None if unknown; raises GeocoderUnavailable if a service is down."""
    return _chain().geocode(query)


@dataclass
class ImportReport:
    """What an address import did."""

    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[r.reason_nl] = counts.get(r.reason_nl, 0) + 1
        return counts


def _key(postcode: str, number: int, letter: str, addition: str) -> tuple[str, int, str, str]:
    return (postcode, number, letter, addition)


def import_records(
    items: Iterable[AddressRecord | Rejected], *, source: str, is_demo: bool = False, batch_size: int = 5000,
    progress=None,
) -> ImportReport:
    """Insert or update addresses; idempotent (the unique key is postcode+number+letter+addition)."""
    report = ImportReport()
    for batch in _batches(items, batch_size, report):
        postcodes = {r.postcode for r in batch}
        existing = {
            _key(a.postcode, a.house_number, a.house_letter, a.house_addition): a
            for a in db.session.scalars(db.select(Address).where(Address.postcode.in_(postcodes)))
        }
        new_rows = []
        for r in batch:
            letter, addition = (r.letter or "").upper(), (r.addition or "").upper()
            key = _key(r.postcode, r.number, letter, addition)
            values = {
                "street": r.street, "street_norm": normalize_street(r.street), "place": r.place or "",
                "lat": round(r.lat, 7), "lon": round(r.lon, 7),
            }
            current = existing.get(key)
            if current is None:
                new_rows.append(
                    {"postcode": r.postcode, "house_number": r.number, "house_letter": letter,
                     "house_addition": addition, "source": source, "is_demo": is_demo, **values}
                )
                existing[key] = Address(**new_rows[-1])  # a duplicate row later in the file updates nothing
                report.loaded += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                report.updated += 1
            else:
                report.unchanged += 1
        if new_rows:
            db.session.execute(db.insert(Address), new_rows)
        db.session.commit()
        if progress is not None:
            progress(len(batch))
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


def register_size() -> int:
    return db.session.scalar(db.select(func.count(Address.id))) or 0


def streets_by_group() -> dict[int, list[tuple[str, int]]]:
    """Street names per group id with the number of register addresses in it, from the register."""
    import numpy as np

    from buurt.areas.services import current_areas

    rows = db.session.execute(db.select(Address.street, Address.lat, Address.lon)).all()
    if not rows:
        return {}
    areas = current_areas()
    positions = areas.index.locate_many(np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    result: dict[int, dict[str, int]] = {}
    for (street, _lat, _lon), pos in zip(rows, positions, strict=True):
        if pos < 0:
            continue
        group_id = areas.areas[int(pos)].group_id
        streets = result.setdefault(group_id, {})
        streets[street] = streets.get(street, 0) + 1
    return {g: sorted(s.items()) for g, s in result.items()}
