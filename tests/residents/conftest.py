"""Fixtures for the residents' tests: fictional addresses inside each area, outside, and on a border."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from buurt.areas.services import place
from buurt.extensions import db
from buurt.models import Group, Resident, utcnow
from buurt.models import ResidentStatus as S

# A point well inside each default area (lat, lon), and one outside Rijnsoever.
INSIDE = {
    "rijnsoever-west": (52.2127, 4.41397),
    "rijnsoever-midden-noord": (52.21382, 4.41896),
    "rijnsoever-midden-zuid": (52.2096, 4.42125),
    "rijnsoever-noord": (52.21346, 4.42454),
    "rijnsoever-oost": (52.20864, 4.42939),
}
OUTSIDE = (52.2300, 4.4000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unavailable_geocoder_config() -> dict:
    """The register, then PDOK on a 127.0.0.1 port nobody listens on."""
    return {
        "GEOCODER_CHAIN": ("register", "pdok"),
        "PDOK_URL": f"http://127.0.0.1:{free_port()}/locatieserver",
        "GEOCODER_TIMEOUT": 0.5,
        "GEOCODER_MIN_DELAY": 0.0,
    }


@pytest.fixture
def group_by_key(groups) -> dict[str, Group]:
    return {g.slug: g for g in groups}


@pytest.fixture
def border_point(app) -> tuple[float, float]:
    """A point inside Rijnsoever-West within a few metres of Rijnsoever-Midden Noord (found by bisection)."""
    (lat_a, lon_a), (lat_b, lon_b) = INSIDE["rijnsoever-west"], INSIDE["rijnsoever-midden-noord"]
    key_a = place(lat_a, lon_a).area.key
    for _ in range(40):
        lat_m, lon_m = (lat_a + lat_b) / 2, (lon_a + lon_b) / 2
        if (placed := place(lat_m, lon_m).area) is not None and placed.key == key_a:
            lat_a, lon_a = lat_m, lon_m
        else:
            lat_b, lon_b = lat_m, lon_m
    placement = place(lat_a, lon_a)
    assert placement.area.key == key_a
    assert placement.is_border
    return lat_a, lon_a


@pytest.fixture
def addresses(make_address, border_point):
    """Register addresses: 2221XA 1..5 one per area (in INSIDE order), 2221XB 1 outside, 2221XC 1 on a border."""
    made = {}
    for n, (key, (lat, lon)) in enumerate(INSIDE.items(), start=1):
        made[key] = make_address(postcode="2221XA", number=n, lat=lat, lon=lon, street=f"Fictieweg{n}")
    made["outside"] = make_address(postcode="2221XB", number=1, lat=OUTSIDE[0], lon=OUTSIDE[1], street="Nergensweg")
    made["border"] = make_address(
        postcode="2221XC", number=1, lat=border_point[0], lon=border_point[1], street="Grenspad"
    )
    return made


@pytest.fixture
def west(group_by_key, addresses) -> Group:
    """Rijnsoever-West, with the register addresses in place (2221XA 1 lies in it)."""
    return group_by_key["rijnsoever-west"]


def form(**overrides) -> dict:
    """A complete, valid sign-up for the west area (2221XA 1)."""
    data = {
        "name": "Fictief Persoon",
        "postcode": "2221 xa",
        "house_number": "1",
        "addition": "",
        "phone": "06 12345678",
        "email": "",
        "household_size": "2",
        "consent_privacy": "y",
        "consent_rules": "y",
        "consent_age": "y",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def residents() -> list[Resident]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Resident).order_by(Resident.id)))


def waiting(make_resident, postcode: str, number: int, *, minutes_ago: int = 0, **fields) -> Resident:
    """A sign-up stored while the geocoder was down: no group, no point yet."""
    return make_resident(
        None,
        status=S.TO_GEOCODE,
        postcode=postcode,
        house_number=number,
        lat=None,
        lon=None,
        street=None,
        place=None,
        geocoder_source=None,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        **fields,
    )
