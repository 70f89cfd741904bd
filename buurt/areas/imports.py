"""Area import: one service for `flask buurt areas import` and the browser upload.

An import never edits areas in place. :func:`plan_import` validates a GeoJSON file and works out
what would happen (which group each area belongs to, which residents would move from which group
to which) without changing anything; :func:`apply_import` recomputes that plan inside one
transaction and stores it as a new :class:`BoundaryGeneration` (the old one is kept, only the new
one is current), reassigns residents and queues the WhatsApp work for the beheerders.

Which group an area belongs to:

1. the feature property ``groep`` (or ``group``): an existing group of the neighbourhood with that
   slug or name (case-insensitive), otherwise a **new group** with that slug;
2. otherwise the area key (feature ``id``, or property ``key``/``sleutel``) when it equals an
   existing group's slug;
3. otherwise a **new group** named after the area (``groepsnaam`` property, else "BuurtAlarm
   <area name>") with the default capacity. Unknown areas thus never get rejected silently: the
   plan lists every new group before anyone confirms.

Groups without an area in the new generation are switched off (``is_active = False``).
An import is refused when a resident with coordinates would fall outside every new area (nobody
is lost) or when the areas leave a gap inside the neighbourhood.
Moved residents: those ADDED to WhatsApp get a "remove from WhatsApp" task in the old group and an
"add to WhatsApp" task in the new one; everyone else (pending, waitlist, ...) simply moves.

A proposal waiting for confirmation (:mod:`buurt.areas.proposals`) is itself an inactive
generation: :func:`apply_import` with ``generation=`` activates that same row. Reading and
writing the file format: :mod:`buurt.areas.files`.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import mapping, shape
from sqlalchemy import update

from buurt.areas.files import current_generation, read_areas, required_neighbourhood
from buurt.areas.occupancy import lock_seats, occupancy_of
from buurt.areas.split import slugify
from buurt.extensions import db
from buurt.geo.index import AreaIndex
from buurt.geo.polygons import (
    AreaFeature,
    AreaProblem,
    AreaValidationError,
    area_m2,
    check_tiling,
    to_rd_geometry,
)
from buurt.models import (
    Area,
    BoundaryGeneration,
    Group,
    Neighbourhood,
    RemovalReason,
    Resident,
    ResidentStatus,
    utcnow,
)
from buurt.residents import lifecycle

log = logging.getLogger(__name__)

GROUP_PROPERTIES = ("groep", "group")
BLOCKING_TILING = ("gap", "uncovered")
ESTIMATED = "geschat naar oppervlakte"


@dataclass(frozen=True, slots=True)
class GroupRef:
    """The group an area goes to: an existing one (``id``) or one the import would create."""

    slug: str
    name: str
    id: int | None = None

    @property
    def is_new(self) -> bool:
        return self.id is None

    @property
    def ref(self) -> str:
        return f"g{self.id}" if self.id is not None else f"new:{self.slug}"


@dataclass(frozen=True, slots=True)
class PlannedArea:
    key: str
    name: str
    group: GroupRef
    geometry: Any  # shapely, lon/lat
    households: int | None
    households_source: str | None
    area_m2: float


@dataclass(frozen=True, slots=True)
class ResidentMove:
    resident_id: int
    from_ref: str
    to_ref: str
    status: str


@dataclass(slots=True)
class ImportPlan:
    """What an import would do; nothing has changed yet."""

    neighbourhood_id: int
    neighbourhood_name: str
    source: str
    areas: list[PlannedArea]
    groups: dict[str, GroupRef]  # ref -> group, for every group mentioned (old and new)
    moves: list[ResidentMove]
    residents_counted: int
    without_coordinates: int
    dropped: list[GroupRef]
    warnings: list[str] = field(default_factory=list)
    next_number: int = 1
    assignment: dict[int, int] = field(default_factory=dict)  # resident id -> area position

    @property
    def new_groups(self) -> list[GroupRef]:
        seen: dict[str, GroupRef] = {}
        for area in self.areas:
            if area.group.is_new:
                seen.setdefault(area.group.slug, area.group)
        return list(seen.values())

    def move_counts(self) -> list[tuple[str, str, int]]:
        """(from group name, to group name, how many), largest first."""
        counts = Counter((m.from_ref, m.to_ref) for m in self.moves)
        rows = [(self.groups[a].name, self.groups[b].name, n) for (a, b), n in counts.items()]
        return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))

    def members_after(self) -> dict[str, int]:
        """Residents (not removed, with coordinates) per group ref after the import."""
        return dict(Counter(self.areas[p].group.ref for p in self.assignment.values()))


# --- planning ------------------------------------------------------------------------------------


def _display_name(name: str) -> str:
    return re.sub(r"^BuurtAlarm\s+", "", name).strip() or name


def _estimate_households(geometry, old_areas: list[Area]) -> int | None:
    known = [a for a in old_areas if a.households]
    if not known:
        return None
    rd = to_rd_geometry(geometry)
    total = 0.0
    for old in known:
        old_rd = to_rd_geometry(shape(old.geometry))
        if old_rd.area <= 0 or not rd.intersects(old_rd):
            continue
        total += old.households * shapely.intersection(rd, old_rd).area / old_rd.area
    return round(total)


def _group_for(feature: AreaFeature, groups: list[Group], planned_new: dict[str, GroupRef]) -> GroupRef:
    props = feature.properties
    wanted = next((str(props[p]).strip() for p in GROUP_PROPERTIES if props.get(p)), "")
    by_slug = {g.slug.casefold(): g for g in groups}
    by_name = {g.name.casefold(): g for g in groups}
    if wanted:
        match = by_slug.get(wanted.casefold()) or by_name.get(wanted.casefold())
        if match is None:
            slug = slugify(wanted)
            match = by_slug.get(slug)
        if match is not None:
            return GroupRef(match.slug, match.name, match.id)
        slug = slugify(wanted)
    else:
        match = by_slug.get(feature.key.casefold())
        if match is not None:
            return GroupRef(match.slug, match.name, match.id)
        slug = slugify(feature.key)
    if slug in planned_new:
        return planned_new[slug]
    name = str(props.get("groepsnaam") or props.get("group_name") or "").strip()
    if not name:
        name = wanted if wanted and wanted != slug else f"BuurtAlarm {_display_name(feature.name)}"
    ref = GroupRef(slug, name[:120], None)
    planned_new[slug] = ref
    return ref


def plan_import(
    data: bytes | str | dict,
    *,
    neighbourhood: Neighbourhood | None = None,
    source: str = "",
    max_bytes: int | None = None,
) -> ImportPlan:
    """Validate the file and work out the import; raises AreaValidationError. Changes nothing."""
    hood = required_neighbourhood(neighbourhood)
    features = read_areas(data, max_bytes=max_bytes)
    cfg = current_app.config
    outline = shape(hood.outline) if hood.outline else None
    tiling = check_tiling(features, outline, gap_tolerance_m2=cfg["AREA_GAP_TOLERANCE_M2"])
    blocking = [p for p in tiling if p.code in BLOCKING_TILING]
    warnings = [p.message for p in tiling if p.code not in BLOCKING_TILING]
    if blocking:
        raise AreaValidationError(blocking)

    groups = list(db.session.scalars(db.select(Group).filter_by(neighbourhood_id=hood.id).order_by(Group.sort_order)))
    current = current_generation(hood)
    old_areas = list(current.areas) if current else []
    planned_new: dict[str, GroupRef] = {}
    areas: list[PlannedArea] = []
    for feature in features:
        ref = _group_for(feature, groups, planned_new)
        raw = feature.properties.get("huishoudens")
        if isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= 0:
            households, source_hh = int(raw), str(feature.properties.get("huishoudens_bron") or "bestand")[:80]
        else:
            households = _estimate_households(feature.geometry, old_areas)
            source_hh = ESTIMATED if households is not None else None
        areas.append(
            PlannedArea(
                key=feature.key[:80],
                name=_display_name(feature.name)[:120],
                group=ref,
                geometry=feature.geometry,
                households=households,
                households_source=source_hh,
                area_m2=area_m2(feature.geometry),
            )
        )

    refs: dict[str, GroupRef] = {GroupRef(g.slug, g.name, g.id).ref: GroupRef(g.slug, g.name, g.id) for g in groups}
    refs.update({a.group.ref: a.group for a in areas})
    kept = {a.group.ref for a in areas}
    dropped = [GroupRef(g.slug, g.name, g.id) for g in groups if g.is_active and f"g{g.id}" not in kept]

    rows = db.session.execute(
        db.select(Resident.id, Resident.lat, Resident.lon, Resident.group_id, Resident.status).where(
            Resident.group_id.in_([g.id for g in groups]), Resident.status != ResidentStatus.REMOVED
        )
    ).all()
    located = [r for r in rows if r.lat is not None and r.lon is not None]
    without = len(rows) - len(located)
    index = AreaIndex([(i, a.geometry) for i, a in enumerate(areas)])
    positions = index.locate_many([r.lat for r in located], [r.lon for r in located]) if located else np.empty(0)
    moves: list[ResidentMove] = []
    outside: Counter[str] = Counter()
    assignment: dict[int, int] = {}
    for row, position in zip(located, positions, strict=True):
        if position < 0:
            outside[refs[f"g{row.group_id}"].name] += 1
            continue
        assignment[row.id] = int(position)
        target = areas[int(position)].group.ref
        if target != f"g{row.group_id}":
            moves.append(ResidentMove(row.id, f"g{row.group_id}", target, ResidentStatus(row.status).value))
    if outside:
        per_group = ", ".join(f"{name}: {n}" for name, n in sorted(outside.items()))
        raise AreaValidationError(
            [
                AreaProblem(
                    "residents_outside",
                    f"{sum(outside.values())} aangemelde bewoner(s) zouden buiten alle nieuwe gebieden vallen "
                    f"({per_group}). Pas de gebieden aan zodat hun adressen erin liggen; er is niets veranderd.",
                )
            ]
        )
    stranded = Counter(
        refs[f"g{r.group_id}"].name
        for r in rows
        if (r.lat is None or r.lon is None) and any(d.id == r.group_id for d in dropped)
    )
    warnings.extend(
        f"{n} bewoner(s) zonder coördinaten in {name}, dat geen gebied meer krijgt; verplaats ze met de hand."
        for name, n in sorted(stranded.items())
    )
    number = (
        db.session.scalar(db.select(db.func.max(BoundaryGeneration.number)).filter_by(neighbourhood_id=hood.id)) or 0
    )
    return ImportPlan(
        neighbourhood_id=hood.id,
        neighbourhood_name=hood.name,
        source=source,
        areas=areas,
        groups=refs,
        moves=moves,
        residents_counted=len(located),
        without_coordinates=without,
        dropped=dropped,
        warnings=warnings,
        next_number=number + 1,
        assignment=assignment,
    )


# --- applying -------------------------------------------------------------------------------------


class ProposalGone(LookupError):
    """The proposal was confirmed, discarded or expired meanwhile (pages answer 404)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    generation_id: int
    number: int
    moved: int
    tasks: int
    new_groups: int
    plan: ImportPlan


def apply_import(
    data: bytes | str | dict,
    *,
    neighbourhood: Neighbourhood | None = None,
    source: str = "",
    note: str | None = None,
    user_id: int | None = None,
    max_bytes: int | None = None,
    generation: BoundaryGeneration | None = None,
) -> ImportResult:
    """Store the file as the new current boundary generation, in one transaction (all or nothing).

    ``generation``: a proposal of this neighbourhood that becomes the new generation itself (the
    first confirmation wins; ProposalGone when it was activated or deleted meanwhile).
    """
    from buurt import audit

    hood = required_neighbourhood(neighbourhood)
    plan = plan_import(data, neighbourhood=hood, source=source, max_bytes=max_bytes)
    cfg = current_app.config
    try:
        groups = {g.id: g for g in db.session.scalars(db.select(Group).filter_by(neighbourhood_id=hood.id))}
        next_order = max((g.sort_order for g in groups.values()), default=-1) + 1
        created: dict[str, Group] = {}
        for ref in plan.new_groups:
            group = Group(
                neighbourhood_id=hood.id,
                slug=ref.slug,
                name=ref.name,
                capacity=cfg["DEFAULT_GROUP_CAPACITY"],
                sort_order=next_order,
                is_active=True,
            )
            next_order += 1
            db.session.add(group)
            created[ref.ref] = group
        db.session.flush()

        def group_of(ref: GroupRef) -> Group:
            return created[ref.ref] if ref.is_new else groups[ref.id]

        now = utcnow()
        if generation is not None:  # one conditional transition: only a proposal can be activated
            claimed = db.session.execute(
                update(BoundaryGeneration)
                .where(BoundaryGeneration.id == generation.id, BoundaryGeneration.activated_at.is_(None))
                .values(activated_at=now),
                execution_options={"synchronize_session": False},
            ).rowcount
            if claimed != 1:
                raise ProposalGone(generation.id)
        for old in db.session.scalars(
            db.select(BoundaryGeneration).filter_by(neighbourhood_id=hood.id, is_current=True)
        ):
            old.is_current = False
        if generation is None:
            generation = BoundaryGeneration(neighbourhood_id=hood.id)
            db.session.add(generation)
        generation.number = plan.next_number
        generation.is_current = True
        generation.document = None
        generation.note = note or None
        generation.source = (source or "import")[:200]
        generation.created_by_id = user_id
        generation.activated_at = now
        new_areas: list[Area] = []
        for order, planned in enumerate(plan.areas):
            area = Area(
                generation=generation,
                group_id=group_of(planned.group).id,
                key=planned.key,
                name=planned.name,
                geometry=json.loads(json.dumps(mapping(planned.geometry))),
                sort_order=order,
                households=planned.households,
                households_source=planned.households_source,
                area_m2=planned.area_m2,
            )
            db.session.add(area)
            new_areas.append(area)
        db.session.flush()
        for planned in plan.areas:
            group_of(planned.group).is_active = True
        for ref in plan.dropped:
            groups[ref.id].is_active = False

        # Reassign residents: group, area and border flags from the new index.
        index = AreaIndex([(a.id, shape(a.geometry)) for a in new_areas])
        area_group = {a.id: a.group_id for a in new_areas}
        moving = {m.resident_id: m for m in plan.moves}
        residents = list(db.session.scalars(db.select(Resident).where(Resident.id.in_(list(plan.assignment)))))
        updates = []
        tasks = 0
        for resident in residents:
            area_id = new_areas[plan.assignment[resident.id]].id
            border = index.border_info(resident.lat, resident.lon, margin_m=cfg["BORDER_MARGIN_M"])
            values = {
                "id": resident.id,
                "area_id": area_id,
                "group_id": area_group[area_id],
                "is_border": bool(border.is_border),
                "border_group_id": area_group[border.nearest_other_key] if border.is_border else None,
                "border_distance_m": border.distance_m,
            }
            move = moving.get(resident.id)
            if move is not None and resident.status == ResidentStatus.ADDED:
                # A member stays a member (status unchanged): the beheerders of both groups get a to-do.
                new_group_id = area_group[area_id]
                lifecycle.remove_from_whatsapp(
                    resident, resident.group_id, RemovalReason.NEW_BOUNDARIES, other_group_id=new_group_id
                )
                lifecycle.add_to_whatsapp(
                    resident, new_group_id, RemovalReason.NEW_BOUNDARIES, other_group_id=resident.group_id
                )
                tasks += 2
            updates.append(values)
        moved_in = {values["id"]: values["group_id"] for values in updates if values["id"] in moving}
        lock_seats(list(set(moved_in.values())))  # before anything changes in the groups residents move into
        if updates:
            db.session.execute(update(Resident), updates)
        waitlisted = _waitlist_over_cap(moved_in)
        audit.record(
            "areas.import",
            "boundary_generation",
            generation.id,
            number=generation.number,
            areas=len(new_areas),
            moved=len(plan.moves),
            new_groups=len(created),
            tasks=tasks,
            waitlisted=waitlisted,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "boundary generation %s (number %s) stored: %d areas, %d residents moved",
        generation.id,
        generation.number,
        len(plan.areas),
        len(plan.moves),
    )
    return ImportResult(generation.id, generation.number, len(plan.moves), tasks, len(created), plan)


def _waitlist_over_cap(moved_in: dict[int, int]) -> int:
    """Residents moved into a group that is now over its cap wait on its list, newest first.

    Members stay members (they are in the WhatsApp group already) and the group's own pending
    sign-ups keep their seats; pending sign-ups moved in by the new boundaries take the free seats
    in order of sign-up and the rest go on the waitlist, as a new sign-up would. Runs under the
    seat locks of those groups (taken by apply_import). Only confirmed sign-ups hold seats, so only
    they are moved to the waitlist; unconfirmed ones stay in the queue, holding none. Returns how
    many were waitlisted.
    """
    waitlisted = 0
    for group_id in sorted(set(moved_in.values())):
        over = _over_cap(group_id)
        if over <= 0:
            continue
        newest_first = db.session.scalars(
            db.select(Resident.id)
            .where(
                Resident.id.in_([rid for rid, gid in moved_in.items() if gid == group_id]),
                Resident.status == ResidentStatus.PENDING,
                Resident.email_confirmed_at.is_not(None),  # only confirmed ones hold a seat (Occupancy)
            )
            .order_by(Resident.created_at.desc(), Resident.id.desc())
            .limit(over)
        ).all()
        for resident_id in newest_first:
            if lifecycle.transition(resident_id, [ResidentStatus.PENDING], ResidentStatus.WAITLIST, in_group=group_id):
                waitlisted += 1
    return waitlisted


def _over_cap(group_id: int) -> int:
    """Seats taken beyond the cap (occupied - capacity). Without the areas cache: this transaction
    holds areas no other process has seen yet."""
    seats = occupancy_of(group_id, households={})
    return seats.occupied - seats.capacity
