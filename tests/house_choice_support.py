"""A fictional register with numbers that exist only with toevoegingen (issue 14, point 2).

Proefstraat, 2221 CM Katwijk (fictional street and postcode), all inside Rijnsoever-West:

* 7-1, 7-2, 7-3A (toevoegingen only: a bare "7" or "7-4" needs a choice);
* 105-H: BAG huisnummertoevoeging H, no huisletter (as 11 of the 99 rows of NLExtract's
  ``bagadres`` test file; typed "105H", "105 H" or "105-H");
* 9a: a huisletter;
* 20-1 ... 20-<many>: a block of flats (``flats``), for the long list.

The BAG form of each row (huisletter vs. toevoeging) follows NLExtract's ``bagadres.csv`` columns
(``huisletter``, ``huisnummertoevoeging``); the rows themselves are made up.
"""

from __future__ import annotations

from tests.residents.conftest import INSIDE

POSTCODE = "2221CM"
STREET = "Proefstraat"
PLACE = "Katwijk"
WEST = INSIDE["rijnsoever-west"]

#: (number, letter, addition) of the small numbers.
HOUSES = [(7, "", "1"), (7, "", "2"), (7, "", "3A"), (105, "", "H"), (9, "A", "")]


def point(index: int) -> tuple[float, float]:
    """A point a few metres from the west area's middle (stays inside it)."""
    return WEST[0] + (index % 10) * 0.00001, WEST[1] + (index // 10 % 10) * 0.00001


def make_proefstraat(make_address, flats: int = 0) -> None:
    """The register above; ``flats`` addresses 20-1 .. 20-<flats> too."""
    for index, (number, letter, addition) in enumerate(HOUSES):
        lat, lon = point(index)
        make_address(
            postcode=POSTCODE, number=number, letter=letter, addition=addition, lat=lat, lon=lon, street=STREET
        )
    for flat in range(1, flats + 1):
        lat, lon = point(flat)
        make_address(postcode=POSTCODE, number=20, addition=str(flat), lat=lat, lon=lon, street=STREET)
