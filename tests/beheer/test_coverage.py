"""Coverage maps: grid aggregation (never a point per resident, cells < 5 hidden), legend, table."""

import numpy as np

from buurt.extensions import db
from buurt.geo.coords import from_rd, to_rd
from buurt.geo.coverage import grid_cells
from buurt.geo.folium_assets import external_assets
from buurt.models import AuditEntry, ResidentStatus, Role


def _points_in_cell(x0, y0, n, jitter=30.0, seed=1):
    rng = np.random.default_rng(seed)
    lon, lat = from_rd(x0 + 35 + rng.uniform(0, jitter, n), y0 + 35 + rng.uniform(0, jitter, n))
    return list(lat), list(lon)


def test_grid_cells_count_and_hide_small_cells():
    x0, y0 = 88700.0, 469900.0  # a 100 m RD cell in Rijnsoever
    lat_a, lon_a = _points_in_cell(x0, y0, 7)
    lat_b, lon_b = _points_in_cell(x0 + 300, y0, 4)
    cells = grid_cells(lat_a + lat_b, lon_a + lon_b, ["Fictieweg"] * 6 + ["Verzinlaan"] + ["Nepstraat"] * 4, cell_m=100)
    assert [c.count for c in cells] == [7]
    assert cells[0].label == "Fictieweg"
    cx, cy = to_rd(cells[0].lon, cells[0].lat)
    assert abs(cx - (x0 + 50)) < 0.5
    assert abs(cy - (y0 + 50)) < 0.5
    assert grid_cells(lat_b, lon_b, cell_m=100, min_count=1)[0].count == 4
    assert grid_cells([], []) == []
    assert grid_cells([float("nan")], [4.4]) == []


def _members(make_resident, group, n, street="Fictieweg", lat=52.2125, lon=4.4190, status=ResidentStatus.ADDED):
    return [make_resident(group, status=status, lat=lat + i * 1e-6, lon=lon, street=street) for i in range(n)]


def test_coverage_page_has_table_and_map_without_personal_data(console_client, group_a, make_resident):
    members = _members(make_resident, group_a, 6)
    _members(make_resident, group_a, 3, street="Eenzaamweg", lat=52.2140, lon=4.4160)  # < 5: hidden
    _members(make_resident, group_a, 2, status=ResidentStatus.PENDING, street="Wachtweg")
    html = console_client.get("/beheer/dekking").get_data(as_text=True)
    assert 'class="coverage-table"' in html
    assert 'class="density-table"' in html
    assert "Fictieweg" in html
    assert "Eenzaamweg" not in html
    assert "3 leden wonen in vakken die niet op de kaart staan" in html
    doc = console_client.get("/beheer/dekking/kaart").get_data(as_text=True)
    assert external_assets(doc) == []
    assert "map-legend" in doc
    assert "Leden per vak" in doc
    assert "Open aanmeldingen" in doc
    for r in members:
        assert r.name not in doc
        assert r.phone_e164 not in doc
    assert "Eenzaamweg" not in doc
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="coverage.pending_layer"))
    assert entry is not None
    assert entry.details["cells"] >= 1


def test_participation_uses_cbs_households(console_client, group_a, make_resident):
    _members(make_resident, group_a, 6)
    html = console_client.get(f"/beheer/groep/{group_a.id}/dekking").get_data(as_text=True)
    # Rijnsoever-Midden Noord: 553 households (estimate) -> 6 / 553 = 1%
    row = html[html.index('class="focus"') :]
    assert "553" in row[:600]
    assert "1%" in row[:600]


def test_wijkagent_sees_aggregates_but_no_pending_layer(client, login, make_user, group_a, make_resident):
    _members(make_resident, group_a, 6)
    _members(make_resident, group_a, 2, status=ResidentStatus.PENDING, street="Wachtweg")
    login(make_user(Role.WIJKAGENT))
    doc = client.get("/beheer/dekking/kaart").get_data(as_text=True)
    assert "Leden per vak" in doc
    assert "Open aanmeldingen" not in doc
    html = client.get("/beheer/overzicht").get_data(as_text=True)
    assert group_a.name in html
    assert "Beheerders" in html
    assert client.get(f"/beheer/groep/{group_a.id}").status_code == 403


def test_beheerder_sees_pending_only_of_own_groups(console_client, groups, group_a, make_resident):
    other = groups[4]
    _members(make_resident, other, 2, status=ResidentStatus.PENDING, street="Andermansweg", lat=52.2105, lon=4.4300)
    html = console_client.get("/beheer/dekking").get_data(as_text=True)
    assert "Andermansweg" not in html


def test_overview_for_coordinator_lists_every_group(client, login, make_user, groups):
    login(make_user(Role.COORDINATOR))
    html = client.get("/beheer/overzicht").get_data(as_text=True)
    for g in groups:
        assert g.name in html
    assert "te weinig" in html  # no group has 2 beheerders yet
    assert 'src="/beheer/dekking/kaart?alle=1"' in html
