"""How full a group is: one value, used by every page, the API, the console, coverage and lookups.

What counts against the cap is ``occupied`` = members (added in WhatsApp) + the pending sign-ups
that are verified (``Resident.verified``: their e-mail address confirmed by the double opt-in): a
seat promised to a real resident about to be added is taken. A pending sign-up nobody has verified
(no e-mail, or mail not enabled, or a confirmation that never arrived) is in the beheerders' queue,
labelled, but holds no seat: anyone can type a name and a number, and such sign-ups must not push
real residents onto the waitlist. Only a beheerder's "Toegevoegd" gives it a seat, under the seat
lock and only when there is room (buurt.beheer.queue), so the cap holds.

So ``fill`` is occupied / capacity, ``is_full`` is fill >= 1, and the map colour, the table's
badge, the public "x van y plaatsen bezet", the lookup answer ("er is plek" or "wachtlijst") and
the PENDING-or-WAITLIST decision (buurt.residents.lifecycle) all read the same numbers. No two
pages can disagree about a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import current_app
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from buurt.areas.services import CurrentAreas, current_areas
from buurt.extensions import db
from buurt.models import Group, Resident, ResidentStatus, SeatLock

#: Levels, in order: the console badge, the table row, the overview's "needs attention" list.
LEVELS = ("ok", "warn", "full")


@dataclass(frozen=True, slots=True)
class Occupancy:
    """Counts for one group, and everything derived from them."""

    group_id: int
    capacity: int
    members: int = 0
    pending: int = 0  # the beheerders' queue, verified or not
    unverified: int = 0  # of `pending`: not verified, so in the queue without holding a seat
    waitlist: int = 0
    to_geocode: int = 0
    unconfirmed: int = 0
    needs_review: int = 0  # pending or waitlisted sign-ups a beheerder should check
    households: int | None = None  # CBS households in the group's current areas
    warning_at: float = 0.9  # CAPACITY_WARNING

    @property
    def seated_pending(self) -> int:
        """Pending sign-ups that hold a seat (verified)."""
        return self.pending - self.unverified

    @property
    def occupied(self) -> int:
        """Members plus the verified sign-ups about to be added: what counts against the cap."""
        return self.members + self.seated_pending

    @property
    def room(self) -> int:
        return max(self.capacity - self.occupied, 0)

    @property
    def is_full(self) -> bool:
        return self.occupied >= self.capacity

    @property
    def has_room(self) -> bool:
        return not self.is_full

    @property
    def fill(self) -> float:
        """occupied / capacity (1.0 or more exactly when full); what maps colour and tables show."""
        return self.occupied / self.capacity if self.capacity > 0 else 1.0

    @property
    def percent(self) -> int:
        return round(self.fill * 100)

    @property
    def level(self) -> str:
        """'full', 'warn' (at or above CAPACITY_WARNING) or 'ok'."""
        if self.is_full:
            return "full"
        return "warn" if self.fill >= self.warning_at else "ok"

    @property
    def participation(self) -> float | None:
        """Members per household of the group's areas (None when households are unknown)."""
        return self.members / self.households if self.households else None


def holds_seat(resident: Resident) -> bool:
    """Whether this resident's row counts in `occupied`: a member, or a verified pending sign-up."""
    return resident.status == ResidentStatus.ADDED or (resident.status == ResidentStatus.PENDING and resident.verified)


def occupancy(groups: list[Group] | None = None, areas: CurrentAreas | None = None) -> dict[int, Occupancy]:
    """Occupancy per group (all active groups when None), counted in one query."""
    if groups is None:
        groups = list(db.session.scalars(db.select(Group).filter_by(is_active=True)))
    capacities = {g.id: g.capacity for g in groups}
    if not capacities:
        return {}
    r = Resident.__table__
    rows = db.session.execute(
        db.select(
            r.c.group_id,
            r.c.status,
            func.count(),
            func.sum(db.cast(r.c.needs_review, db.Integer)),
            func.count(r.c.email_confirmed_at),
        )
        .where(r.c.group_id.in_(list(capacities)))
        .group_by(r.c.group_id, r.c.status)
    ).all()
    return _from_rows(capacities, rows, (areas or current_areas()).households)


@cache
def _one_group_statement():
    g, r = Group.__table__, Resident.__table__
    return (
        db.select(
            g.c.capacity,
            r.c.status,
            func.count(r.c.id),
            func.sum(db.cast(r.c.needs_review, db.Integer)),
            func.count(r.c.email_confirmed_at),
        )
        .select_from(g.outerjoin(r, r.c.group_id == g.c.id))
        .where(g.c.id == db.bindparam("group_id"))
        .group_by(g.c.capacity, r.c.status)
    )


def occupancy_of(
    group_id: int, areas: CurrentAreas | None = None, *, households: dict[int, int] | None = None
) -> Occupancy:
    """Occupancy of one group by id in one query, without loading the Group (the lookups' hot path).

    `households` instead of the areas cache: for a transaction that holds areas no other process
    has seen yet (a boundary import), which must not fill the cache.
    """
    rows = db.session.execute(_one_group_statement(), {"group_id": group_id}).all()
    if not rows:
        raise LookupError(f"no group {group_id}")
    capacity = rows[0][0]
    rows = [(group_id, *row[1:]) for row in rows if row[1] is not None]
    if households is None:
        households = (areas or current_areas()).households
    return _from_rows({group_id: capacity}, rows, households)[group_id]


def lock_seats(group_ids: int | list[int]) -> None:
    """Hold the seats of these groups until this transaction ends; call before counting them.

    Every decision that gives away a seat (sign-up, confirmation, "toegevoegd", off the waitlist,
    a move into the group) reads the counts and then writes. Two such decisions at once would both
    see the last free seat. Upserting the group's SeatLock row first makes them take turns: the
    second waits for the first to commit and then counts what it wrote. On PostgreSQL that is the
    row lock (READ COMMITTED: the count that follows is a fresh snapshot); on SQLite the write lock,
    which the first write of a transaction takes (busy_timeout makes others wait). Several groups
    are locked in id order, so two movers cannot deadlock.
    """
    t = SeatLock.__table__
    conn = db.session.connection()
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for group_id in sorted({group_ids} if isinstance(group_ids, int) else set(group_ids)):
        conn.execute(
            insert(t)
            .values(group_id=group_id, version=1)
            .on_conflict_do_update(index_elements=[t.c.group_id], set_={"version": t.c.version + 1})
        )


def _from_rows(capacities: dict[int, int], rows, households: dict[int, int]) -> dict[int, Occupancy]:
    counts: dict[int, dict[str, int]] = {group_id: {} for group_id in capacities}
    for group_id, status, n, review, confirmed in rows:
        c = counts[group_id]
        c[status] = n
        if status == ResidentStatus.PENDING.value:
            c["unverified"] = n - (confirmed or 0)  # count(email_confirmed_at): the verified ones
        if status in (ResidentStatus.PENDING.value, ResidentStatus.WAITLIST.value):
            c["needs_review"] = c.get("needs_review", 0) + (review or 0)
    warning_at = current_app.config["CAPACITY_WARNING"]
    return {
        group_id: Occupancy(
            group_id=group_id,
            capacity=capacity,
            members=counts[group_id].get(ResidentStatus.ADDED.value, 0),
            pending=counts[group_id].get(ResidentStatus.PENDING.value, 0),
            unverified=counts[group_id].get("unverified", 0),
            waitlist=counts[group_id].get(ResidentStatus.WAITLIST.value, 0),
            to_geocode=counts[group_id].get(ResidentStatus.TO_GEOCODE.value, 0),
            unconfirmed=counts[group_id].get(ResidentStatus.UNCONFIRMED.value, 0),
            needs_review=counts[group_id].get("needs_review", 0),
            households=households.get(group_id),
            warning_at=warning_at,
        )
        for group_id, capacity in capacities.items()
    }
