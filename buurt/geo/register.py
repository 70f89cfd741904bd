"""The offline geocoder: exact lookups in an address register, never a neighbouring house.

* :class:`RegisterGeocoder` asks an :class:`~buurt.geo.geocoding.AddressRegister`: postcode +
  number first, then street + number (+ place).
* :class:`MemoryRegister` is an in-memory register (tests, benchmarks, and the snapshot the
  database register in ``buurt.addresses.services`` answers from).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from buurt.geo.addresses import HouseNumber, format_address, house_part, normalize_street
from buurt.geo.geocoding import (
    SOURCE_REGISTER,
    AddressQuery,
    AddressRegister,
    GeocodeResult,
    HouseChoice,
    HouseChoiceNeeded,
)
from buurt.geo.register_io import AddressRecord

__all__ = ["MemoryRegister", "RegisterGeocoder"]

# One stored address: (letter, addition, record, source); letter/addition in capitals or None.
_Entry = tuple[str | None, str | None, AddressRecord, str]


def _result(record: AddressRecord, source: str) -> GeocodeResult:
    house = HouseNumber(record.number, record.letter, record.addition)
    return GeocodeResult(
        lat=record.lat,
        lon=record.lon,
        display_name=format_address(record.street, house, record.postcode, record.place),
        source=source,
        postcode=record.postcode,
        house_number=house,
        street=record.street,
        place=record.place,
    )


def _pick(candidates: Sequence[_Entry], number: int, letter: str | None, addition: str | None) -> GeocodeResult | None:
    """The one address meant: each reading of the typed number in turn (``HouseNumber.readings``:
    "105-H" is huisletter H or toevoeging H), or the only address at a bare number."""
    wanted = HouseNumber(number, house_part(letter), house_part(addition))
    for reading in wanted.readings():
        exact = [entry for entry in candidates if entry[:2] == (reading.letter, reading.addition)]
        if len(exact) == 1:
            return _result(exact[0][2], exact[0][3])
    if wanted.letter is None and wanted.addition is None and len(candidates) == 1:
        return _result(candidates[0][2], candidates[0][3])
    return None


def _choice(candidates: Sequence[_Entry]) -> HouseChoice | None:
    """Every imported address among ``candidates`` (one postcode or street, one number) to choose
    from. Online answers kept in the register are left out: they are the houses somebody looked up,
    not all there are, so an online geocoder gives the complete list instead."""
    imported = sorted(
        (entry for entry in candidates if entry[3] == SOURCE_REGISTER),
        key=lambda entry: (entry[0] or "", entry[1] or ""),
    )
    if not imported:
        return None
    first = imported[0][2]
    return HouseChoice(
        postcode=first.postcode if all(entry[2].postcode == first.postcode for entry in imported) else None,
        number=first.number,
        street=first.street,
        place=first.place,
        houses=tuple(HouseNumber(first.number, entry[0], entry[1]) for entry in imported),
        source=SOURCE_REGISTER,
    )


class MemoryRegister:
    """In-memory :class:`AddressRegister` (tests, benchmarks, snapshots of the database).

    Stores the records as given (about 100k addresses in ~1 s); results are built on lookup.
    """

    def __init__(self, records: Iterable[AddressRecord] = ()) -> None:
        self._by_postcode: dict[tuple[str, int], list[_Entry]] = {}
        self._by_street: dict[tuple[str, int], list[tuple[str, _Entry]]] = {}
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_postcode.values())

    def add(self, record: AddressRecord, *, source: str = SOURCE_REGISTER) -> None:
        """Store one address (replacing the same postcode/number/letter/addition)."""
        letter, addition = house_part(record.letter), house_part(record.addition)
        if (letter, addition) != (record.letter, record.addition):
            record = replace(record, letter=letter, addition=addition)
        entry: _Entry = (letter, addition, record, source)
        entries = self._by_postcode.setdefault((record.postcode, record.number), [])
        if entries:
            entries[:] = [old for old in entries if old[:2] != (letter, addition)]
        entries.append(entry)
        place_key = record.place.casefold()
        street_entries = self._by_street.setdefault((_street_key(record.street), record.number), [])
        if street_entries:
            street_entries[:] = [
                old for old in street_entries if (old[0], *old[1][:2]) != (place_key, letter, addition)
            ]
        street_entries.append((place_key, entry))

    def add_result(self, result: GeocodeResult) -> None:
        """Store an online hit (what a chain's ``on_online_result`` callback would do)."""
        if result.postcode is None or result.house_number is None or result.street is None:
            return
        house = result.house_number
        record = AddressRecord(
            postcode=result.postcode,
            number=house.number,
            letter=house.letter,
            addition=house.addition,
            street=result.street,
            place=result.place or "",
            lat=result.lat,
            lon=result.lon,
        )
        self.add(record, source=result.source)

    def find_exact(self, postcode: str, number: int, letter: str | None, addition: str | None) -> GeocodeResult | None:
        """See :class:`AddressRegister`."""
        return _pick(self._by_postcode.get((postcode, number), ()), number, letter, addition)

    def find_by_street(
        self,
        street_normalized: str,
        number: int,
        letter: str | None,
        addition: str | None,
        place: str | None,
    ) -> GeocodeResult | None:
        """See :class:`AddressRegister`; ``place`` (case-insensitive) narrows the search."""
        return _pick(self._street_entries(street_normalized, number, place), number, letter, addition)

    def _street_entries(self, street_normalized: str, number: int, place: str | None) -> list[_Entry]:
        wanted = place.casefold() if place else None
        return [
            entry
            for place_key, entry in self._by_street.get((street_normalized, number), ())
            if wanted in (None, place_key)
        ]

    def choice_at(self, postcode: str, number: int) -> HouseChoice | None:
        """See :class:`AddressRegister`."""
        return _choice(self._by_postcode.get((postcode, number), ()))

    def choice_on_street(self, street_normalized: str, number: int, place: str | None) -> HouseChoice | None:
        """See :class:`AddressRegister`."""
        return _choice(self._street_entries(street_normalized, number, place))


@lru_cache(maxsize=8192)
def _street_key(street: str) -> str:
    # A neighbourhood has few streets and many numbers: normalise each street once.
    return normalize_street(street)


class RegisterGeocoder:
    """Offline lookup in an :class:`AddressRegister`: postcode + number first, then street."""

    name = SOURCE_REGISTER
    online = False

    def __init__(self, register: AddressRegister) -> None:
        self.register = register

    def geocode(self, query: AddressQuery) -> GeocodeResult | None:
        """Exact register hit or ``None``; never guesses a neighbouring house.

        Raises :class:`HouseChoiceNeeded` when the imported register has the number, but not as
        asked (or several addresses at a bare number): the resident picks one.
        """
        house = query.house
        if house is None:
            return None
        street = normalize_street(query.street) if query.street else None
        if query.postcode is not None:
            hit = self.register.find_exact(query.postcode, house.number, house.letter, house.addition)
            if hit is not None:
                return hit
        if street:
            hit = self.register.find_by_street(street, house.number, house.letter, house.addition, query.place)
            if hit is not None:
                return hit
        choice = None
        if query.postcode is not None:
            choice = self.register.choice_at(query.postcode, house.number)
        if choice is None and street:
            choice = self.register.choice_on_street(street, house.number, query.place)
        if choice is not None:
            raise HouseChoiceNeeded(choice)
        return None
