"""The public grid's "at least 5 addresses" rule counts imported register addresses only (issue 13, point 8).

An anonymous lookup of an address outside the register stores the online geocoder's answer (an
Address row with source "pdok"). Counted in the rule, one lookup could lift a cell from 4 to 5
addresses and put a nearby incident on the public map.
"""

from __future__ import annotations

import pytest

POINT = (52.2127535, 4.4259686)  # inside Noord, well inside its 150 m cell


@pytest.fixture
def four(make_address):
    """Four imported register addresses in the cell of POINT: one short of the rule."""
    for k in range(4):
        make_address(number=k + 1, lat=POINT[0] + (k - 2) * 0.00005, lon=POINT[1] + 0.00002 * k, source="bag-csv")


def public_map(client) -> dict:
    return client.get("/incidenten/openbaar.json").get_json()["map"]


def test_a_cached_online_lookup_does_not_count_as_an_address(client, make_address, make_incident, four):
    make_address(number=99, lat=POINT[0] + 0.0001, lon=POINT[1], source="pdok")  # somebody looked it up
    make_incident(lat=POINT[0], lon=POINT[1], hours_ago=72)
    shown = public_map(client)
    assert shown["cells"] == []
    assert shown["not_on_map"] == 1


def test_a_fifth_register_address_puts_the_cell_on_the_map(client, make_address, make_incident, four):
    make_address(number=99, lat=POINT[0] + 0.0001, lon=POINT[1], source="bag-csv")
    make_incident(lat=POINT[0], lon=POINT[1], hours_ago=72)
    shown = public_map(client)
    assert [cell["count"] for cell in shown["cells"]] == [1]
    assert shown["not_on_map"] == 0
