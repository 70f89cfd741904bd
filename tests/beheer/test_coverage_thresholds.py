"""k >= 5 at both sides of every limit: a count of 4 never shows, a count of 5 does (issue 19).

The pure functions of buurt.geo.coverage (grid_cells, k_anonymous_cells, density_colour) at exactly
k - 1 and k, and the coverage page and map of a beheerder over HTTP with 4 and 5 members in a cell.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from buurt.geo.coords import from_rd, to_rd
from buurt.geo.coverage import DENSITY_STEPS, density_colour, grid_cells, k_anonymous_cells
from buurt.models import ResidentStatus

K = 5
X0, Y0 = 88700.0, 469900.0  # the south-west corner of a 100 m RD cell in Rijnsoever


def points(column: int, n: int, row: int = 0) -> tuple[list[float], list[float]]:
    """`n` (lats, lons) well inside the 100 m cell `column` east and `row` north of (X0, Y0)."""
    xs = X0 + column * 100 + 20 + np.linspace(0, 60, n)
    ys = Y0 + row * 100 + 20 + np.linspace(60, 0, n)
    lons, lats = from_rd(xs, ys)
    return np.atleast_1d(lats).tolist(), np.atleast_1d(lons).tolist()


def cell_of(column: int, row: int = 0) -> tuple[int, int]:
    return (int(X0 // 100) + column, int(Y0 // 100) + row)


@pytest.mark.parametrize(("n", "shown"), [(K - 1, False), (K, True), (K + 1, True)])
def test_a_cell_shows_from_k_members(n, shown):
    lats, lons = points(0, n)
    cells = grid_cells(lats, lons, cell_m=100, min_count=K)
    assert [(c.count, c.label) for c in cells] == ([(n, "")] if shown else [])  # no labels given: none shown


def test_the_default_k_is_five():
    lats, lons = points(0, 4)
    assert grid_cells(lats, lons) == []
    lats, lons = points(0, 5)
    assert [c.count for c in grid_cells(lats, lons)] == [5]


def test_points_without_coordinates_are_not_counted():
    lats, lons = points(0, 5)
    assert grid_cells([*lats[:4], math.nan], [*lons[:4], 4.41], cell_m=100) == []
    assert grid_cells([*lats[:4], 52.21], [*lons[:4], math.inf], cell_m=100) == []
    lats6, lons6 = points(0, 6)
    cells = grid_cells([*lats6, math.nan], [*lons6, 4.41], ["Aweg"] * 6 + ["Bweg"], cell_m=100)
    assert [(c.count, c.label) for c in cells] == [(6, "Aweg")]


def test_a_member_with_a_missing_coordinate_is_not_counted():
    """Resident.lat and .lon may each be NULL: such a member is in no cell, and counts for none."""
    lats, lons = points(0, 5)
    for bad_lats, bad_lons in (([*lats[:4], None], lons), (lats, [*lons[:4], None])):
        assert grid_cells(bad_lats, bad_lons, cell_m=100) == []
        assert k_anonymous_cells(bad_lats, bad_lons, ["A"] * 5, cell_m=100, min_count=K) == frozenset()
    assert [c.count for c in grid_cells([*lats, None], [*lons, None], cell_m=100)] == [5]
    cells = k_anonymous_cells([*lats, None], [*lons, 4.41], ["A"] * 5 + ["B"], cell_m=100, min_count=K)
    assert cells == {cell_of(0)}


def test_a_cell_is_the_rd_square_it_counts():
    lats, lons = points(2, 5, row=1)
    [cell] = grid_cells(lats, lons, cell_m=100)
    assert cell.geometry["type"] == "Polygon"  # GeoJSON Leaflet can draw
    ring = cell.geometry["coordinates"][0]
    assert all(round(v, 6) == v for corner in ring for v in corner)  # a tenth of a metre is enough
    corners = [to_rd(lon, lat) for lon, lat in ring]
    expected = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    for (x, y), (dx, dy) in zip(corners, expected, strict=True):
        assert abs(x - (X0 + 200 + dx * 100)) < 0.1
        assert abs(y - (Y0 + 100 + dy * 100)) < 0.1
    cx, cy = to_rd(cell.lon, cell.lat)
    assert abs(cx - (X0 + 250)) < 0.1
    assert abs(cy - (Y0 + 150)) < 0.1
    [big] = grid_cells(lats, lons, cell_m=250)
    x, y = to_rd(*big.geometry["coordinates"][0][2])
    assert abs(x - 89000) < 0.1  # 88920 .. 88980 lie in the 250 m square 88750 .. 89000
    assert abs(y - 470250) < 0.1


def test_cells_come_by_count_then_north_to_south():
    parts = [points(0, 6), points(2, 5, row=-2), points(4, 5, row=2), points(2, 5), points(6, 7)]
    lats = [lat for part in parts for lat in part[0]]
    lons = [lon for part in parts for lon in part[1]]
    cells = grid_cells(lats, lons, cell_m=100)
    order = [(c.count, round(to_rd(c.lon, c.lat)[0]), round(to_rd(c.lon, c.lat)[1])) for c in cells]
    assert order == [
        (7, 89350, 469950),
        (6, 88750, 469950),
        (5, 89150, 470150),
        (5, 88950, 469950),
        (5, 88950, 469750),
    ]


@pytest.mark.parametrize(("n", "named"), [(K - 1, False), (K, True)])
def test_a_street_names_a_cell_from_k_members_on_it(n, named):
    lats, lons = points(0, 7)
    labels = ["Aweg"] * n + ["Bweg", "Cweg", "Dweg"][: 7 - n]
    [cell] = grid_cells(lats, lons, labels, cell_m=100)
    assert cell.label == ("Aweg" if named else "")


def test_the_most_common_street_names_the_cell_not_the_first_alphabetically():
    lats, lons = points(0, 8)
    [cell] = grid_cells(lats, lons, ["Aweg", "Aweg", "Bweg"] + ["Zandweg"] * 5, cell_m=100)
    assert cell.label == "Zandweg"


def test_a_tie_between_streets_names_the_first_alphabetically():
    lats, lons = points(0, 10)
    labels = ["Zandweg"] * 5 + ["Akkerweg"] * 5
    [cell] = grid_cells(lats, lons, labels, cell_m=100)
    assert cell.label == "Akkerweg"
    [cell] = grid_cells(lats, lons, ["", None, *labels[2:]], cell_m=100)  # no street: not a street
    assert cell.label == "Akkerweg"
    [cell] = grid_cells(lats, lons, [""] * 10, cell_m=100)
    assert cell.label == ""


def test_a_street_counts_only_its_members_in_the_cell():
    lats0, lons0 = points(0, 5)
    lats1, lons1 = points(2, 5)
    labels = ["Aweg"] * 3 + ["Bweg"] * 2 + ["Aweg"] * 2 + ["Cweg"] * 3
    cells = grid_cells(lats0 + lats1, lons0 + lons1, labels, cell_m=100)
    assert [c.label for c in cells] == ["", ""]  # Aweg has 5 members, but never 5 in one cell


@pytest.mark.parametrize(
    ("members", "allowed"),
    [
        ({"A": K, "B": 20}, True),
        ({"A": K - 1, "B": 20}, False),  # the all-groups count minus B's would give A's 4
        ({"A": K}, True),
        ({"A": K - 1}, False),
        ({"A": 1}, False),
        ({"A": K, "B": K, "C": K}, True),
        ({"A": K, "B": K, "C": K - 1}, False),
    ],
)
def test_a_cell_may_be_shown_only_when_every_group_has_none_or_at_least_k(members, allowed):
    total = sum(members.values())
    lats, lons = points(0, total)
    groups = [g for g, n in members.items() for _ in range(n)]
    other_lats, other_lons = points(3, 6)  # another cell, always allowed
    cells = k_anonymous_cells(lats + other_lats, lons + other_lons, groups + ["A"] * 6, cell_m=100, min_count=K)
    assert cells == ({cell_of(0), cell_of(3)} if allowed else {cell_of(3)})


def test_k_anonymous_cells_skip_points_without_coordinates():
    lats, lons = points(0, 5)
    assert k_anonymous_cells([math.nan], [4.41], ["A"], cell_m=100, min_count=K) == frozenset()
    cells = k_anonymous_cells([*lats, math.nan], [*lons, 4.41], ["A"] * 5 + ["B"], cell_m=100, min_count=K)
    assert cells == {cell_of(0)}


def test_grid_cells_show_only_the_allowed_cells_whatever_their_count():
    lats0, lons0 = points(0, 6)
    lats1, lons1 = points(2, 9)
    lats, lons = lats0 + lats1, lons0 + lons1
    assert [c.count for c in grid_cells(lats, lons, cell_m=100, only={cell_of(0)})] == [6]
    assert [c.count for c in grid_cells(lats, lons, cell_m=100, only={cell_of(2)})] == [9]
    assert grid_cells(lats, lons, cell_m=100, only=frozenset()) == []
    assert [c.count for c in grid_cells(lats, lons, cell_m=100, only=None)] == [9, 6]


@pytest.mark.parametrize(("n", "shown"), [(K - 1, False), (K, True)])
def test_an_allowed_cell_still_needs_k_points(n, shown):
    """`only` narrows what may be shown; it never lets a cell of fewer than k through."""
    lats, lons = points(0, n)
    assert [c.count for c in grid_cells(lats, lons, cell_m=100, min_count=K, only={cell_of(0)})] == (
        [n] if shown else []
    )


@pytest.mark.parametrize(
    ("count", "colour"),
    [
        (5, "#dadaeb"),
        (9, "#dadaeb"),
        (10, "#bcbddc"),
        (19, "#bcbddc"),
        (20, "#9e9ac8"),
        (49, "#9e9ac8"),
        (50, "#6a51a3"),
        (500, "#6a51a3"),
    ],
)
def test_density_colour_at_both_sides_of_every_step(count, colour):
    assert density_colour(count) == colour


def test_density_steps_start_at_k():
    assert DENSITY_STEPS[0][0] == K
    assert density_colour(1) == DENSITY_STEPS[0][1]


# --- over HTTP: the beheerder's coverage page and map --------------------------------------------


@pytest.mark.parametrize(("n", "shown"), [(K - 1, False), (K, True)])
def test_the_coverage_page_and_map_show_a_cell_from_k_members(console_client, group_a, make_resident, n, shown):
    lats, lons = points(0, n)
    for lat, lon in zip(lats, lons, strict=True):
        make_resident(group_a, status=ResidentStatus.ADDED, lat=lat, lon=lon, street="Drempelweg")
    html = console_client.get("/beheer/dekking").get_data(as_text=True)
    document = console_client.get("/beheer/dekking/kaart").get_data(as_text=True)
    assert ("Drempelweg" in html) is shown
    assert (f"{n} leden Drempelweg" in document) is shown
    if not shown:
        assert f"{n} leden wonen in vakken die niet op de kaart staan" in html
        assert "Drempelweg" not in document
