"""Hostile names stored where people can set them (areas, streets of members and sign-ups), for the
map XSS tests in this folder: one place that says what "every name" is."""

from __future__ import annotations

from buurt.extensions import db
from buurt.models import Area, ResidentStatus


def store_hostile_names(groups, make_resident, make_address, *, in_script: str, in_markup: str) -> None:
    """Area names alternate between the two payloads; West gets six members and six sign-ups on a
    street named in_script / in_markup (enough for a coverage cell), and one register address."""
    from buurt.areas.services import current_areas

    for n, row in enumerate(db.session.scalars(db.select(Area))):
        row.name = f"A{n} {in_markup if n % 2 else in_script}"  # names hold at most 120 characters
    db.session.commit()
    west = next(a for a in current_areas().areas if a.key == "rijnsoever-west")
    group = next(g for g in groups if g.id == west.group_id)
    for i in range(6):
        for status, street in ((ResidentStatus.ADDED, in_script), (ResidentStatus.PENDING, in_markup)):
            make_resident(group, status=status, lat=52.2127 + i * 1e-6, lon=4.413965, street=street)
    make_address(postcode="2221XA", number=1, lat=52.2127, lon=4.413965, street=in_script)
