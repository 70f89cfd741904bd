"""Use cases around areas and groups. The geometry work itself lives in buurt.geo."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import current_app
from shapely.geometry import shape

from buurt import caching
from buurt.extensions import db
from buurt.geo.index import AreaIndex
from buurt.models import Area, BoundaryGeneration, Group, Neighbourhood, Revision, utcnow

log = logging.getLogger(__name__)
DATA = Path(__file__).resolve().parent.parent / "data"
#: The CBS 2024 buurten the default neighbourhood is made of (West, Oost, Noord, Midden)
RIJNSOEVER_BUURTCODES = ("BU05370101", "BU05370102", "BU05370105", "BU05370106")


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

    key: tuple[tuple[int, ...], int]  # see current_key
    generation_ids: tuple[int, ...]
    areas: tuple[AreaInfo, ...]
    index: AreaIndex
    contacts: dict[int, str | None]  # neighbourhood id -> contact e-mail
    households: dict[int, int]  # group id -> CBS households of its current areas (where known)

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
def _current_key_statement():
    t, r = BoundaryGeneration.__table__, Revision.__table__
    revision = db.select(r.c.value).where(r.c.name == caching.AREAS).scalar_subquery()
    return db.select(t.c.id, revision).where(t.c.is_current.is_(True)).order_by(t.c.id)


def current_key() -> tuple[tuple[int, ...], int]:
    """(ids of the current boundary generations, revision of the areas data): one small query.

    Asked on every lookup. The revision moves whenever an area, group, generation or
    neighbourhood changes in any process (buurt.caching), so the cache below is never stale.
    """
    rows = db.session.execute(_current_key_statement()).all()
    if not rows:
        return (), caching.read_revision(db.session)
    return tuple(row[0] for row in rows), rows[0][1] or 0


def current_generation_ids() -> tuple[int, ...]:
    """Ids of the current boundary generations."""
    return current_key()[0]


def current_areas() -> CurrentAreas:
    """The current areas; rebuilt when a generation, area, group or neighbourhood changed anywhere."""
    key = current_key()
    cache = current_app.extensions.setdefault("buurt.current_areas", {})
    cached = cache.get("value")
    if cached is not None and cached.key == key:
        return cached
    ids = key[0]
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
    households: dict[int, int] = {}
    for info in infos:
        if info.households is not None:
            households[info.group_id] = households.get(info.group_id, 0) + info.households
    value = CurrentAreas(key, ids, infos, AreaIndex([(a.id, shape(a.geometry)) for a in infos]), contacts, households)
    cache["value"] = value
    log.info("area index built for generations %s, revision %s (%d areas)", ids, key[1], len(infos))
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


@cache
def gemeente_buurten() -> tuple[dict, ...]:
    """The shipped CBS 2024 buurten of the gemeente (GeoJSON features, lon/lat), read once."""
    return tuple(load_geojson("katwijk_buurten_2024.geojson")["features"])


@cache
def gemeente_outline():
    """The gemeente's outline (shapely, lon/lat): the union of its shipped CBS buurten (generalised)."""
    from shapely.ops import unary_union

    return unary_union([shape(f["geometry"]) for f in gemeente_buurten()])


def in_gemeente(lat: float, lon: float) -> bool:
    """Whether a point lies in the gemeente (its generalised CBS outline, boundary included)."""
    from shapely.geometry import Point

    return gemeente_outline().intersects(Point(lon, lat))


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
        buurtcodes=list(RIJNSOEVER_BUURTCODES),
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
    features = load_geojson("rijnsoever_areas.geojson")["features"]
    geometries = _as_coverage(features, shape(outline["geometry"]))
    for order, feature in enumerate(features):
        p = feature["properties"]
        group = Group(neighbourhood=hood, slug=p["key"], name=p["naam"], capacity=capacity, sort_order=order)
        db.session.add(
            Area(
                generation=generation,
                group=group,
                key=p["key"],
                name=p["naam"].removeprefix("BuurtAlarm "),
                geometry=geometries[p["key"]],
                sort_order=order,
                households=p["huishoudens"],
                households_source=p["huishoudens_bron"],
                area_m2=area_m2(shape(geometries[p["key"]])),
            )
        )
    db.session.commit()
    log.info("default neighbourhood Rijnsoever created")
    return hood


def _as_coverage(features: list[dict], outline) -> dict[str, dict]:
    """The default areas as one exact coverage of the outline (buurt.geo.topology): the shipped file
    is cut from generalised CBS polygons, with T-junctions at its three-way corners and sub-m²
    slivers; stored as they are, the first edit of a coordinator would straighten them as a side
    effect. Any larger problem (none today) leaves the file's shapes as they are."""
    from shapely.geometry import mapping

    from buurt.geo.topology import clean_coverage

    shapes = {f["properties"]["key"]: shape(f["geometry"]) for f in features}
    cleaned = clean_coverage(shapes, outline, tolerance_m2=current_app.config["AREA_SNAP_TOLERANCE_M2"])
    if cleaned.problems:
        log.warning("default areas are not one coverage (%d problems); stored as shipped", len(cleaned.problems))
        return {key: f["geometry"] for key, f in zip(shapes, features, strict=True)}
    return {key: json.loads(json.dumps(mapping(geometry))) for key, geometry in cleaned.geometries.items()}
