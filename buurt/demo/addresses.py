"""The demo's address register: made-up streets laid out inside the current areas, imported like a BAG file."""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from buurt.demo.fiction import (
    AVOID_STREETS,
    DEMO_PLACE,
    HOUSEHOLDS_PER_M2,
    STREET_STEMS,
    STREET_SUFFIXES,
    DemoError,
    split_total,
)
from buurt.extensions import db
from buurt.geo.addresses import normalize_postcode
from buurt.geo.coords import M_PER_DEG_LAT, metres_per_degree
from buurt.geo.polygons import area_m2
from buurt.geo.register_io import AddressRecord
from buurt.models import Address, Neighbourhood, Resident


@dataclass(frozen=True, slots=True)
class DemoArea:
    """A current area as the demo fills it: its group, prepared geometry and household count."""

    id: int
    group_id: int
    name: str
    geometry: shapely.Geometry  # prepared, lon/lat
    households: int
    neighbourhood_id: int | None = None


@dataclass(frozen=True, slots=True)
class DemoAddress:
    """A made-up address and the area it was laid out in."""

    record: AddressRecord
    area_id: int


def demo_areas(neighbourhood_ids: Collection[int] | None = None) -> list[DemoArea]:
    """The current areas of the default neighbourhood, or of the given ones (households estimated when unknown).

    An area of a neighbourhood made of CBS buurten whose households CBS keeps secret (beach, dunes)
    gets none; an area of an uploaded file without counts gets an estimate by surface.
    """
    from buurt.areas.services import current_areas, default_neighbourhood

    if neighbourhood_ids is None:
        hood = default_neighbourhood()
        if hood is None:
            raise DemoError("Er is nog geen buurt in de database. Voer eerst `flask --app app buurt init` uit.")
        hoods = [hood]
    else:
        hoods = list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(neighbourhood_ids))))
    from_cbs = {h.id: h.buurtcodes is not None for h in hoods}
    result = []
    for hood in hoods:
        infos = [a for a in current_areas().areas if a.neighbourhood_id == hood.id]
        if not infos:
            raise DemoError(f"Buurt {hood.name} heeft geen actuele gebieden; laad eerst de gebieden.")
        for info in infos:
            geometry = shape(info.geometry)
            if info.households is not None:
                households = info.households
            elif from_cbs[hood.id] and neighbourhood_ids is not None:
                households = 0
            else:
                households = max(1, round(area_m2(geometry) * HOUSEHOLDS_PER_M2))
            shapely.prepare(geometry)
            result.append(DemoArea(info.id, info.group_id, info.name, geometry, households, hood.id))
    return result


def _street_names(pyrng: random.Random) -> list[str]:
    """Made-up street names, shuffled; popped from the end (spares with -Noord/-Zuid for many areas)."""
    names = [stem + suffix for stem in STREET_STEMS for suffix in STREET_SUFFIXES]
    names = [n for n in names if n not in AVOID_STREETS]
    pyrng.shuffle(names)
    spares = [f"{n}-{side}" for side in ("Noord", "Zuid") for n in names]
    # all of Katwijk needs ~800 streets: more spares, used only after the ones above
    more = [f"{n}-{side}" for side in ("Oost", "West") for n in names]
    more += [f"{prefix} {n}" for prefix in ("Korte", "Lange", "Oude", "Nieuwe") for n in names]
    return more[::-1] + spares[::-1] + names


def _postcodes(pyrng: random.Random):
    """Unused postcodes 2221AA.. (then 2222.., ...) in a shuffled order; never SA/SD/SS."""
    taken = set(db.session.scalars(select(Address.postcode).distinct()))
    taken |= set(db.session.scalars(select(Resident.postcode).where(Resident.postcode.is_not(None)).distinct()))
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for digits in range(2221, 2300):
        codes = [f"{digits}{a}{b}" for a in letters for b in letters if a + b not in ("SA", "SD", "SS")]
        pyrng.shuffle(codes)
        for code in codes:
            if code not in taken:
                yield normalize_postcode(code)


def _house_plan(count: int, pyrng: random.Random, apartment_share: float) -> list[tuple[int, str | None, str | None]]:
    """`count` (number, letter, addition) triples: numbers 1..n, some letters, some apartments."""
    plan: list[tuple[int, str | None, str | None]] = []
    number = 0
    while len(plan) < count:
        number += 1
        left = count - len(plan)
        draw = pyrng.random()
        if draw < apartment_share and left >= 2:
            for floor in range(1, min(left, pyrng.randint(2, 6)) + 1):
                plan.append((number, None, str(floor)))
        elif draw < apartment_share + 0.05 and left >= 2:
            plan.append((number, None, None))
            for letter in "AB"[: min(left - 1, pyrng.choice((1, 1, 2)))]:
                plan.append((number, letter, None))
        else:
            plan.append((number, None, None))
    return plan


def _inside_points(area: DemoArea, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n random points strictly inside the area (rejection sampling in its bounding box), rounded."""
    min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    found = 0
    while found < n:
        lon = np.round(rng.uniform(min_lon, max_lon, 4 * n + 64), 7)
        lat = np.round(rng.uniform(min_lat, max_lat, 4 * n + 64), 7)
        inside = shapely.contains_xy(area.geometry, lon, lat)
        lats.append(lat[inside])
        lons.append(lon[inside])
        found += int(inside.sum())
    return np.concatenate(lats)[:n], np.concatenate(lons)[:n]


def _street_points(area, count, plan, centre, angle, length, rng):
    """Positions along a straight street: odd numbers on one side, even on the other."""
    lat0 = centre[0]
    _, m_per_deg_lon = metres_per_degree(lat0)
    units = max(plan[-1][0], 1)
    spacing = length / max(math.ceil(units / 2), 1)
    numbers = np.array([p[0] for p in plan], dtype=float)
    along = (np.floor((numbers - 1) / 2) + 0.5) * spacing - length / 2 + rng.normal(0, 0.6, count)
    side = np.where(numbers % 2 == 1, 1.0, -1.0) * rng.uniform(9, 14, count)
    dx = along * math.cos(angle) - side * math.sin(angle)
    dy = along * math.sin(angle) + side * math.cos(angle)
    lat = np.round(lat0 + dy / M_PER_DEG_LAT, 7)
    lon = np.round(centre[1] + dx / m_per_deg_lon, 7)
    return lat, lon, shapely.contains_xy(area.geometry, lon, lat)


def _crowded(lat, lon, placed: list[np.ndarray], m_per_deg_lon: float, min_m: float = 15.0) -> np.ndarray:
    """Which new houses stand within `min_m` metres of a house of an earlier street (streets crossing)."""
    if not placed:
        return np.zeros(len(lat), dtype=bool)
    other = np.concatenate(placed)
    dy = (lat[:, None] - other[None, :, 0]) * M_PER_DEG_LAT
    dx = (lon[:, None] - other[None, :, 1]) * m_per_deg_lon
    return (dx * dx + dy * dy).min(axis=1) < min_m * min_m


def _area_addresses(area, n, names, postcodes, rng, pyrng) -> list[DemoAddress]:
    """About `n` addresses in 8-15 made-up streets laid out on a loose grid inside the area."""
    if n <= 0:
        return []
    street_count = int(np.clip(round(n / 60), 8, 15)) if n >= 200 else max(1, n // 25)
    counts = split_total(n, list(rng.dirichlet(np.full(street_count, 4.0))))
    surface = area_m2(area.geometry)
    max_length = max(60.0, 0.55 * math.sqrt(surface))
    apartment_share = 0.03 if n / surface < 0.004 else 0.12  # dense areas: more flats
    base_angle = rng.uniform(0, math.pi / 2)
    pool_lat, pool_lon = _inside_points(area, rng, 40 * street_count + 200)
    _, m_per_deg_lon = metres_per_degree(float(pool_lat.mean()))
    centres: list[tuple[float, float]] = []
    placed: list[np.ndarray] = []  # (lat, lon) rows of the streets so far, to keep streets apart
    result: list[DemoAddress] = []
    pool_next = 0
    for count in counts:
        if count == 0:
            continue
        plan = _house_plan(count, pyrng, apartment_share)
        length = min(max_length, math.ceil(plan[-1][0] / 2) * 7.0)
        best = None
        for attempt in range(12):
            # Mitchell's best candidate: the pool point farthest from the streets so far.
            candidates = rng.integers(0, len(pool_lat), 25)
            if centres:
                c = np.array(centres)
                dy = (pool_lat[candidates, None] - c[None, :, 0]) * M_PER_DEG_LAT
                dx = (pool_lon[candidates, None] - c[None, :, 1]) * m_per_deg_lon
                pick = candidates[int(np.argmax(np.hypot(dx, dy).min(axis=1)))]
            else:
                pick = candidates[0]
            centre = (float(pool_lat[pick]), float(pool_lon[pick]))
            angle = base_angle + (math.pi / 2 if pyrng.random() < 0.5 else 0.0) + rng.normal(0, 0.06)
            lat, lon, inside = _street_points(area, count, plan, centre, angle, length * (1 - 0.05 * attempt), rng)
            crowded = _crowded(lat, lon, placed, m_per_deg_lon)
            score = int(inside.sum()) - int(crowded.sum())
            if best is None or score > best[0]:
                best = (score, lat, lon, inside, centre)
            if inside.mean() >= 0.97 and not crowded.any():
                break
        _score, lat, lon, inside, centre = best
        for i in np.flatnonzero(~inside):  # the few houses that fell outside: anywhere inside instead
            if pool_next >= len(pool_lat):
                pool_lat, pool_lon = _inside_points(area, rng, 200)
                pool_next = 0
            lat[i], lon[i] = pool_lat[pool_next], pool_lon[pool_next]
            pool_next += 1
        centres.append(centre)
        placed.append(np.column_stack([lat, lon]))
        street = names.pop()
        chunk_left = 0
        postcode = ""
        for (number, letter, addition), a_lat, a_lon in zip(plan, lat.tolist(), lon.tolist(), strict=True):
            if chunk_left <= 0:
                postcode = next(postcodes)
                chunk_left = pyrng.randint(15, 25)
            chunk_left -= 1
            record = AddressRecord(postcode, number, letter, addition, street, DEMO_PLACE, a_lat, a_lon)
            result.append(DemoAddress(record, area.id))
    return result


def load_addresses(areas, rng, pyrng, scale) -> tuple[list[DemoAddress], int]:
    """Generate the register and import it through the same code path as a BAG import."""
    from buurt.addresses.imports import import_records

    names = _street_names(pyrng)
    postcodes = _postcodes(pyrng)
    addresses: list[DemoAddress] = []
    for area in areas:
        addresses += _area_addresses(area, round(area.households * scale), names, postcodes, rng, pyrng)
    report = import_records((a.record for a in addresses), source="demo", is_demo=True)
    if report.updated or report.unchanged:  # cannot happen: postcodes are unused ones
        raise DemoError("Demo-adressen botsen met bestaande adressen; demo niet geladen.")
    return addresses, len(report.rejected)
