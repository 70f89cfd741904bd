"""The home page's map and table agree on every group's state, because both read one Occupancy.

Before: the map coloured a group by members / capacity while the table called it full by
members + pending, so a group full of promised seats was red "vol" in the table and orange on the map.
"""

import re
from html import unescape

import pytest

from buurt.areas.occupancy import occupancy_of
from buurt.extensions import db
from buurt.geo.maps import FILL_STEPS, FULL_COLOUR, fill_colour
from buurt.models import ResidentStatus, utcnow

WARN_COLOUR = FILL_STEPS[-1][1]

# (members, pending, waitlist) per group of capacity 10, covering every band and level
SCENARIOS = {
    "bands": [(0, 0, 0), (6, 0, 0), (8, 1, 0), (9, 1, 2), (12, 0, 1)],
    "edges": [(4, 1, 0), (9, 0, 0), (7, 1, 0), (10, 0, 0), (0, 10, 3)],
}


def _map_colours(document: str, group_names: set[str]) -> dict[str, str]:
    """Group name -> fill colour, in the order folium wrote the layers (tooltips carry the name in bold)."""
    colours = re.findall(r'"fillColor": "(#[0-9a-fA-F]{6})"', document)
    names = [unescape(n) for n in re.findall(r"<strong>(.*?)</strong>", document) if unescape(n) in group_names]
    assert len(colours) == len(names), (colours, names)
    return dict(zip(names, colours, strict=True))


def _table_levels(html: str) -> dict[str, tuple[str, bool]]:
    """Group name -> (data-level of the fill cell, whether the row says "vol")."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        name = re.search(r'<th scope="row">([^<]+)<br>', row)
        level = re.search(r'data-level="(\w+)"', row)
        if name and level:
            rows[unescape(name.group(1)).strip()] = (level.group(1), "vol, wachtlijst" in row)
    return rows


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_map_and_table_agree_on_every_state(client, groups, make_resident, scenario):
    for group, (members, pending, waitlist) in zip(groups, SCENARIOS[scenario], strict=True):
        group.capacity = 10
        for status, count in (
            (ResidentStatus.ADDED, members),
            (ResidentStatus.PENDING, pending),
            (ResidentStatus.WAITLIST, waitlist),
        ):
            for _ in range(count):
                make_resident(group, status=status, email_confirmed_at=utcnow())  # verified: pending holds a seat
        make_resident(group, status=ResidentStatus.PENDING)  # unverified: in the queue, no seat, nowhere in public
    db.session.commit()

    colours = _map_colours(client.get("/kaart/dekking").get_data(as_text=True), {g.name for g in groups})
    table = _table_levels(client.get("/").get_data(as_text=True))
    features = {
        f["properties"]["group_id"]: f["properties"] for f in client.get("/api/v1/areas").get_json()["features"]
    }
    seen_levels = set()
    for group, (members, pending, _waitlist) in zip(groups, SCENARIOS[scenario], strict=True):
        occupancy = occupancy_of(group.id)
        assert occupancy.occupied == members + pending
        level, says_full = table[group.name]
        colour = colours[group.name]
        seen_levels.add(level)
        assert level == occupancy.level
        assert colour == fill_colour(occupancy.fill)
        assert says_full == (level == "full") == (colour == FULL_COLOUR), group.name
        assert (level == "warn") == (colour == WARN_COLOUR), group.name
        api = features[group.id]
        assert (api["level"], api["has_room"], api["fill"]) == (level, level != "full", round(occupancy.fill, 4))
    assert seen_levels == {"ok", "warn", "full"}
