"""Fixtures for meldingen: a second neighbourhood of literal squares elsewhere in Katwijk, meldingen."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from buurt.extensions import db
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, utcnow

_hoods = itertools.count(1)

# A 2x2 block of squares about 2 km south-west of Rijnsoever (lon 4.380-4.388, lat 52.190-52.195),
# each ~273 m wide and ~278 m high, plus a far square E ~820 m east of the block.
LON0, LAT0, DLON, DLAT = 4.380, 52.190, 0.004, 0.0025


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


SQUARES = {
    "a": square(LON0, LAT0, LON0 + DLON, LAT0 + DLAT),  # south-west
    "b": square(LON0 + DLON, LAT0, LON0 + 2 * DLON, LAT0 + DLAT),  # south-east
    "c": square(LON0, LAT0 + DLAT, LON0 + DLON, LAT0 + 2 * DLAT),  # north-west
    "d": square(LON0 + DLON, LAT0 + DLAT, LON0 + 2 * DLON, LAT0 + 2 * DLAT),  # north-east
    "e": square(4.400, LAT0, 4.404, LAT0 + DLAT),  # far east
}


@pytest.fixture
def make_squares(app):
    """make_squares({"a": sort_order, ...}) -> {key: Group}: a new neighbourhood with these squares.

    Group names are "Vierkant A" etc.; each group's sort_order is the value given.
    """

    def make(orders: dict[str, int] | None = None, extra_areas: dict[str, list[str]] | None = None):
        orders = orders or {k: i for i, k in enumerate(SQUARES)}
        n = next(_hoods)
        hood = Neighbourhood(slug=f"vierkanten-{n}", name=f"Vierkanten {n}", municipality="Katwijk")
        generation = BoundaryGeneration(neighbourhood=hood, number=1, is_current=True, activated_at=utcnow())
        db.session.add_all([hood, generation])
        groups = {}
        for key, order in orders.items():
            group = Group(neighbourhood=hood, slug=f"vierkant-{key}", name=f"Vierkant {key.upper()}", sort_order=order)
            groups[key] = group
            db.session.add(group)
        position = 0
        for key in orders:
            for area_key in [key, *(extra_areas or {}).get(key, [])]:
                db.session.add(
                    Area(
                        generation=generation,
                        group=groups[key],
                        key=f"{key}-{area_key}",
                        name=area_key.upper(),
                        geometry=SQUARES[area_key],
                        sort_order=position,
                    )
                )
                position += 1
        db.session.commit()
        return groups

    return make


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Coördinator Fictief")


@pytest.fixture
def make_melding(app, coordinator):
    """make_melding(lat=, lon=, radius=, text=, category=) -> a stored Melding (routed like the form does)."""
    from buurt.meldingen import services
    from buurt.meldingen.location import Location

    def make(
        lat=52.2134,
        lon=4.4245,
        radius=500,
        text="Politiebericht: verdachte man bij de Fictieweg.",
        category="verdachte_situatie",
        user=None,
        location=None,
    ):
        location = location or Location(lat, lon, "Punt op de kaart", "Omgeving Fictieweg, Katwijk", "kaart")
        with app.test_request_context():
            return services.create_melding(
                user=user or coordinator,
                received_text=text,
                category=category,
                occurred_at=datetime(2025, 3, 4, 14, 5),
                location=location,
                radius_m=radius,
            )

    return make


@pytest.fixture
def request_ctx(app):
    """For service tests: Flask-Babel's locale selector needs a request (test clients push their own)."""
    with app.test_request_context():
        yield
