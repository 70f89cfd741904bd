"""The public picture of incidents: counts per area and category, and a blurred grid after a delay.

Nothing exact leaves here: no positions, descriptions, photos or reporters (see buurt.incidents.blur).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from flask import current_app

from buurt.areas import services as areas
from buurt.extensions import db
from buurt.incidents import blur, labels
from buurt.models import Address, Area, Incident, IncidentCategory, IncidentStatus, utcnow


@dataclass(frozen=True)
class PublicArea:
    name: str
    counts: dict[str, int]  # category value -> count
    total: int


@dataclass(frozen=True)
class PublicPeriod:
    key: str
    label: str
    areas: list[PublicArea]
    outside: int
    total: int


@dataclass(frozen=True)
class PublicPicture:
    periods: list[PublicPeriod]
    cells: tuple[blur.PublicCell, ...]
    suppressed: int
    map_period: str
    delay_hours: float
    grid_m: float
    cutoff: datetime


def _public_points(since: datetime, cutoff: datetime) -> list[blur.ExactPoint]:
    rows = db.session.execute(
        db.select(Incident.lat, Incident.lon, Incident.category, Incident.area_id).where(
            Incident.status == IncidentStatus.VISIBLE,
            Incident.occurred_at >= since,
            Incident.occurred_at <= cutoff,
            Incident.reported_at <= cutoff,
        )
    ).all()
    return [blur.ExactPoint(r.lat, r.lon, IncidentCategory(r.category).value, r.area_id) for r in rows]


def address_grid(cell_m: float) -> Counter:
    """Register addresses per grid cell (a cell with too few is never shown)."""
    rows = db.session.execute(db.select(Address.lat, Address.lon)).all()
    return blur.address_counts(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), cell_m)


def public_picture(now: datetime | None = None, map_period: str = "3m") -> PublicPicture:
    """Counts per area and category for recent periods, and the blurred grid (after the delay)."""
    now = now or utcnow()
    cfg = current_app.config
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    cutoff = blur.public_cutoff(now, cfg["PUBLIC_INCIDENT_DELAY_HOURS"])
    current = areas.current_areas()
    area_names = {a.id: a.name for a in db.session.scalars(db.select(Area))}
    order = [a.id for a in current.areas]
    period_names = labels.period_labels()
    periods, map_points = [], []
    for key in labels.PUBLIC_PERIODS:
        points = _public_points(cutoff - labels.PERIODS[key], cutoff)
        if key == map_period:
            map_points = points
        counts = blur.counts_by_area(points)
        ids = order + sorted(k for k in counts if k is not None and k not in order)
        public_areas = [
            PublicArea(
                area_names.get(aid, "?"), dict(counts.get(aid, Counter())), sum(counts.get(aid, Counter()).values())
            )
            for aid in ids
        ]
        outside = sum(counts.get(None, Counter()).values())
        periods.append(PublicPeriod(key, period_names[key], public_areas, outside, len(points)))
    grid = cfg["PUBLIC_GRID_M"]
    blurred = blur.blur_to_grid(map_points, address_grid(grid), cell_m=grid, min_addresses=cfg["PUBLIC_MIN_ADDRESSES"])
    return PublicPicture(
        periods, blurred.cells, blurred.suppressed, map_period, cfg["PUBLIC_INCIDENT_DELAY_HOURS"], grid, cutoff
    )


def public_json(picture: PublicPicture) -> dict:
    """The public summary for /incidenten/openbaar.json: counts and blurred cells only."""
    return {
        "generated_until": picture.cutoff.replace(microsecond=0).isoformat(),
        "delay_hours": picture.delay_hours,
        "grid_m": picture.grid_m,
        "categories": {c.value: label for c, label in labels.category_labels().items()},
        "periods": [
            {
                "period": p.key,
                "label": p.label,
                "total": p.total,
                "outside_areas": p.outside,
                "areas": [{"area": a.name, "total": a.total, "categories": a.counts} for a in p.areas],
            }
            for p in picture.periods
        ],
        "map": {
            "period": picture.map_period,
            "not_on_map": picture.suppressed,
            "cells": [
                {"lat": c.lat, "lon": c.lon, "count": c.count, "categories": c.categories} for c in picture.cells
            ],
        },
    }
