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

__all__ = ["Entry", "MemoryRegister", "RegisterGeocoder", "choice_among", "entry_of", "pick", "result_of"]

#: One stored address: (letter, addition, record, source); letter/addition in capitals or None.
#: MemoryRegister keeps lists of them; a database register builds them from the rows of one query.
Entry = tuple[str | None, str | None, AddressRecord, str]


def entry_of(record: AddressRecord, source: str = SOURCE_REGISTER) -> Entry:
    """``record`` as an :data:`Entry` (letter and addition as stored: capitals or ``None``)."""
    letter, addition = house_part(record.letter), house_part(record.addition)
    if (letter, addition) != (record.letter, record.addition):
        record = replace(record, letter=letter, addition=addition)
    return (letter, addition, record, source)


def result_of(record: AddressRecord, source: str) -> GeocodeResult:
    """The answer for one stored address."""
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


def pick(candidates: Sequence[Entry], number: int, letter: str | None, addition: str | None) -> GeocodeResult | None:
    """The one address meant among ``candidates`` (one postcode or street, one number): each
    reading of the typed number in turn (``HouseNumber.readings``: "105-H" is huisletter H or
    toevoeging H), or the only address at a bare number."""
    if not candidates:
        return None
    letter, addition = house_part(letter), house_part(addition)
    # The typed reading first, without building a HouseNumber: most lookups end here.
    exact = [entry for entry in candidates if entry[0] == letter and entry[1] == addition]
    if len(exact) == 1:
        return result_of(exact[0][2], exact[0][3])
    if letter is None and addition is None:
        # The only address at a bare number. Counted among the imported addresses when there are
        # any: an online answer kept for somebody's lookup must not turn "found" into "choose"
        # (the answer would tell that the other address was looked up; issue 13, finding 8).
        imported = [entry for entry in candidates if entry[3] == SOURCE_REGISTER] or candidates
        return result_of(imported[0][2], imported[0][3]) if len(imported) == 1 else None
    try:
        readings = HouseNumber(number, letter, addition).readings()[1:]
    except ValueError:  # not a house number anybody can have: nothing else to try
        return None
    for reading in readings:
        exact = [entry for entry in candidates if entry[:2] == (reading.letter, reading.addition)]
        if len(exact) == 1:
            return result_of(exact[0][2], exact[0][3])
    return None


def choice_among(candidates: Sequence[Entry]) -> HouseChoice | None:
    """Every imported address among ``candidates`` (one postcode or street, one number) to choose
    from. Online answers kept in the register are left out: they are the houses somebody looked up,
    not all there are, so an online geocoder gives the complete list instead."""
    imported = [entry for entry in candidates if entry[3] == SOURCE_REGISTER]
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
        self._by_postcode: dict[tuple[str, int], list[Entry]] = {}
        self._by_street: dict[tuple[str, int], list[tuple[str, Entry]]] = {}
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._by_postcode.values())

    def add(self, record: AddressRecord, *, source: str = SOURCE_REGISTER) -> None:
        """Store one address (replacing the same postcode/number/letter/addition)."""
        entry = entry_of(record, source)
        letter, addition, record = entry[0], entry[1], entry[2]
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
        return pick(self._by_postcode.get((postcode, number), ()), number, letter, addition)

    def find_by_street(
        self,
        street_normalized: str,
        number: int,
        letter: str | None,
        addition: str | None,
        place: str | None,
    ) -> GeocodeResult | None:
        """See :class:`AddressRegister`; ``place`` (case-insensitive) narrows the search."""
        return pick(self._street_entries(street_normalized, number, place), number, letter, addition)

    def _street_entries(self, street_normalized: str, number: int, place: str | None) -> list[Entry]:
        wanted = place.casefold() if place else None
        return [
            entry
            for place_key, entry in self._by_street.get((street_normalized, number), ())
            if wanted in (None, place_key)
        ]

    def choice_at(self, postcode: str, number: int) -> HouseChoice | None:
        """See :class:`AddressRegister`."""
        return choice_among(self._by_postcode.get((postcode, number), ()))

    def choice_on_street(self, street_normalized: str, number: int, place: str | None) -> HouseChoice | None:
        """See :class:`AddressRegister`."""
        return choice_among(self._street_entries(street_normalized, number, place))


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
        if query.postcode is not None:
            hit = self.register.find_exact(query.postcode, house.number, house.letter, house.addition)
            if hit is not None:
                return hit
        streets = [(normalize_street(q.street), q) for q in query.readings() if q.street and q.house]
        for street, reading in streets:  # "Proefstraat 12 3": street "Proefstraat 12", or 12-3
            found = reading.house
            hit = self.register.find_by_street(street, found.number, found.letter, found.addition, reading.place)
            if hit is not None:
                return hit
        choice = None
        if query.postcode is not None:
            choice = self.register.choice_at(query.postcode, house.number)
        for street, reading in streets:
            if choice is not None:
                break
            choice = self.register.choice_on_street(street, reading.house.number, reading.place)
        if choice is not None:
            raise HouseChoiceNeeded(choice)
        return None
