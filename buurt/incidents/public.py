"""The public picture of incidents: counts per area and category, and a blurred grid after a delay.

Nothing exact leaves here: no positions, descriptions, photos or reporters (see buurt.incidents.blur).

Time moves in whole local days (Europe/Amsterdam, summer time included): an incident becomes
public at a local midnight at least PUBLIC_INCIDENT_DELAY_HOURS after the end of the day on which it
happened and was reported, and each period ("7 dagen", ...) is the whole local days before that
midnight (blur.public_cutoff, blur.period_start). So every answer of one local day is the same,
byte for byte: polling never shows an incident arrive or leave at its own hour, which would tell
the minute of a burglary. The picture says which day it runs to, never a time.

Each neighbourhood has its own picture (issue 18): only the incidents that belong to it
(buurt.incidents.scope: placed in one of its areas, or nearest to them when outside every area),
its current areas, its outlines on the map. The privacy rules are the same for every one: the
address grid behind the k-anonymous cells counts every register address, whichever neighbourhood.
A routing-only neighbourhood has a picture too: meldingen routed to it are not incidents, but
incidents reported in its areas are.

The picture is cached per process (buurt.caching), keyed on everything it is built from: the
neighbourhood, the incidents, addresses and areas revisions, the language, the map period and the
day's cut-off. So a cached answer is the answer the uncached code would give, a new day builds a
new picture, and one neighbourhood's picture (or map) is never served for another.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

import numpy as np
from flask import current_app
from flask_babel import get_locale

from buurt import caching
from buurt.addresses.services import imported_only, near_current_areas
from buurt.areas import services as areas
from buurt.extensions import db
from buurt.incidents import blur, labels, scope
from buurt.models import Address, Area, Incident, IncidentCategory, IncidentStatus, utcnow
from buurt.neighbourhoods import current_neighbourhood
from buurt.times import local_zone


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
    until: date  # the last local day counted: the picture holds all day, so it names no time
    neighbourhood_id: int | None = None  # whose picture (None: every incident, on an empty site)


PICTURES_KEPT = 128  # per neighbourhood, map period and language (3 x 2 each), a day at a time; ~20 busy neighbourhoods


@dataclass(frozen=True)
class CachedPicture:
    """A built picture (valid for its whole day: the day's cut-off is in its cache key).

    ``derived`` keeps what is rendered from the picture (the map document), built at most once.
    """

    picture: PublicPicture
    derived: dict[str, Any] = field(default_factory=dict, compare=False)
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def rendered(self, name: str, build: Callable[[PublicPicture], Any]) -> Any:
        """`build(picture)`, once per cached picture."""
        with self.lock:
            if name not in self.derived:
                self.derived[name] = build(self.picture)
            return self.derived[name]


def _public_points(since: datetime, cutoff: datetime, neighbourhood_id: int | None) -> list[blur.ExactPoint]:
    """A neighbourhood's public incidents that happened in [since, cutoff), both local midnights, and
    were reported before cutoff."""
    query = db.select(Incident.lat, Incident.lon, Incident.category, Incident.area_id).where(
        Incident.status == IncidentStatus.VISIBLE,
        Incident.occurred_at >= since,
        Incident.occurred_at < cutoff,
        Incident.reported_at < cutoff,
    )
    if neighbourhood_id is not None:
        query = query.where(scope.in_neighbourhoods({neighbourhood_id}))
    rows = db.session.execute(query).all()
    return [blur.ExactPoint(r.lat, r.lon, IncidentCategory(r.category).value, r.area_id) for r in rows]


def address_grid(cell_m: float) -> Counter:
    """Register addresses per grid cell (a cell with too few is never shown); per addresses revision.

    Only the addresses near the current areas are read (incidents lie in them; a register may hold
    the whole country): ~0.5 s for 100,000; every new incident rebuilds the picture of each period
    and language, so the grid is kept apart, until the register or the areas change.
    """
    key = (caching.read_revision(db.session, caching.ADDRESSES), areas.current_key(), cell_m)
    cache = caching.process_cache("address_grid", 2)
    grid = cache.get(key)
    if grid is None:
        # imported register addresses only: a cached online lookup must not lift a cell over the threshold;
        # a cell at the areas' edge is counted whole (the margin)
        near = near_current_areas(margin_m=2 * cell_m)
        rows = db.session.execute(db.select(Address.lat, Address.lon).where(imported_only(), near)).all()
        lats, lons = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
        grid = cache.put(key, blur.address_counts(lats, lons, cell_m))
    return grid


def _neighbourhood_id(neighbourhood) -> int | None:
    """The picture's neighbourhood: the one given, else the page's (the default one outside a page)."""
    hood = neighbourhood if neighbourhood is not None else current_neighbourhood()
    return hood.id if hood is not None else None


def public_picture(now: datetime | None = None, map_period: str = "3m", neighbourhood=None) -> PublicPicture:
    """A neighbourhood's counts per area and category for recent periods, and the blurred grid (after the delay)."""
    return cached_public_picture(now, map_period, neighbourhood)[1].picture


def build_public_picture(now: datetime | None = None, map_period: str = "3m", neighbourhood=None) -> PublicPicture:
    """public_picture() without the cache (what every cached picture must equal)."""
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    zone = local_zone()
    return _build_public_picture(_cutoff(now, zone), map_period, zone, _neighbourhood_id(neighbourhood))


def _cutoff(now: datetime | None, zone: tzinfo) -> datetime:
    """Today's cut-off: the local midnight before which incidents are public (see blur.public_cutoff)."""
    return blur.public_cutoff(now or utcnow(), current_app.config["PUBLIC_INCIDENT_DELAY_HOURS"], zone)


def _cache_key(map_period: str, cutoff: datetime, zone: tzinfo, neighbourhood_id: int | None) -> tuple:
    cfg = current_app.config
    return (
        neighbourhood_id,
        caching.read_revisions(db.session, caching.INCIDENTS, caching.ADDRESSES),
        areas.current_key(),
        str(get_locale()),
        map_period,
        cutoff,
        str(zone),
        tuple(cfg[name] for name in ("PUBLIC_INCIDENT_DELAY_HOURS", "PUBLIC_GRID_M", "PUBLIC_MIN_ADDRESSES")),
    )


def cached_public_picture(
    now: datetime | None = None, map_period: str = "3m", neighbourhood=None
) -> tuple[date, CachedPicture]:
    """The last day counted at `now` and the cached picture of that day and neighbourhood (built when there is none)."""
    if map_period not in labels.PUBLIC_PERIODS:
        map_period = "3m"
    zone = local_zone()
    cutoff = _cutoff(now, zone)
    hood_id = _neighbourhood_id(neighbourhood)
    key = _cache_key(map_period, cutoff, zone, hood_id)
    cache = caching.process_cache("public_picture", PICTURES_KEPT)
    cached = cache.get(key)
    if cached is None:
        cached = cache.put(key, CachedPicture(_build_public_picture(cutoff, map_period, zone, hood_id)))
    return cached.picture.until, cached


def _build_public_picture(
    cutoff: datetime, map_period: str, zone: tzinfo, neighbourhood_id: int | None
) -> PublicPicture:
    """The picture of one neighbourhood over the whole days before `cutoff` (a local midnight)."""
    cfg = current_app.config
    current = areas.current_areas()
    area_names = {a.id: a.name for a in db.session.scalars(db.select(Area))}
    order = [a.id for a in current.areas if neighbourhood_id is None or a.neighbourhood_id == neighbourhood_id]
    period_names = labels.period_labels()
    periods, map_points = [], []
    for key in labels.PUBLIC_PERIODS:
        points = _public_points(blur.period_start(cutoff, labels.PERIODS[key].days, zone), cutoff, neighbourhood_id)
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
        periods,
        blurred.cells,
        blurred.suppressed,
        map_period,
        cfg["PUBLIC_INCIDENT_DELAY_HOURS"],
        grid,
        blur.last_public_day(cutoff, zone),
        neighbourhood_id,
    )


def public_json(picture: PublicPicture, neighbourhood=None) -> dict:
    """The public summary for /incidenten/openbaar.json (and /<slug>/…): counts and blurred cells only."""
    about = {"neighbourhood": {"slug": neighbourhood.slug, "name": neighbourhood.name}} if neighbourhood else {}
    return {
        **about,
        "generated_until": picture.until.isoformat(),  # a day (the last one counted), never a time
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
