"""What a planned indeling does to people (issue 17, point 3): the preview that tells the truth.

:func:`impact_of` reads a plan (buurt.areas.imports.plan_import) and says, without changing
anything:

- per group (existing, new and dropped): its cap, the seats taken now and after the change, counted
  exactly as :mod:`buurt.areas.occupancy` counts them (members + verified pending sign-ups), the
  members, the residents arriving and leaving, and the households before and after;
- how many sign-ups confirming will put on a waitlist: what ``apply_import``'s
  ``_waitlist_over_cap`` does (in a group that receives residents and ends over its cap, the
  verified pending sign-ups that arrive with the new boundaries go to the waitlist, newest first,
  until the group is at its cap or none are left; members and the group's own sign-ups stay);
- warnings (Dutch): a group over its cap after the change, a group that would pass WhatsApp's hard
  limit with its members alone, a group that loses more than AREA_IMPORT_MAX_MOVE_SHARE of its
  members;
- the streets that change group: from the imported address register (per street and from/to
  group: how many addresses, and whether the whole street moves), or without a register the
  streets of the residents who move (names and counts). Street names only: no house numbers, no
  names of people.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely
from flask import current_app
from shapely.geometry import shape

from buurt.addresses.services import imported_only
from buurt.areas.imports import ImportPlan, percent_text
from buurt.areas.occupancy import occupancy
from buurt.areas.services import current_areas
from buurt.extensions import db
from buurt.geo.area_problems import number_text
from buurt.geo.index import AreaIndex
from buurt.models import Address, Group, Resident, ResidentStatus

#: the ``from``/``to`` of an address outside every area (before or after the change)
NO_GROUP = ""
STREETS_FROM_REGISTER = "register"
STREETS_FROM_RESIDENTS = "residents"


@dataclass(frozen=True, slots=True)
class GroupImpact:
    """One group before and after the change (seats as buurt.areas.occupancy counts them)."""

    ref: str  # ImportPlan ref: "g<id>" or "new:<slug>"
    label: str  # ImportPlan.label: unmistakable name, new groups marked
    capacity: int
    is_new: bool
    dropped: bool  # gets no area: switched off
    seats_now: int  # members + verified pending
    seats_after: int  # seats_now - seat holders leaving + seat holders arriving, before any waitlisting
    waitlisted: int  # verified pending sign-ups moved in that confirming puts on the waitlist
    members_now: int
    members_after: int
    arriving: int  # residents (any status) moving in
    leaving: int  # residents (any status) moving out
    members_leaving: int
    households_before: int | None
    households_after: int | None

    @property
    def seats_final(self) -> int:
        """Seats taken once confirmed (after the waitlisting)."""
        return self.seats_after - self.waitlisted

    @property
    def over_cap(self) -> bool:
        return self.seats_after > self.capacity

    @property
    def stays_over_cap(self) -> bool:
        return self.seats_final > self.capacity

    @property
    def changes(self) -> bool:
        return bool(self.arriving or self.leaving or self.dropped or self.is_new)


@dataclass(frozen=True, slots=True)
class ImpactWarning:
    kind: str  # "over_cap", "whatsapp_cap", "members_leave"
    ref: str
    message: str  # Dutch

    @property
    def is_error(self) -> bool:
        return self.kind in ("over_cap", "whatsapp_cap")


@dataclass(frozen=True, slots=True)
class StreetChange:
    """Addresses (register) or residents (without a register) of one street going from one group to another."""

    street: str
    from_label: str  # "" (NO_GROUP): outside every current area
    to_label: str  # "": outside every new area
    count: int
    whole: bool | None  # the whole street (its addresses in the neighbourhood) moves; None: unknown


@dataclass(slots=True)
class Impact:
    """For the preview: seats per group before and after, warnings, and the streets that change group."""

    groups: list[GroupImpact] = field(default_factory=list)
    warnings: list[ImpactWarning] = field(default_factory=list)
    streets: list[StreetChange] = field(default_factory=list)
    streets_source: str | None = None  # STREETS_FROM_REGISTER, STREETS_FROM_RESIDENTS or None (nothing moves)
    register_addresses: int = 0  # imported addresses looked at (in the neighbourhood's box)

    @property
    def waitlisted(self) -> int:
        return sum(g.waitlisted for g in self.groups)

    @property
    def over_cap_warnings(self) -> list[ImpactWarning]:
        return [w for w in self.warnings if w.is_error]

    @property
    def other_warnings(self) -> list[ImpactWarning]:
        return [w for w in self.warnings if not w.is_error]


def impact_of(plan: ImportPlan) -> Impact:
    """The impact of ``plan`` on the groups and streets of its neighbourhood; changes nothing."""
    cfg = current_app.config
    groups = list(
        db.session.scalars(
            db.select(Group).filter_by(neighbourhood_id=plan.neighbourhood_id).order_by(Group.sort_order)
        )
    )
    areas = current_areas()
    seats = occupancy(groups, areas)
    households_before = _households_before(plan, areas)
    households_after: dict[str, int | None] = {}
    for a in plan.areas:
        if a.households is not None:
            households_after[a.group.ref] = (households_after.get(a.group.ref) or 0) + a.households
        else:
            households_after.setdefault(a.group.ref, None)

    residents = _moving_residents(plan)
    arriving, leaving = Counter(), Counter()
    seats_in, seats_out = Counter(), Counter()
    members_in, members_out = Counter(), Counter()
    waitable_in = Counter()  # verified pending sign-ups moved in: the only ones _waitlist_over_cap can move
    for move in plan.moves:
        status, verified = residents.get(move.resident_id, (move.status, False))[:2]
        arriving[move.to_ref] += 1
        leaving[move.from_ref] += 1
        if status == ResidentStatus.ADDED:
            members_in[move.to_ref] += 1
            members_out[move.from_ref] += 1
        if status == ResidentStatus.ADDED or (status == ResidentStatus.PENDING and verified):
            seats_in[move.to_ref] += 1
            seats_out[move.from_ref] += 1
        if status == ResidentStatus.PENDING and verified:
            waitable_in[move.to_ref] += 1

    in_plan = {a.group.ref for a in plan.areas}
    dropped = {g.ref for g in plan.dropped}
    refs = [f"g{g.id}" for g in groups if g.is_active or f"g{g.id}" in in_plan]
    refs += [g.ref for g in plan.new_groups]
    capacity_of = {f"g{g.id}": g.capacity for g in groups}
    default_capacity = cfg["DEFAULT_GROUP_CAPACITY"]
    result: list[GroupImpact] = []
    for ref in refs:
        now = seats.get(int(ref[1:])) if ref.startswith("g") else None
        seats_now = now.occupied if now else 0
        members_now = now.members if now else 0
        capacity = capacity_of.get(ref, default_capacity)
        after = seats_now - seats_out[ref] + seats_in[ref]
        # apply_import checks every group residents move into (buurt.areas.imports._waitlist_over_cap)
        waitlisted = min(max(after - capacity, 0), waitable_in[ref]) if arriving[ref] else 0
        result.append(
            GroupImpact(
                ref=ref,
                label=plan.label(ref),
                capacity=capacity,
                is_new=ref not in capacity_of,
                dropped=ref in dropped,
                seats_now=seats_now,
                seats_after=after,
                waitlisted=waitlisted,
                members_now=members_now,
                members_after=members_now - members_out[ref] + members_in[ref],
                arriving=arriving[ref],
                leaving=leaving[ref],
                members_leaving=members_out[ref],
                households_before=households_before.get(ref),
                households_after=households_after.get(ref) if ref in in_plan else (0 if ref in dropped else None),
            )
        )
    warnings = _warnings(result, float(cfg["AREA_IMPORT_MAX_MOVE_SHARE"]), int(cfg["WHATSAPP_MAX_GROUP_SIZE"]))
    streets, source, looked_at = _streets(plan, areas, residents)
    return Impact(result, warnings, streets, source, looked_at)


def _households_before(plan: ImportPlan, areas) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for info in areas.areas:
        if info.neighbourhood_id != plan.neighbourhood_id:
            continue
        ref = f"g{info.group_id}"
        if info.households is not None:
            found[ref] = (found.get(ref) or 0) + info.households
        else:
            found.setdefault(ref, None)
    return found


def _moving_residents(plan: ImportPlan) -> dict[int, tuple[str, bool, str | None]]:
    """Resident id -> (status, verified, street) for the residents the plan moves (one query)."""
    if not plan.moves:
        return {}
    moving = {m.resident_id for m in plan.moves}
    group_ids = sorted({int(m.from_ref[1:]) for m in plan.moves})
    rows = db.session.execute(
        db.select(Resident.id, Resident.status, Resident.email_confirmed_at, Resident.street).where(
            Resident.group_id.in_(group_ids), Resident.status != ResidentStatus.REMOVED, Resident.lat.is_not(None)
        )
    ).all()
    return {
        rid: (ResidentStatus(status), confirmed is not None, street)
        for rid, status, confirmed, street in rows
        if rid in moving
    }


def _warnings(groups: list[GroupImpact], max_share: float, whatsapp_max: int) -> list[ImpactWarning]:
    warnings: list[ImpactWarning] = []
    for g in groups:
        if g.over_cap and g.arriving:
            warnings.append(ImpactWarning("over_cap", g.ref, _over_cap_message(g)))
        if not g.dropped and g.members_after > whatsapp_max:
            warnings.append(
                ImpactWarning(
                    "whatsapp_cap",
                    g.ref,
                    f"{g.label} krijgt {number_text(g.members_after)} leden; WhatsApp laat hoogstens "
                    f"{number_text(whatsapp_max)} deelnemers in een groep toe. Trek de grens anders of deel de groep.",
                )
            )
        if g.members_now and g.members_leaving / g.members_now > max_share:
            share = percent_text(g.members_leaving / g.members_now)
            warnings.append(
                ImpactWarning(
                    "members_leave",
                    g.ref,
                    f"{g.label} verliest {number_text(g.members_leaving)} van {number_text(g.members_now)} leden "
                    f"({share}) aan een andere groep, meer dan {percent_text(max_share)}. Elk van hen is een "
                    "WhatsApp-taak in twee groepen; kijk of de grens goed ligt.",
                )
            )
    return warnings


def _over_cap_message(g: GroupImpact) -> str:
    head = f"{g.label} komt op {number_text(g.seats_after)} van {number_text(g.capacity)} plaatsen"
    if g.waitlisted == 1:
        moved = "1 aanmelding die met de nieuwe grens binnenkomt, gaat naar de wachtlijst"
    elif g.waitlisted:
        moved = f"{number_text(g.waitlisted)} aanmeldingen die met de nieuwe grens binnenkomen, gaan naar de wachtlijst"
    else:
        moved = "er komen geen aanmeldingen binnen die naar de wachtlijst kunnen"
    if not g.stays_over_cap:
        return f"{head}: {moved} (de nieuwste eerst); leden blijven lid."
    over = g.seats_final - g.capacity
    return (
        f"{head}: {moved}; leden en de eigen aanmeldingen van de groep blijven, dus de groep zit daarna "
        f"{number_text(over)} {'plaats' if over == 1 else 'plaatsen'} boven het maximum. Verhoog het maximum "
        "of trek de grens anders."
    )


# --- streets -----------------------------------------------------------------------------------------


def _streets(plan: ImportPlan, areas, residents) -> tuple[list[StreetChange], str | None, int]:
    """(street changes, where they come from, register addresses looked at)."""
    hood_areas = [(i, info) for i, info in enumerate(areas.areas) if info.neighbourhood_id == plan.neighbourhood_id]
    geometries = [a.geometry for a in plan.areas] + [shape(info.geometry) for _, info in hood_areas]
    if geometries:
        min_lon, min_lat, max_lon, max_lat = shapely.union_all(geometries).bounds
        t = Address.__table__  # Core on the connection: no ORM row processing for thousands of rows
        rows = (
            db.session.connection()
            .execute(
                db.select(t.c.street, t.c.lat, t.c.lon).where(
                    imported_only(), t.c.lat.between(min_lat, max_lat), t.c.lon.between(min_lon, max_lon)
                )
            )
            .all()
        )
    else:
        rows = []
    if rows:
        changes = _register_streets(plan, areas, rows)
        if changes is not None:
            return changes, STREETS_FROM_REGISTER, len(rows)
    if not plan.moves:
        return [], None, len(rows)
    counts = Counter()
    for move in plan.moves:
        street = (residents.get(move.resident_id) or (None, None, None))[2]
        counts[(street or "?", move.from_ref, move.to_ref)] += 1
    changes = [StreetChange(street, plan.label(a), plan.label(b), n, None) for (street, a, b), n in counts.items()]
    return _sorted(changes), STREETS_FROM_RESIDENTS, len(rows)


def _register_streets(plan: ImportPlan, areas, rows) -> list[StreetChange] | None:
    """Street changes from the register addresses; None when none lies in the neighbourhood."""
    lat = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    lon = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    before_refs = np.array(
        [f"g{info.group_id}" if info.neighbourhood_id == plan.neighbourhood_id else NO_GROUP for info in areas.areas]
        + [NO_GROUP],
        dtype=object,
    )
    after_refs = np.array([a.group.ref for a in plan.areas] + [NO_GROUP], dtype=object)
    before = before_refs[areas.index.locate_many(lat, lon)] if areas.areas else np.full(len(rows), NO_GROUP, object)
    new_index = AreaIndex([(i, a.geometry) for i, a in enumerate(plan.areas)])
    after = after_refs[new_index.locate_many(lat, lon)]
    in_hood = (before != NO_GROUP) | (after != NO_GROUP)
    if not in_hood.any():
        return None
    totals: Counter[str] = Counter()
    moves: Counter[tuple[str, str, str]] = Counter()
    for (street, _lat, _lon), a, b, inside in zip(rows, before, after, in_hood, strict=True):
        if not inside:
            continue
        totals[street] += 1
        if a != b:
            moves[(street, a, b)] += 1
    labels: dict[str, str] = defaultdict(str)
    labels.update({ref: plan.label(ref) for ref in plan.groups})
    changes = [StreetChange(s, labels[a], labels[b], n, n == totals[s]) for (s, a, b), n in moves.items()]
    return _sorted(changes)


def _sorted(changes: list[StreetChange]) -> list[StreetChange]:
    return sorted(changes, key=lambda c: (c.from_label.casefold(), c.to_label.casefold(), c.street.casefold()))
