"""The cached public picture follows the settings it is built from (buurt.incidents.public._cache_key).

A cached answer must be the answer the uncached code gives: when the delay, the grid size or the
k-address minimum is set differently, the next request builds a new picture instead of serving
one made under the old setting.
"""

from __future__ import annotations

from tests.incidents.conftest import INSIDE

OLD = 72  # hours: public on any day with a 24 h delay


def test_a_changed_setting_builds_a_new_picture(app, client, make_incident, make_address):
    lat, lon = INSIDE["rijnsoever-noord"]
    for n in range(1, 9):
        make_address(postcode="2221ZY", number=n, lat=lat + (n - 4) * 0.00004, lon=lon + 0.00002 * n)
    make_incident(hours_ago=OLD)

    def picture():
        return client.get("/incidenten/openbaar.json").get_json()

    first = picture()
    assert (first["map"]["not_on_map"], first["delay_hours"], first["grid_m"]) == (0, 24, 150)
    assert picture() == first  # from the cache

    app.config["PUBLIC_MIN_ADDRESSES"] = 50  # the cell's 8 addresses are too few now
    assert picture()["map"]["not_on_map"] == 1
    app.config["PUBLIC_MIN_ADDRESSES"] = 5

    app.config["PUBLIC_GRID_M"] = 300
    assert picture()["grid_m"] == 300

    app.config["PUBLIC_INCIDENT_DELAY_HOURS"] = 24 * 30  # the incident is not public yet
    later = picture()
    assert later["delay_hours"] == 24 * 30
    assert later["periods"][-1]["total"] == 0
