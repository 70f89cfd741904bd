"""The public picture of incidents: counts per area and category, and a blurred grid after a delay.

Nothing exact leaves here: no positions, descriptions, photos or reporters (see buurt.incidents.blur).

The picture is cached per process (buurt.caching), keyed on everything it is built from: the
incidents, addresses and areas revisions, the language and the map period. Incidents become public
24 hours after they happened (``now - delay``, not at whole days), so time moves the picture too: a
cached picture also knows the window of cut-off moments for which the same incidents are public
(until the next incident comes out of the delay, or the oldest one falls out of a period), and is
used only inside it. So a cached answer is the answer the uncached code would give.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app
from flask_babel import get_locale

from buurt import caching
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


PICTURES_KEPT = 16  # per map period and language: 3 x 2 in use


@dataclass(frozen=True)
class CachedPicture:
    """A built picture and the cut-off moments it holds for: ``valid_from <= cutoff < valid_until``.

    ``derived`` keeps what is rendered from the picture (the map document), built at most once.
    """

    picture: PublicPicture
    valid_from: datetime
    valid_until: datetime | None  # None: no incident can change the picture by time alone
    derived: dict[str, Any] = field(default_factory=dict, compare=False)
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def holds_for(self, cutoff: datetime) -> bool:
        return self.valid_from <= cutoff and (self.valid_until is None or cutoff < self.valid_until)

    def at(self, cutoff: datetime) -> PublicPicture:
        """The picture as built for `cutoff` (within the window only its cut-off differs)."""
        return replace(self.picture, cutoff=cutoff)

    def rendered(self, name: str, build: Callable[[PublicPicture], Any]) -> Any:
        """`build(picture)`, once per cached picture."""
        with self.lock:
            if name not in self.derived:
                self.derived[name] = build(self.picture)
            return self.derived[name]


def _public_points(since: datetime, cutoff: datetime) -> tuple[list[blur.ExactPoint], datetime | None]:
    """The public incidents of a period and the earliest moment one of them happened (None: none)."""
    rows = db.session.execute(
        db.select(Incident.lat, Incident.lon, Incident.category, Incident.area_id, Incident.occurred_at).where(
            Incident.status == IncidentStatus.VISIBLE,
            Incident.occurred_at >= since,
            Incident.occurred_at <= cutoff,
            Incident.reported_at <= cutoff,
        )
    ).all()
    points = [blur.ExactPoint(r.lat, r.lon, IncidentCategory(r.category).value, r.area_id) for r in rows]
    return points, min((r.occurred_at for r in rows), default=None)


def _next_release(cutoff: datetime) -> datetime | None:
    """The first cut-off after `cutoff` at which a visible incident comes out of the delay."""
    rows = db.session.execute(
        db.select(Incident.occurred_at, Incident.reported_at).where(
            Incident.status == IncidentStatus.VISIBLE,
            (Incident.occurred_at > cutoff) | (Incident.reported_at > cutoff),
        )
    ).all()
    return min((max(r.occurred_at, r.reported_at) for r in rows), default=None)


def address_grid(cell_m: float) -> Counter:
    """Register addresses per grid cell (a cell with too few is never shown); per addresses revision.

    Reading the whole register costs ~0.5 s for 100,000 addresses; every new incident rebuilds the
    picture of each period and language, so the grid is kept apart, until the register changes.
    """
    key = (caching.read_revision(db.session, caching.ADDRESSES), cell_m)
    cache = caching.process_cache("address_grid", 2)
    grid = cache.get(key)
    if grid is None:
        rows = db.session.execute(db.select(Address.lat, Address.lon)).all()
        lats, lons = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        grid = cache.put(key, blur.address_counts(lats, lons, cell_m))
    return grid


def public_picture(now: datetime | None = None, map_period: str = "3m") -> PublicPicture:
    """Counts per area and category for recent periods, and the blurred grid (after the delay)."""
    cutoff, cached = cached_public_picture(now, map_period)
    return cached.at(cutoff)


def build_public_picture(now: datetime | None = None, map_period: str = "3m") -> PublicPicture:
    """public_picture() without the cache (what every cached picture must equal)."""
    now = now or utcnow()
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    cutoff = blur.public_cutoff(now, current_app.config["PUBLIC_INCIDENT_DELAY_HOURS"])
    return _build_public_picture(cutoff, map_period)[0]


def _cache_key(map_period: str) -> tuple:
    cfg = current_app.config
    return (
        caching.read_revisions(db.session, caching.INCIDENTS, caching.ADDRESSES),
        areas.current_key(),
        str(get_locale()),
        map_period,
        tuple(cfg[name] for name in ("PUBLIC_INCIDENT_DELAY_HOURS", "PUBLIC_GRID_M", "PUBLIC_MIN_ADDRESSES")),
    )


def cached_public_picture(now: datetime | None = None, map_period: str = "3m") -> tuple[datetime, CachedPicture]:
    """The cut-off for `now` and the cached picture that holds for it (built when there is none)."""
    now = now or utcnow()
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    cutoff = blur.public_cutoff(now, current_app.config["PUBLIC_INCIDENT_DELAY_HOURS"])
    key = _cache_key(map_period)
    cache = caching.process_cache("public_picture", PICTURES_KEPT)
    cached = cache.get(key)
    if cached is None or not cached.holds_for(cutoff):
        picture, oldest = _build_public_picture(cutoff, map_period)
        ends = [moment for moment in (_next_release(cutoff), *oldest) if moment is not None]
        cached = cache.put(key, CachedPicture(picture, cutoff, min(ends, default=None)))
    return cutoff, cached


def _build_public_picture(cutoff: datetime, map_period: str) -> tuple[PublicPicture, list[datetime | None]]:
    """The picture at `cutoff`, and per period the moment its oldest incident falls out of it."""
    cfg = current_app.config
    current = areas.current_areas()
    area_names = {a.id: a.name for a in db.session.scalars(db.select(Area))}
    order = [a.id for a in current.areas]
    period_names = labels.period_labels()
    periods, map_points, leaves = [], [], []
    for key in labels.PUBLIC_PERIODS:
        points, oldest = _public_points(cutoff - labels.PERIODS[key], cutoff)
        leaves.append(oldest + labels.PERIODS[key] if oldest is not None else None)
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
    picture = PublicPicture(
        periods, blurred.cells, blurred.suppressed, map_period, cfg["PUBLIC_INCIDENT_DELAY_HOURS"], grid, cutoff
    )
    return picture, leaves


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
