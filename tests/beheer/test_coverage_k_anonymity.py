"""No combination of the member density maps and tables gives a cell count from 1 to k - 1.

Members are seeded so that a group has 1-4 members in a cell where another group has many (the
issue's 23 - 22 = 1). Every view that shows member cells is fetched over HTTP by every role that
can see coverage (wijkagent, beheerder, coordinator): all groups and each group, page tables and
map documents. Per cell, every published count and every difference between two views of which
one holds the other's groups must be 0 or at least k, and so must the count of every set of groups
that any combination of the views pins down (linear algebra over the groups).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from buurt.geo.coords import from_rd
from buurt.models import ResidentStatus, Role
from tests.conftest import PASSWORD

X0, Y0 = 88700.0, 469900.0  # a 100 m RD cell in Rijnsoever; the cells below lie east of it
TABLE_ROW = re.compile(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td></tr>')
TIP = re.compile(r"(\d+) leden ([A-Z][a-z]+weg)")


def cell_points(column: int, n: int) -> list[tuple[float, float]]:
    """`n` (lat, lon) points well inside the 100 m cell `column` cells east of (X0, Y0)."""
    xs = X0 + column * 100 + 30 + np.linspace(0, 40, n)
    ys = Y0 + 30 + np.linspace(40, 0, n)
    lons, lats = from_rd(xs, ys)
    return list(zip(np.atleast_1d(lats).tolist(), np.atleast_1d(lons).tolist(), strict=True))


@pytest.fixture
def seeded(groups, make_resident):
    """Per cell (named by its one street): members per group index. Returns the groups by letter."""
    by_letter = {"A": groups[1], "B": groups[2], "C": groups[3], "D": groups[0], "E": groups[4]}
    cells = {
        "Kruisweg": {"B": 22, "A": 1},  # all groups 23, group B 22: the example
        "Dwarsweg": {"B": 9, "C": 3},
        "Hoekweg": {"A": 7, "B": 5},  # both at least k: may be shown everywhere
        "Middenweg": {"A": 12},
        "Randweg": {"C": 2},
        "Smalweg": {"D": 4, "E": 1},
    }
    for column, (street, members) in enumerate(cells.items()):
        points = iter(cell_points(column * 2, sum(members.values()) + 2))
        for letter, n in members.items():
            for _ in range(n):
                lat, lon = next(points)
                make_resident(by_letter[letter], status=ResidentStatus.ADDED, lat=lat, lon=lon, street=street)
        if street == "Middenweg":  # open sign-ups of group A: its beheerders' own queue
            for _ in range(2):
                lat, lon = next(points)
                make_resident(by_letter["A"], status=ResidentStatus.PENDING, lat=lat, lon=lon, street=street)
    return by_letter


def logged_in(app, user):
    client = app.test_client()
    response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def density_of_page(html: str) -> dict[str, int]:
    if 'class="density-table"' not in html:
        return {}
    table = html[html.index('class="density-table"') :]
    table = table[: table.index("</table>")]
    return {street: int(n) for street, n in TABLE_ROW.findall(table)}


def density_of_map(document: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for n, street in TIP.findall(document):
        assert found.setdefault(street, int(n)) == int(n), street
    return found


def published_views(app, make_user, groups_by_letter) -> list[tuple[str, frozenset[int], dict[str, int]]]:
    """(name, group ids it counts, street -> count) for every view every coverage role can open."""
    all_ids = frozenset(g.id for g in groups_by_letter.values())
    users = {
        "wijkagent": make_user(Role.WIJKAGENT),
        "beheerder A": make_user(Role.BEHEERDER, groups=[groups_by_letter["A"]]),
        "beheerder B": make_user(Role.BEHEERDER, groups=[groups_by_letter["B"]]),
        "coordinator": make_user(Role.COORDINATOR),
    }
    views = []
    for role, user in users.items():
        client = logged_in(app, user)
        targets = [("/beheer/dekking", "/beheer/dekking/kaart", all_ids)]
        targets += [
            (f"/beheer/groep/{g.id}/dekking", f"/beheer/dekking/kaart?groep={g.id}", frozenset({g.id}))
            for g in groups_by_letter.values()
        ]
        for page, document, scope in targets:
            html = client.get(page)
            assert html.status_code == 200, (role, page)
            views.append((f"{role} {page}", scope, density_of_page(html.get_data(as_text=True))))
            doc = client.get(document)
            assert doc.status_code == 200, (role, document)
            views.append((f"{role} {document}", scope, density_of_map(doc.get_data(as_text=True))))
        overview = client.get("/beheer/overzicht")
        if overview.status_code == 200:  # counts per group only, no cells
            assert density_of_page(overview.get_data(as_text=True)) == {}
    return views


def derivable_counts(equations: list[tuple[frozenset[int], int]], group_ids: list[int]):
    """Every set of groups whose count in a cell follows from the published (groups, count) pairs."""
    matrix = np.array([[1.0 if g in scope else 0.0 for g in group_ids] for scope, _ in equations])
    values = np.array([float(v) for _, v in equations])
    for size in range(1, len(group_ids) + 1):
        for subset in itertools.combinations(group_ids, size):
            target = np.array([1.0 if g in subset else 0.0 for g in group_ids])
            weights, *_ = np.linalg.lstsq(matrix.T, target, rcond=None)
            if np.allclose(matrix.T @ weights, target, atol=1e-9):
                yield subset, round(float(weights @ values))


def test_no_combination_of_views_gives_a_cell_count_below_k(app, make_user, seeded):
    k = app.config["COVERAGE_MIN_CELL"]
    small = range(1, k)
    views = published_views(app, make_user, seeded)
    per_cell: dict[str, list[tuple[str, frozenset[int], int]]] = {}
    for name, scope, cells in views:
        for street, count in cells.items():
            assert count not in small, (name, street, count)
            per_cell.setdefault(street, []).append((name, scope, count))
    for street, seen in per_cell.items():
        for (name1, scope1, count1), (name2, scope2, count2) in itertools.combinations(seen, 2):
            if scope1 == scope2:
                assert count1 == count2, (street, name1, name2)  # the same view for every role
            if scope1 <= scope2 or scope2 <= scope1:  # a difference that counts the other groups' members
                assert abs(count1 - count2) not in small, (street, name1, count1, name2, count2)
        equations = list({(scope, count) for _name, scope, count in seen})
        group_ids = sorted(set().union(*(scope for scope, _ in equations)))
        for subset, count in derivable_counts(equations, group_ids):
            assert count not in small, (street, subset, count)
    # the rule hides only what it must: cells where each group has none or at least k stay
    all_groups = next(cells for name, _scope, cells in views if name == "wijkagent /beheer/dekking")
    assert all_groups == {"Hoekweg": 12, "Middenweg": 12}
    group_a = next(
        cells for name, _scope, cells in views if name == f"wijkagent /beheer/groep/{seeded['A'].id}/dekking"
    )
    assert group_a == {"Middenweg": 12, "Hoekweg": 7}


def test_the_open_sign_ups_layer_stays_with_the_group_s_own_beheerders(app, make_user, seeded):
    """Counted from one sign-up up, but only for those who see the same sign-ups in the queue."""
    group_a = seeded["A"]
    own = logged_in(app, make_user(Role.BEHEERDER, groups=[group_a]))
    assert "open aanmeldingen: 2" in own.get(f"/beheer/dekking/kaart?groep={group_a.id}").get_data(as_text=True)
    assert own.get(f"/beheer/groep/{group_a.id}").status_code == 200  # the queue, with names
    for user in (make_user(Role.WIJKAGENT), make_user(Role.BEHEERDER, groups=[seeded["B"]])):
        client = logged_in(app, user)
        for path in ("/beheer/dekking/kaart", f"/beheer/dekking/kaart?groep={group_a.id}"):
            assert "open aanmelding" not in client.get(path).get_data(as_text=True), (user.role, path)


def test_a_street_label_needs_k_members(app):
    """Five members on five streets: the cell is shown, but names none of the streets."""
    from buurt.geo.coverage import grid_cells

    points = cell_points(0, 5)
    streets = ["Aweg", "Bweg", "Cweg", "Dweg", "Eweg"]
    [cell] = grid_cells([p[0] for p in points], [p[1] for p in points], streets, cell_m=100, min_count=5)
    assert (cell.count, cell.label) == (5, "")
    [cell] = grid_cells([p[0] for p in points], [p[1] for p in points], ["Aweg"] * 5, cell_m=100, min_count=5)
    assert cell.label == "Aweg"
