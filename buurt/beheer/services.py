"""The beheerders' console: queue actions, member lists, exports, group settings, overview, audit log.

Every state change is one conditional UPDATE (``... WHERE id = ? AND status = ?``) whose rowcount
says whether this click had the effect, so two beheerders clicking at once change a resident once.
Every view or export of personal data writes an audit entry (ids and counts only).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, update

from buurt import audit
from buurt.areas import services as areas
from buurt.extensions import db
from buurt.models import AuditEntry, Group, GroupTask, Resident, ResidentStatus, TaskKind, User, utcnow

log = logging.getLogger(__name__)

MIN_BEHEERDERS = 2


class ActionRefused(Exception):
    """A console action that cannot be done (Dutch message, shown as a flash)."""


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capacity:
    members: int
    pending: int
    waitlist: int
    capacity: int
    warning_at: float

    @property
    def occupied(self) -> int:
        return self.members + self.pending

    @property
    def fraction(self) -> float:
        return self.occupied / self.capacity if self.capacity else 1.0

    @property
    def percent(self) -> int:
        return round(self.members / self.capacity * 100) if self.capacity else 100

    @property
    def is_full(self) -> bool:
        return self.occupied >= self.capacity

    @property
    def is_warning(self) -> bool:
        return not self.is_full and self.fraction >= self.warning_at

    @property
    def room(self) -> int:
        return max(self.capacity - self.occupied, 0)

    @property
    def level(self) -> str:
        return "full" if self.is_full else "warn" if self.is_warning else "ok"


def capacity_of(group: Group, stats=None) -> Capacity:
    stats = stats or areas.group_stats([group])[group.id]
    return Capacity(
        stats.members, stats.pending, stats.waitlist, group.capacity, current_app.config["CAPACITY_WARNING"]
    )


@dataclass(frozen=True, slots=True)
class GroupSummary:
    group: Group
    capacity: Capacity
    beheerders: int
    needs_review: int
    open_tasks: int
    households: int | None

    @property
    def coverage(self) -> float | None:
        return self.capacity.members / self.households if self.households else None

    @property
    def few_beheerders(self) -> bool:
        return self.beheerders < MIN_BEHEERDERS


def summaries(groups: list[Group]) -> list[GroupSummary]:
    """Counts for the console index and the coordinator overview (no personal data)."""
    if not groups:
        return []
    stats = areas.group_stats(groups)
    ids = [g.id for g in groups]
    tasks = dict(
        db.session.execute(
            db.select(GroupTask.group_id, func.count())
            .where(GroupTask.group_id.in_(ids), GroupTask.done_at.is_(None))
            .group_by(GroupTask.group_id)
        ).all()
    )
    households: dict[int, int] = {}
    for info in areas.current_areas().areas:
        if info.households is not None:
            households[info.group_id] = households.get(info.group_id, 0) + info.households
    return [
        GroupSummary(
            g,
            capacity_of(g, stats[g.id]),
            sum(1 for u in g.beheerders if u.active),
            stats[g.id].needs_review,
            tasks.get(g.id, 0),
            households.get(g.id),
        )
        for g in groups
    ]


def visible_groups(user) -> list[Group]:
    """Active groups of the default neighbourhood this user may manage, in display order."""
    from buurt.auth.permissions import managed_groups

    hood = areas.default_neighbourhood()
    return managed_groups(user, areas.groups_of(hood)) if hood else []


def all_groups() -> list[Group]:
    hood = areas.default_neighbourhood()
    return areas.groups_of(hood) if hood else []


@dataclass(frozen=True, slots=True)
class Console:
    """Everything on one group's console page."""

    group: Group
    capacity: Capacity
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
    stats = areas.group_stats([group])[group.id]
    open_tasks = db.session.scalar(
        db.select(func.count(GroupTask.id)).where(GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
    )
    # Audit first and commit, so the objects loaded below are not expired by the commit.
    audit.record(
        "residents.view",
        "group",
        group.id,
        pending=stats.pending,
        members=stats.members,
        waitlist=stats.waitlist,
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
    neighbours = {g.id: g for g in db.session.scalars(db.select(Group).where(Group.id.in_(neighbour_ids)))}
    return Console(
        group,
        capacity_of(group, stats),
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


# --- queue actions -----------------------------------------------------------------------------------


def _resident(group: Group, resident_id: int) -> Resident:
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.group_id != group.id:
        raise ActionRefused(_("Deze aanmelding hoort niet (meer) bij deze groep. Ververs de pagina."))
    return resident


def _transition(group: Group, resident_id: int, from_statuses, **values) -> bool:
    """One conditional UPDATE; True when this call made the change."""
    result = db.session.execute(
        update(Resident)
        .where(Resident.id == resident_id, Resident.group_id == group.id, Resident.status.in_(list(from_statuses)))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_added(group: Group, resident_id: int, user: User) -> bool:
    """Pending -> added (once, however many beheerders click). False when someone else was first."""
    members = areas.group_stats([group])[group.id].members
    if members >= group.capacity:
        raise ActionRefused(
            _("De groep is vol (%(n)d leden). Verhoog de capaciteit of splits de groep eerst.", n=group.capacity)
        )
    done = _transition(
        group,
        resident_id,
        [ResidentStatus.PENDING],
        status=ResidentStatus.ADDED,
        added_at=utcnow(),
        added_by_id=user.id,
        needs_review=False,
    )
    if done:
        audit.record("resident.added", "resident", resident_id, group=group.id)
    db.session.commit()
    return done


def mark_not_reachable(group: Group, resident_id: int, user: User) -> bool:
    done = _transition(group, resident_id, [ResidentStatus.PENDING], status=ResidentStatus.NOT_REACHABLE)
    if done:
        audit.record("resident.not_reachable", "resident", resident_id, group=group.id)
    db.session.commit()
    return done


def requeue(group: Group, resident_id: int, user: User) -> bool:
    """Not reachable -> back in the queue (try again)."""
    done = _transition(group, resident_id, [ResidentStatus.NOT_REACHABLE], status=ResidentStatus.PENDING)
    if done:
        audit.record("resident.requeued", "resident", resident_id, group=group.id)
    db.session.commit()
    return done


REMOVAL_REASONS = {
    "verhuisd": "verhuisd",
    "eigen_verzoek": "op eigen verzoek",
    "regels": "houdt zich niet aan de groepsregels",
    "dubbel": "dubbele aanmelding",
    "anders": "anders",
}


def remove(group: Group, resident_id: int, reason_code: str, note: str, user: User) -> bool:
    """Remove from the group with a reason; a member also gets a 'remove in WhatsApp' task."""
    resident = _resident(group, resident_id)
    was = ResidentStatus(resident.status)
    reason = REMOVAL_REASONS.get(reason_code, "anders") + (f": {note.strip()}" if note and note.strip() else "")
    done = _transition(
        group,
        resident_id,
        [ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED, ResidentStatus.NOT_REACHABLE],
        status=ResidentStatus.REMOVED,
        removed_at=utcnow(),
        removal_reason=reason[:1000],
        needs_review=False,
    )
    if done:
        if was == ResidentStatus.ADDED:
            db.session.add(
                GroupTask(
                    group_id=group.id,
                    kind=TaskKind.REMOVE_FROM_WHATSAPP,
                    resident_id=resident.id,
                    display_name=resident.name,
                    phone_e164=resident.phone_e164,
                    reason=reason[:200],
                    is_demo=resident.is_demo,
                )
            )
        audit.record("resident.removed", "resident", resident_id, group=group.id, reason=reason_code)
    db.session.commit()
    return done


def move_up(group: Group, resident_id: int, user: User) -> bool:
    """Waitlist -> pending, when the group has room."""
    if capacity_of(group).room <= 0:
        raise ActionRefused(_("Er is nog geen plaats in de groep; de aanmelding blijft op de wachtlijst."))
    done = _transition(group, resident_id, [ResidentStatus.WAITLIST], status=ResidentStatus.PENDING)
    if done:
        audit.record("resident.moved_up", "resident", resident_id, group=group.id)
    db.session.commit()
    return done


def approve_border(group: Group, resident_id: int, user: User) -> bool:
    """A border sign-up stays in this group."""
    result = db.session.execute(
        update(Resident)
        .where(Resident.id == resident_id, Resident.group_id == group.id, Resident.needs_review.is_(True))
        .values(needs_review=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        audit.record("resident.border_approved", "resident", resident_id, group=group.id)
    db.session.commit()
    return result.rowcount == 1


def move_to_neighbour(group: Group, resident_id: int, user: User) -> Group:
    """A border sign-up goes to the neighbouring group (waitlist there when it is full)."""
    resident = _resident(group, resident_id)
    if resident.status not in (ResidentStatus.PENDING, ResidentStatus.WAITLIST) or not resident.border_group_id:
        raise ActionRefused(_("Deze aanmelding kan niet naar een buurgroep."))
    target = db.session.get(Group, resident.border_group_id)
    if target is None or not target.is_active:
        raise ActionRefused(_("De buurgroep bestaat niet meer."))
    area_id = None
    for info in areas.current_areas().areas:
        if info.group_id == target.id:
            area_id = info.id
            break
    status = ResidentStatus.WAITLIST if capacity_of(target).is_full else ResidentStatus.PENDING
    result = db.session.execute(
        update(Resident)
        .where(
            Resident.id == resident_id,
            Resident.group_id == group.id,
            Resident.status.in_([ResidentStatus.PENDING, ResidentStatus.WAITLIST]),
        )
        .values(
            group_id=target.id,
            area_id=area_id,
            border_group_id=group.id,
            status=status,
            needs_review=False,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ActionRefused(_("Iemand anders heeft deze aanmelding net verwerkt. Ververs de pagina."))
    audit.record("resident.moved_group", "resident", resident_id, from_group=group.id, to_group=target.id)
    db.session.commit()
    return target


def complete_task(group: Group, task_id: int, user: User) -> bool:
    """Mark a WhatsApp task done and erase the personal data it carried."""
    result = db.session.execute(
        update(GroupTask)
        .where(GroupTask.id == task_id, GroupTask.group_id == group.id, GroupTask.done_at.is_(None))
        .values(done_at=utcnow(), done_by_id=user.id, display_name=None, phone_e164=None, resident_id=None, reason=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        audit.record("task.done", "group_task", task_id, group=group.id)
    db.session.commit()
    return result.rowcount == 1


def my_data_link_for(group: Group, resident_id: int) -> str | None:
    """A "Mijn gegevens" link for the resident, when the residents feature offers one."""
    from buurt.residents import services as residents_services  # optional, written by another feature

    make = getattr(residents_services, "my_data_link", None)
    if make is None:
        return None
    resident = _resident(group, resident_id)
    link = make(resident)
    audit.record("resident.my_data_link", "resident", resident_id, group=group.id)
    db.session.commit()
    return link


def my_data_link_available() -> bool:
    try:
        from buurt.residents import services as residents_services
    except ImportError:
        return False
    return callable(getattr(residents_services, "my_data_link", None))


# --- exports -----------------------------------------------------------------------------------------


def export_members(group: Group) -> list[Resident]:
    return list(
        db.session.scalars(
            db.select(Resident)
            .where(Resident.group_id == group.id, Resident.status == ResidentStatus.ADDED)
            .order_by(Resident.name, Resident.id)
        )
    )


def _vcard_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 3.2), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts)


def vcard_text(residents: list[Resident], group: Group, version: str = "3.0") -> str:
    """vCard 3.0 (RFC 2426) or 4.0 (RFC 6350): name and mobile number, category = the group."""
    lines: list[str] = []
    category = _vcard_escape(group.name)
    for r in residents:
        name = _vcard_escape(r.name)
        lines += ["BEGIN:VCARD", f"VERSION:{version}"]
        if version == "4.0":
            lines += [
                f"FN:{name}",
                f"N:;{name};;;",
                f"TEL;TYPE=cell;VALUE=uri:tel:{r.phone_e164}",
                f"CATEGORIES:{category}",
                f"UID:urn:buurt:resident:{r.id}",
            ]
        else:
            lines += [f"N:;{name};;;", f"FN:{name}", f"TEL;TYPE=CELL:{r.phone_e164}", f"CATEGORIES:{category}"]
        lines.append("END:VCARD")
    return "".join(_fold(line) + "\r\n" for line in lines)


def export_vcard(group: Group, version: str) -> tuple[str, int]:
    residents = export_members(group)
    text = vcard_text(residents, group, version)
    audit.record("export.vcard", "group", group.id, count=len(residents), version=version)
    db.session.commit()
    return text, len(residents)


CSV_COLUMNS = (
    "naam",
    "telefoon",
    "email",
    "straat",
    "huisnummer",
    "toevoeging",
    "postcode",
    "plaats",
    "status",
    "aangemeld",
    "toegevoegd",
)


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection guard: text starting with = + - @ gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def csv_text(residents: list[Resident]) -> str:
    """Semicolon CSV (Dutch spreadsheets), UTF-8 with BOM; phone numbers stay exact E.164."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in residents:
        addition = "".join(filter(None, (r.house_letter, r.house_addition)))
        writer.writerow(
            [
                _csv_safe(r.name),
                r.phone_e164,  # validated E.164 (+ and digits), harmless in a spreadsheet
                _csv_safe(r.email or ""),
                _csv_safe(r.street or ""),
                r.house_number if r.house_number is not None else "",
                _csv_safe(addition),
                r.postcode or "",
                _csv_safe(r.place or ""),
                ResidentStatus(r.status).value,
                _when(r.created_at),
                _when(r.added_at),
            ]
        )
    return out.getvalue()


def export_csv(group: Group) -> tuple[str, int]:
    residents = export_members(group)
    text = csv_text(residents)
    audit.record("export.csv", "group", group.id, count=len(residents))
    db.session.commit()
    return text, len(residents)


# --- settings --------------------------------------------------------------------------------------


def update_settings(
    group: Group, *, name: str, capacity: int, invite_link: str | None, beheerder_ids: list[int] | None
) -> None:
    """Save a group's settings; beheerder_ids None leaves the beheerders as they are."""
    group.name = name.strip()
    group.capacity = capacity
    group.invite_link = (invite_link or "").strip() or None
    changed = {"capacity": capacity}
    if beheerder_ids is not None:
        from buurt.models import Role

        users = list(db.session.scalars(db.select(User).where(User.id.in_(beheerder_ids), User.role == Role.BEHEERDER)))
        group.beheerders = users
        changed["beheerders"] = len(users)
    audit.record("group.settings", "group", group.id, **changed)
    db.session.commit()


# --- audit log ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    users: dict[int, User]
    page: int
    pages: int
    total: int
    actions: list[str]


def audit_page(page: int = 1, action: str | None = None) -> AuditPage:
    size = current_app.config["AUDIT_PAGE_SIZE"]
    query = db.select(AuditEntry)
    count_query = db.select(func.count(AuditEntry.id))
    if action:
        query = query.where(AuditEntry.action == action)
        count_query = count_query.where(AuditEntry.action == action)
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    entries = list(
        db.session.scalars(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * size).limit(size)
        )
    )
    user_ids = {e.user_id for e in entries if e.user_id}
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
    actions = list(db.session.scalars(db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return AuditPage(entries, users, page, pages, total, actions)
