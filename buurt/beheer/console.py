"""What the beheerders' console shows: the groups a user manages, their counts, one group's queue.

Every view of personal data writes an audit entry (ids and counts only).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from buurt import audit
from buurt.areas import services as areas
from buurt.areas.occupancy import Occupancy, occupancy, occupancy_of
from buurt.auth.permissions import managed_groups
from buurt.extensions import db
from buurt.models import Group, GroupTask, Resident, ResidentStatus, User

MIN_BEHEERDERS = 2


@dataclass(frozen=True, slots=True)
class GroupSummary:
    group: Group
    occupancy: Occupancy
    beheerders: int
    open_tasks: int

    @property
    def needs_review(self) -> int:
        return self.occupancy.needs_review

    @property
    def households(self) -> int | None:
        return self.occupancy.households

    @property
    def coverage(self) -> float | None:
        return self.occupancy.participation

    @property
    def few_beheerders(self) -> bool:
        return self.beheerders < MIN_BEHEERDERS


def summaries(groups: list[Group]) -> list[GroupSummary]:
    """Counts for the console index and the coordinator overview (no personal data)."""
    if not groups:
        return []
    counts = occupancy(groups)
    ids = [g.id for g in groups]
    tasks = dict(
        db.session.execute(
            db.select(GroupTask.group_id, func.count())
            .where(GroupTask.group_id.in_(ids), GroupTask.done_at.is_(None))
            .group_by(GroupTask.group_id)
        ).all()
    )
    return [GroupSummary(g, counts[g.id], sum(1 for u in g.beheerders if u.active), tasks.get(g.id, 0)) for g in groups]


def visible_groups(user) -> list[Group]:
    """Active groups of the default neighbourhood this user may manage, in display order."""
    hood = areas.default_neighbourhood()
    return managed_groups(user, areas.groups_of(hood)) if hood else []


def all_groups() -> list[Group]:
    hood = areas.default_neighbourhood()
    return areas.groups_of(hood) if hood else []


@dataclass(frozen=True, slots=True)
class Console:
    """Everything on one group's console page."""

    group: Group
    occupancy: Occupancy
    pending: list[Resident]
    border: list[Resident]
    waitlist: list[Resident]
    not_reachable: list[Resident]
    members: list[Resident]
    tasks: list[GroupTask]
    beheerders: list[User]
    neighbours: dict[int, Group]

    @property
    def few_beheerders(self) -> bool:
        return sum(1 for u in self.beheerders if u.active) < MIN_BEHEERDERS


def console(group: Group) -> Console:
    """Load the console of one group and write the view to the audit log."""
    counts = occupancy_of(group.id)
    open_tasks = db.session.scalar(
        db.select(func.count(GroupTask.id)).where(GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
    )
    # Audit first and commit, so the objects loaded below are not expired by the commit.
    audit.record(
        "residents.view",
        "group",
        group.id,
        pending=counts.pending,
        members=counts.members,
        waitlist=counts.waitlist,
        tasks=open_tasks or 0,
    )
    db.session.commit()
    shown = [ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED, ResidentStatus.NOT_REACHABLE]
    residents = list(
        db.session.scalars(
            db.select(Resident)
            .where(Resident.group_id == group.id, Resident.status.in_(shown))
            .order_by(Resident.created_at.desc(), Resident.id.desc())
        )
    )
    by_status: dict[ResidentStatus, list[Resident]] = {s: [] for s in ResidentStatus}
    for r in residents:
        by_status[ResidentStatus(r.status)].append(r)
    pending = by_status[ResidentStatus.PENDING]
    border = [r for r in pending + by_status[ResidentStatus.WAITLIST] if r.needs_review or r.is_border]
    waitlist = sorted(by_status[ResidentStatus.WAITLIST], key=lambda r: (r.created_at, r.id))  # first come first
    members = sorted(by_status[ResidentStatus.ADDED], key=lambda r: (r.name.casefold(), r.id))
    tasks = list(
        db.session.scalars(
            db.select(GroupTask)
            .where(GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
            .order_by(GroupTask.created_at, GroupTask.id)
        )
    )
    neighbour_ids = {r.border_group_id for r in border if r.border_group_id}
    neighbour_ids |= {t.other_group_id for t in tasks if t.other_group_id}
    neighbours = {g.id: g for g in db.session.scalars(db.select(Group).where(Group.id.in_(neighbour_ids)))}
    return Console(
        group,
        counts,
        pending,
        border,
        waitlist,
        by_status[ResidentStatus.NOT_REACHABLE],
        members,
        tasks,
        list(group.beheerders),
        neighbours,
    )


def wa_link(phone_e164: str | None) -> str | None:
    """https://wa.me/<digits> for an E.164 number (no +, no spaces)."""
    digits = "".join(ch for ch in (phone_e164 or "") if ch.isdigit())
    return f"https://wa.me/{digits}" if digits else None
