"""A published cell at the edge of the areas counts all of its register addresses.

The address grid reads only the register near the current areas (a register may hold the whole
country), widened by a margin of two cells: a cell that holds an incident inside the areas but
reaches past their bounding box still counts the addresses in its part outside it. Without the
margin such a cell would fall under the k-address minimum and vanish from the map.
"""

from __future__ import annotations

import shapely
from shapely.geometry import Point, shape

from buurt.areas.services import current_areas
from buurt.geo.coords import from_rd, to_rd
from buurt.incidents import blur

OLD = 72  # hours: public on any day
CELL_M = 150


def test_a_cell_across_the_areas_edge_counts_its_addresses_outside_them(app, client, make_incident, make_address):
    assert app.config["PUBLIC_GRID_M"] == CELL_M
    with app.test_request_context():
        union = shapely.union_all([shape(a.geometry) for a in current_areas().areas])
    min_lon = union.bounds[0]
    # The westernmost corner of the areas, a few metres inside: an incident there.
    lon0, lat0 = min(shapely.get_coordinates(union.exterior), key=lambda c: c[0])
    x0, y0 = to_rd(lon0, lat0)
    lon, lat = from_rd(x0 + 3, y0)
    assert union.contains(Point(lon, lat))
    make_incident(lat=lat, lon=lon, hours_ago=OLD)
    # Its cell's register addresses, all in the cell's strip west of the areas' bounding box.
    cols, rows = blur.cell_indices([lat], [lon], CELL_M)
    west_x = int(cols[0]) * CELL_M
    assert x0 - west_x > 5, "the cell must reach past the areas for this test"
    for n in range(1, 9):
        a_lon, a_lat = from_rd(west_x + 1, int(rows[0]) * CELL_M + 15 * n)
        assert a_lon < min_lon
        make_address(postcode="2221ZX", number=n, lat=a_lat, lon=a_lon)
    data = client.get("/incidenten/openbaar.json").get_json()
    assert data["map"]["not_on_map"] == 0
    assert [cell["count"] for cell in data["map"]["cells"]] == [1]
