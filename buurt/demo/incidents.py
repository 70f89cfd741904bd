"""Demo incidents (also for benchmarks: :func:`make_demo_incidents`) and police meldingen."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from buurt.demo.fiction import (
    BUILDS,
    CLOTHING,
    COLOURS,
    DEMO_SEED,
    DIRECTIONS,
    HEIGHTS,
    HOUR_WEIGHTS,
    INCIDENT_TEXTS,
    INCIDENT_WEIGHTS,
    MELDING_RESULT_NOTES,
    MELDING_TEXTS,
    MELDING_WEIGHTS,
    MELDINGEN_TOTAL,
    MONTH_WEIGHTS,
    POLICE_CALLED,
    VEHICLES,
    DemoError,
    uniform_time,
)
from buurt.extensions import db
from buurt.geo.coords import M_PER_DEG_LAT, metres_per_degree
from buurt.models import Address, IncidentCategory, IncidentStatus, Melding, MeldingTarget, ResidentStatus, utcnow
from buurt.times import local_zone


def _incident_times(n: int, rng: np.random.Generator, now: datetime) -> list[datetime]:
    """Moments over the past year: more in autumn and winter, most in the evening (local time)."""
    month_w = np.array(MONTH_WEIGHTS)
    hour_p = np.array(HOUR_WEIGHTS) / sum(HOUR_WEIGHTS)
    zone = local_zone()
    local_now = now.astimezone(zone)
    month_of_offset = np.array([(local_now - timedelta(days=d)).month for d in range(365)])
    days = np.empty(0, dtype=int)
    while len(days) < n:
        candidates = rng.integers(0, 365, 3 * n + 16)
        keep = rng.random(len(candidates)) < month_w[month_of_offset[candidates] - 1] / month_w.max()
        days = np.concatenate([days, candidates[keep]])
    hours = rng.choice(24, size=n, p=hour_p)
    minutes = rng.integers(0, 60, n)
    result = []
    for day, hour, minute in zip(days[:n].tolist(), hours.tolist(), minutes.tolist(), strict=True):
        date = (local_now - timedelta(days=day)).date()
        moment = datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone).astimezone(UTC)
        if moment > now - timedelta(minutes=10):
            moment -= timedelta(days=1)
        result.append(moment)
    return result


def _details(category: IncidentCategory, pyrng: random.Random) -> dict | None:
    """Concrete descriptions of persons/vehicles (never names), for some incidents."""
    person = {
        "clothing": pyrng.choice(CLOTHING),
        "height": pyrng.choice(HEIGHTS),
        "build": pyrng.choice(BUILDS),
        "direction": pyrng.choice(DIRECTIONS),
    }
    kind, make = pyrng.choice(VEHICLES)
    vehicle = {"kind": kind, "make": make, "colour": pyrng.choice(COLOURS), "plate": None,
               "direction": pyrng.choice(DIRECTIONS)}  # fmt: skip
    if category == IncidentCategory.VERDACHT_VOERTUIG:
        return {"persons": [], "vehicles": [vehicle]}
    about_people = (
        IncidentCategory.VERDACHTE_SITUATIE,
        IncidentCategory.WONINGINBRAAK,
        IncidentCategory.POGING_INBRAAK,
    )
    if category in about_people and pyrng.random() < 0.55:
        persons = [person] if pyrng.random() < 0.7 else [person, {**person, "clothing": pyrng.choice(CLOTHING)}]
        return {"persons": persons, "vehicles": [vehicle] if pyrng.random() < 0.3 else []}
    return None


def make_demo_incidents(
    n: int,
    seed: int = DEMO_SEED,
    *,
    now: datetime | None = None,
    anchors: list[tuple[float, float, str]] | None = None,
) -> list[dict]:
    """Rows of `n` fictional incidents for ``db.session.execute(db.insert(Incident), rows)``.

    Needs an app context (for the current areas). Locations are a few metres from ``anchors``
    (``(lat, lon, street)``), by default the demo addresses in the register, or random points in
    the current areas when there are none. Area and group come from the area index.
    ``details`` (some rows) looks like ``{"persons": [{"clothing", "height", "build",
    "direction"}], "vehicles": [{"kind", "make", "colour", "plate", "direction"}]}``.
    Every row has ``is_demo=True``.
    """
    from buurt.areas.services import current_areas

    if n <= 0:
        return []
    now = now or utcnow()
    rng = np.random.default_rng([seed, 7])
    pyrng = random.Random(seed * 31 + 7)
    areas = current_areas()
    if anchors is None:
        rows = db.session.execute(
            select(Address.lat, Address.lon, Address.street).where(Address.is_demo.is_(True)).limit(20_000)
        ).all()
        anchors = [tuple(row) for row in rows]
    if anchors:
        base = rng.integers(0, len(anchors), n)
        base_lat = np.array([anchors[i][0] for i in base])
        base_lon = np.array([anchors[i][1] for i in base])
        streets = [anchors[i][2] for i in base]
    else:
        base_lat, base_lon, streets = _random_points_in(areas, n, rng)
    lat = np.round(base_lat + rng.normal(0, 6.0, n) / M_PER_DEG_LAT, 7)
    # metres_per_degree() over an array: each incident's own latitude
    lon = np.round(base_lon + rng.normal(0, 6.0, n) / (M_PER_DEG_LAT * np.cos(np.radians(base_lat))), 7)
    area_ids = areas.index.keys_for(areas.index.locate_many(lat, lon))
    group_of = {a.id: a.group_id for a in areas.areas}
    categories = list(INCIDENT_WEIGHTS)
    picks = pyrng.choices(categories, weights=list(INCIDENT_WEIGHTS.values()), k=n)
    occurred = _incident_times(n, rng, now)
    rows = []
    for i in range(n):
        category = picks[i]
        street = streets[i]
        area_id = area_ids[i]
        reported = min(occurred[i] + timedelta(minutes=pyrng.uniform(5, 12 * 60)), now)
        rows.append(
            {
                "category": category,
                "occurred_at": occurred[i],
                "reported_at": reported,
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "location_label": street,
                "area_id": area_id,
                "group_id": group_of.get(area_id) if area_id is not None else None,
                "description": pyrng.choice(INCIDENT_TEXTS[category]).format(street=street or "straat"),
                "details": _details(category, pyrng),
                "police_called": pyrng.random() < POLICE_CALLED.get(category, 0.15),
                "photo_filename": None,
                "photo_mime": None,
                "reporter_user_id": None,
                "reporter_resident_id": None,
                "status": IncidentStatus.HIDDEN if pyrng.random() < 0.03 else IncidentStatus.VISIBLE,
                "merged_into_id": None,
                "is_demo": True,
            }
        )
    return rows


def _random_points_in(areas, n: int, rng: np.random.Generator):
    """Random points inside the union of the current areas (for benchmarks without a register)."""
    geometries = [shape(a.geometry) for a in areas.areas]
    if not geometries:
        raise DemoError("Er zijn geen actuele gebieden; voer eerst `flask --app app buurt init` uit.")
    union = shapely.union_all(geometries)
    shapely.prepare(union)
    min_lon, min_lat, max_lon, max_lat = union.bounds
    lats, lons, found = [], [], 0
    while found < n:
        lon = rng.uniform(min_lon, max_lon, 2 * n + 64)
        lat = rng.uniform(min_lat, max_lat, 2 * n + 64)
        inside = shapely.contains_xy(union, lon, lat)
        lats.append(lat[inside])
        lons.append(lon[inside])
        found += int(inside.sum())
    return np.concatenate(lats)[:n], np.concatenate(lons)[:n], ["Verzonnenlaan"] * n


def attach_reporters(rows, residents, beheerders, staff, pyrng: random.Random) -> None:
    """Some incidents were reported by demo residents, others by demo beheerders."""
    members = [r for r in residents if r.status == ResidentStatus.ADDED]
    for row in rows:
        draw = pyrng.random()
        team = beheerders.get(row["group_id"]) or []
        if draw < 0.55 and members:
            row["reporter_resident_id"] = pyrng.choice(members).id
        elif draw < 0.9 and team:
            row["reporter_user_id"] = pyrng.choice(team).id
        elif staff:
            row["reporter_user_id"] = staff[0].id


def create_meldingen(groups, beheerders, staff, anchors, pyrng: random.Random, scale, now, count=None) -> int:
    """A few police alerts (or ``count``) of the past months, routed by radius; the recent ones still open."""
    from buurt.areas.services import current_areas

    areas = current_areas()
    group_of = {a.id: a.group_id for a in areas.areas}
    count = max(3, round(MELDINGEN_TOTAL * scale)) if count is None else count
    coordinator = staff[0]
    categories = list(MELDING_WEIGHTS)
    occurred_times = sorted(
        (uniform_time(pyrng, now - timedelta(days=150), now - timedelta(hours=2)) for _ in range(count)),
        reverse=True,
    )
    for index, occurred in enumerate(occurred_times):
        lat, lon, street = pyrng.choice(anchors) if anchors else (52.2105, 4.4235, "Verzonnenlaan")
        _lat2, _lon2, other_street = pyrng.choice(anchors) if anchors else (lat, lon, street)
        category = pyrng.choices(categories, weights=list(MELDING_WEIGHTS.values()))[0]
        radius = pyrng.choice((300, 500, 500, 500, 750, 1000))
        created = occurred + timedelta(minutes=pyrng.uniform(8, 40))
        text = MELDING_TEXTS[category].format(
            street=street, height=pyrng.choice(HEIGHTS).replace(",", "."), clothing=pyrng.choice(CLOTHING),
            direction=f"richting de {other_street}",
        )  # fmt: skip
        is_open = index < 2 or (index < 4 and pyrng.random() < 0.3)
        closed = None if is_open else created + timedelta(minutes=pyrng.uniform(30, 240))
        melding = Melding(
            received_text=text,
            category=category,
            occurred_at=occurred,
            lat=round(lat + pyrng.gauss(0, 15) / M_PER_DEG_LAT, 7),
            lon=round(lon + pyrng.gauss(0, 15) / metres_per_degree(lat)[1], 7),
            location_label=street,
            radius_m=radius,
            created_at=created,
            created_by_id=coordinator.id,
            closed_at=closed,
            closed_by_id=None if is_open else coordinator.id,
            result=None if is_open else pyrng.choices(list(MELDING_RESULT_NOTES), weights=(3, 5, 1))[0],
            is_demo=True,
        )
        if melding.result is not None:
            melding.result_note = MELDING_RESULT_NOTES[melding.result]
        hits: dict[int, float] = {}
        for area_id, distance in areas.index.within_radius(melding.lat, melding.lon, 2 * radius):
            group_id = group_of[area_id]
            if group_id in groups and group_id not in hits:
                hits[group_id] = distance
        for group_id, distance in hits.items():
            neighbour = distance > radius
            target = MeldingTarget(group_id=group_id, distance_m=round(distance, 1), is_neighbour=neighbour)
            team = beheerders.get(group_id) or [coordinator]
            if not neighbour and (not is_open or pyrng.random() < 0.5):
                target.forwarded_at = created + timedelta(minutes=pyrng.uniform(2, 25))
                target.forwarded_by_id = pyrng.choice(team).id
                if closed is not None:
                    target.close_forwarded_at = closed + timedelta(minutes=pyrng.uniform(2, 30))
                    target.close_forwarded_by_id = pyrng.choice(team).id
            melding.targets.append(target)
        db.session.add(melding)
    return count
