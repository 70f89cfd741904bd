"""Use cases around areas and groups. The geometry work itself lives in buurt.geo."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import current_app
from shapely.geometry import shape
from sqlalchemy import func

from buurt.extensions import db
from buurt.geo.index import AreaIndex
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, Resident, ResidentStatus, utcnow

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class AreaInfo:
    """A current area with what lookups need, detached from the database session."""

    id: int
    key: str
    name: str
    group_id: int
    group_name: str
    neighbourhood_id: int
    geometry: dict
    households: int | None


@dataclass(frozen=True, slots=True)
class CurrentAreas:
    """The current areas of every neighbourhood and their index (area ids as keys)."""

    generation_ids: tuple[int, ...]
    areas: tuple[AreaInfo, ...]
    index: AreaIndex
    contacts: dict[int, str | None]  # neighbourhood id -> contact e-mail

    def by_id(self, area_id: int) -> AreaInfo:
        return next(a for a in self.areas if a.id == area_id)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a point falls: its area and group (None when outside), and whether it is near a border."""

    area: AreaInfo | None
    is_border: bool
    other: AreaInfo | None  # nearest other area (inside) or nearest area (outside)
    distance_m: float | None  # to `other`


@cache
def _current_generation_ids_statement():
    t = BoundaryGeneration.__table__
    return db.select(t.c.id).where(t.c.is_current.is_(True)).order_by(t.c.id)


def current_generation_ids() -> tuple[int, ...]:
    """Ids of the current boundary generations (asked on every lookup: a plain Core query)."""
    return tuple(db.session.execute(_current_generation_ids_statement()).scalars())


def current_areas() -> CurrentAreas:
    """The current areas; the index is rebuilt only when a boundary generation changes."""
    ids = current_generation_ids()
    cache = current_app.extensions.setdefault("buurt.current_areas", {})
    cached = cache.get("value")
    if cached is not None and cached.generation_ids == ids:
        return cached
    rows = db.session.execute(
        db.select(Area, Group.name, BoundaryGeneration.neighbourhood_id)
        .join(Group, Area.group_id == Group.id)
        .join(BoundaryGeneration, Area.generation_id == BoundaryGeneration.id)
        .where(BoundaryGeneration.id.in_(ids))
        .order_by(BoundaryGeneration.neighbourhood_id, Area.sort_order, Area.id)
    ).all()
    infos = tuple(
        AreaInfo(a.id, a.key, a.name, a.group_id, group_name, nid, a.geometry, a.households)
        for a, group_name, nid in rows
    )
    t = Neighbourhood.__table__
    contacts = dict(db.session.execute(db.select(t.c.id, t.c.contact_email)).all())
    value = CurrentAreas(ids, infos, AreaIndex([(a.id, shape(a.geometry)) for a in infos]), contacts)
    cache["value"] = value
    log.info("area index built for generations %s (%d areas)", ids, len(infos))
    return value


def place(lat: float, lon: float, margin_m: float | None = None, areas: CurrentAreas | None = None) -> Placement:
    """The area and group covering a point (boundary-inclusive; see AreaIndex for the tie rule)."""
    areas = areas or current_areas()
    if margin_m is None:
        margin_m = current_app.config["BORDER_MARGIN_M"]
    if not areas.areas:
        return Placement(None, False, None, None)
    info = areas.index.border_info(lat, lon, margin_m=margin_m)
    area = areas.by_id(info.key) if info.key is not None else None
    other = areas.by_id(info.nearest_other_key) if info.nearest_other_key is not None else None
    return Placement(area, bool(info.is_border) if area else False, other, info.distance_m)


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Counts for one group; `members` are residents added to the WhatsApp group."""

    group_id: int
    capacity: int
    members: int = 0
    pending: int = 0
    waitlist: int = 0
    to_geocode: int = 0
    unconfirmed: int = 0
    needs_review: int = 0

    @property
    def occupied(self) -> int:
        """Members plus those about to be added: what counts against the cap."""
        return self.members + self.pending

    @property
    def fill(self) -> float:
        return self.members / self.capacity if self.capacity else 1.0

    @property
    def is_full(self) -> bool:
        return self.occupied >= self.capacity

    @property
    def room(self) -> int:
        return max(self.capacity - self.occupied, 0)


def group_stats(groups: list[Group] | None = None) -> dict[int, GroupStats]:
    """Counts per group (all active groups when None) in one query."""
    if groups is None:
        groups = list(db.session.scalars(db.select(Group).filter_by(is_active=True)))
    return _stats({g.id: g.capacity for g in groups})


@cache
def _group_stats_statement():
    g, r = Group.__table__, Resident.__table__
    return (
        db.select(g.c.capacity, r.c.status, func.count(r.c.id), func.sum(db.cast(r.c.needs_review, db.Integer)))
        .select_from(g.outerjoin(r, r.c.group_id == g.c.id))
        .where(g.c.id == db.bindparam("group_id"))
        .group_by(g.c.capacity, r.c.status)
    )


def group_stats_for(group_id: int) -> GroupStats:
    """Counts for one group by id in one query, without loading the Group (the lookups' hot path)."""
    rows = db.session.execute(_group_stats_statement(), {"group_id": group_id}).all()
    if not rows:
        raise LookupError(f"no group {group_id}")
    capacity = rows[0][0]
    return _stats_from_rows({group_id: capacity}, [(group_id, *row[1:]) for row in rows if row[1] is not None])[
        group_id
    ]


def _stats(capacities: dict[int, int]) -> dict[int, GroupStats]:
    r = Resident.__table__
    rows = db.session.execute(
        db.select(r.c.group_id, r.c.status, func.count(), func.sum(db.cast(r.c.needs_review, db.Integer)))
        .where(r.c.group_id.in_(list(capacities)))
        .group_by(r.c.group_id, r.c.status)
    ).all()
    return _stats_from_rows(capacities, rows)


def _stats_from_rows(capacities: dict[int, int], rows) -> dict[int, GroupStats]:
    counts: dict[int, dict[str, int]] = {group_id: {} for group_id in capacities}
    for group_id, status, n, review in rows:
        c = counts[group_id]
        c[status] = n
        if status in (ResidentStatus.PENDING.value, ResidentStatus.WAITLIST.value):
            c["needs_review"] = c.get("needs_review", 0) + (review or 0)
    return {
        group_id: GroupStats(
            group_id=group_id,
            capacity=capacity,
            members=counts[group_id].get("added", 0),
            pending=counts[group_id].get("pending", 0),
            waitlist=counts[group_id].get("waitlist", 0),
            to_geocode=counts[group_id].get("to_geocode", 0),
            unconfirmed=counts[group_id].get("unconfirmed", 0),
            needs_review=counts[group_id].get("needs_review", 0),
        )
        for group_id, capacity in capacities.items()
    }


def default_neighbourhood() -> Neighbourhood | None:
    slug = current_app.config["NEIGHBOURHOOD_SLUG"]
    return db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug))


def groups_of(neighbourhood: Neighbourhood) -> list[Group]:
    return list(
        db.session.scalars(
            db.select(Group).filter_by(neighbourhood_id=neighbourhood.id, is_active=True).order_by(Group.sort_order)
        )
    )


def load_geojson(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def seed_default_neighbourhood() -> Neighbourhood | None:
    """Create Rijnsoever with its 5 indicative groups and areas, if no neighbourhood exists yet."""
    if db.session.scalar(db.select(Neighbourhood.id).limit(1)) is not None:
        return None
    from buurt.geo.polygons import area_m2

    outline = next(
        f for f in load_geojson("rijnsoever_2024.geojson")["features"] if f["properties"]["naam"] == "Rijnsoever"
    )
    hood = Neighbourhood(
        slug=current_app.config["NEIGHBOURHOOD_SLUG"],
        name="Rijnsoever",
        municipality="Katwijk",
        contact_email=current_app.config["CONTACT_EMAIL"],
        outline=outline["geometry"],
        households=outline["properties"]["huishoudens_2024"],
    )
    generation = BoundaryGeneration(
        neighbourhood=hood,
        number=1,
        is_current=True,
        activated_at=utcnow(),
        source="CBS / Kadaster 2024 (indicatief)",
        note="Indicatieve gebieden: de 4 CBS-buurten, Rijnsoever-Midden in tweeën gedeeld.",
    )
    db.session.add_all([hood, generation])
    capacity = current_app.config["DEFAULT_GROUP_CAPACITY"]
    for order, feature in enumerate(load_geojson("rijnsoever_areas.geojson")["features"]):
        p = feature["properties"]
        group = Group(neighbourhood=hood, slug=p["key"], name=p["naam"], capacity=capacity, sort_order=order)
        db.session.add(
            Area(
                generation=generation,
                group=group,
                key=p["key"],
                name=p["naam"].removeprefix("BuurtAlarm "),
                geometry=feature["geometry"],
                sort_order=order,
                households=p["huishoudens"],
                households_source=p["huishoudens_bron"],
                area_m2=area_m2(shape(feature["geometry"])),
            )
        )
    db.session.commit()
    log.info("default neighbourhood Rijnsoever created")
    return hood
