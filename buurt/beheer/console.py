"""What the beheerders' console shows: the groups a user manages, their counts, one group's queue.

Every view of personal data writes an audit entry (ids and counts only).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import gettext as _
from sqlalchemy import func

from buurt import audit
from buurt.areas import services as areas
from buurt.areas.occupancy import Occupancy, occupancy, occupancy_of
from buurt.beheer import scope
from buurt.extensions import db
from buurt.models import Group, GroupTask, Neighbourhood, Resident, ResidentStatus, User, utcnow
from buurt.neighbourhoods import all_neighbourhoods
from buurt.urls import external_url

MIN_BEHEERDERS = 2
#: members per page of the console (a phone shows each in ~100 px); the queue always comes first
MEMBERS_PER_PAGE = 25
#: a name search shows at most this many members
SEARCH_LIMIT = 50
#: the promise on the sign-up page: "meestal binnen 7 dagen"
PROMISED_DAYS = 7


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
    """Active groups this user may manage, over every neighbourhood, in display order (neighbourhood, group)."""
    return [g for section in scope.groups_per_neighbourhood(user, managed_only=True) for g in section.groups]


def visible_sections(user) -> list[tuple[Neighbourhood, list[GroupSummary]]]:
    """The console index: per neighbourhood (a heading each; group names repeat across them) the
    summaries of the groups this user manages."""
    sections = scope.groups_per_neighbourhood(user, managed_only=True)
    counted = summaries([g for s in sections for g in s.groups])
    by_group = {s.group.id: s for s in counted}
    return [(s.neighbourhood, [by_group[g.id] for g in s.groups]) for s in sections]


def all_groups() -> list[Group]:
    """Every active group of every neighbourhood, in display order."""
    return [g for hood in all_neighbourhoods() for g in areas.groups_of(hood)]


@dataclass(frozen=True, slots=True)
class Members:
    """Which members the console shows: a page of all of them (by name), or the result of a name search."""

    total: int  # members of the group
    page: int
    pages: int
    query: str = ""  # the name searched for ("" for none); never logged or put in a URL
    found: int = 0  # members whose name matches (a search)

    @property
    def has_prev(self) -> bool:
        return not self.query and self.page > 1

    @property
    def has_next(self) -> bool:
        return not self.query and self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _like_pattern(text: str) -> str:
    """A LIKE pattern for `text` anywhere, with %, _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _members(group: Group, total: int, page: int, query: str) -> tuple[list[Resident], Members]:
    """One page of members by name, or (query) the members whose name contains it, case-insensitive."""
    statement = db.select(Resident).where(Resident.group_id == group.id, Resident.status == ResidentStatus.ADDED)
    order = (func.lower(Resident.name), Resident.id)
    if query:
        statement = statement.where(func.lower(Resident.name).like(_like_pattern(query.lower()), escape="\\"))
        found = db.session.scalar(db.select(func.count()).select_from(statement.subquery())) or 0
        rows = list(db.session.scalars(statement.order_by(*order).limit(SEARCH_LIMIT)))
        return rows, Members(total, 1, 1, query, found)
    pages = max(1, -(-total // MEMBERS_PER_PAGE))
    page = min(max(1, page), pages)
    rows = list(
        db.session.scalars(statement.order_by(*order).limit(MEMBERS_PER_PAGE).offset((page - 1) * MEMBERS_PER_PAGE))
    )
    return rows, Members(total, page, pages)


@dataclass(frozen=True, slots=True)
class Console:
    """Everything on one group's console page."""

    group: Group
    occupancy: Occupancy
    pending: list[Resident]
    border: list[Resident]
    waitlist: list[Resident]
    not_reachable: list[Resident]
    members: list[Resident]  # one page of them, or the ones a name search found
    members_page: Members
    tasks: list[GroupTask]
    beheerders: list[User]
    neighbours: dict[int, Group]

    @property
    def few_beheerders(self) -> bool:
        return sum(1 for u in self.beheerders if u.active) < MIN_BEHEERDERS


def console(group: Group, *, page: int = 1, query: str = "") -> Console:
    """Load the console of one group and write the view to the audit log.

    The queue is oldest first (the sign-up page promises "meestal binnen 7 dagen"); members come a
    page at a time (`page`), or the ones whose name contains `query`.
    """
    query = " ".join((query or "").split())[:60]
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
    shown = [ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.NOT_REACHABLE]
    residents = list(
        db.session.scalars(
            db.select(Resident)
            .where(Resident.group_id == group.id, Resident.status.in_(shown))
            .order_by(Resident.created_at, Resident.id)  # oldest first: who waited longest is helped first
        )
    )
    by_status: dict[ResidentStatus, list[Resident]] = {s: [] for s in ResidentStatus}
    for r in residents:
        by_status[ResidentStatus(r.status)].append(r)
    pending = by_status[ResidentStatus.PENDING]
    border = [r for r in pending + by_status[ResidentStatus.WAITLIST] if r.needs_review or r.is_border]
    waitlist = by_status[ResidentStatus.WAITLIST]  # first come first
    members, members_page = _members(group, counts.members, page, query)
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
        members_page,
        tasks,
        list(group.beheerders),
        neighbours,
    )


def waited_days(resident: Resident) -> int:
    """Whole days since the sign-up (0 on the first day)."""
    return max(0, (utcnow() - resident.created_at).days)


def welcome_text(group: Group) -> str:
    """The Dutch welcome message a beheerder sends a new member, with the group's invite link when set."""
    rules = external_url("main.rules")
    if group.invite_link:
        return _(
            "Hallo, welkom bij de BuurtWhatsApp-groep %(group)s! U doet mee via deze link: %(link)s\n"
            "Lees ook even de groepsregels: %(rules)s\n"
            "Bij nood belt u altijd eerst 112.",
            group=group.name,
            link=group.invite_link,
            rules=rules,
        )
    return _(
        "Hallo, welkom bij de BuurtWhatsApp-groep %(group)s! Ik voeg u binnenkort toe aan de groep.\n"
        "Lees ook even de groepsregels: %(rules)s\n"
        "Bij nood belt u altijd eerst 112.",
        group=group.name,
        rules=rules,
    )


def wa_link(phone_e164: str | None, text: str | None = None) -> str | None:
    """https://wa.me/<digits>?text=<text, percent-encoded> for an E.164 number (no +, no spaces)."""
    digits = "".join(ch for ch in (phone_e164 or "") if ch.isdigit())
    if not digits:
        return None
    return f"https://wa.me/{digits}" + (f"?text={quote(text, safe='')}" if text else "")
