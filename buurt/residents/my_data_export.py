"""The right of access (AVG art. 15): everything stored about one resident, for "Mijn gegevens".

Not only their own row: the incidents they reported (through their report link), the WhatsApp
to-dos that carry their name and number, the mails queued to them, and who looked at or exported
their data (the audit log). tests/residents/test_export_complete.py finds every table that refers
to a resident (by foreign key, by audit target, by phone number or e-mail address) and fails when
one of its rows is missing here; SECTIONS says where each table's rows are.

Who looked is given by role, never by name. The beheerders, coordinators and wijkagenten act for
the site (the controller), not as recipients of their own; the Court of Justice (C-579/21, Pankki
S, 2023) held that art. 15 gives the dates and purposes of such consultations, and the identity
of the persons who consulted only when the resident needs it to exercise their rights, which the
site's contact address can then give. A name in a downloaded file would also spread the
volunteer's own personal data further than needed.

Group-wide audit entries name the group, not the residents in it: a console view of a group (which
lists its sign-ups) counts for a resident while they were signed up in that group, a member export
(vCard, CSV: members only) while they were a member. "Their groups" are the current one and every
group their own audit entries name (moves between groups); a boundary import that moved them is
not recorded per resident, so its group counts from the time they signed up: the list may say
more, never less. The same for incident exports: an export whose filter covers one of their
reports counts, whether or not the report was visible then.

Times in the new sections are local ISO 8601 with their offset ("2026-11-30T23:12+01:00").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_

from buurt.extensions import db
from buurt.incidents.labels import PERIODS, category_label
from buurt.models import (
    AuditEntry,
    Group,
    GroupTask,
    Incident,
    IncidentStatus,
    OutboxMessage,
    Resident,
    Role,
    TaskKind,
    User,
)
from buurt.residents import lifecycle
from buurt.times import local_to_utc, to_local

#: Where the rows of each table that refer to a resident are in the export (each with its "id").
SECTIONS = {
    "incident": "incidents_reported",
    "group_task": "whatsapp_tasks",
    "outbox_message": "mails",
    "audit_entry": "access_log",
}

VIEW_ACTIONS = frozenset(
    {"resident.view", "residents.view", "incidents.view", "incidents.photo", "residents.my_data_view"}
)
EXPORT_ACTIONS = frozenset(
    {"export.vcard", "export.csv", "incidents.export", "incidents.export.cli", "residents.my_data_download"}
)
OWN_ACTIONS = frozenset({"residents.signup", "residents.confirm", "incidents.report"})  # done by the resident
GROUP_VIEWS = frozenset({"residents.view"})  # the console lists every sign-up of the group
MEMBER_EXPORTS = frozenset({"export.vcard", "export.csv"})  # members (ADDED) only
INCIDENT_EXPORTS = frozenset({"incidents.export", "incidents.export.cli"})


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="minutes") if value else None


def more_data(resident: Resident) -> dict:
    """The sections beyond the resident's own row (merged into buurt.residents.my_data.export_data)."""
    incidents = list(
        db.session.scalars(
            db.select(Incident)
            .where(Incident.reporter_resident_id == resident.id)
            .order_by(Incident.occurred_at, Incident.id)
        )
    )
    access = access_log(resident, incidents)
    return {
        "consent_privacy_version": resident.consent_privacy_version,
        "consent_rules_version": resident.consent_rules_version,
        "incidents_reported": [_incident(i) for i in incidents],
        "whatsapp_tasks": whatsapp_tasks(resident),
        "mails": mails(resident),
        "access_log": access,
        "access_summary": summarise(access),
    }


# --- incidents ----------------------------------------------------------------------------------------


def _status_label(status: IncidentStatus) -> str:
    return {
        IncidentStatus.VISIBLE: _("zichtbaar voor de beheerders en de wijkagent"),
        IncidentStatus.HIDDEN: _("verborgen door een beheerder"),
        IncidentStatus.MERGED: _("samengevoegd met een andere melding van hetzelfde voorval"),
    }[IncidentStatus(status)]


def _incident(i: Incident) -> dict:
    """One report, with its exact place: it is the resident's own (the public map shows it blurred)."""
    return {
        "id": i.id,
        "category": i.category.value,
        "category_label": category_label(i.category),
        "occurred_at": _iso(i.occurred_at),
        "reported_at": _iso(i.reported_at),
        "location": i.location_label,
        "lat": i.lat,
        "lon": i.lon,
        "area": i.area.name if i.area else None,
        "group": i.group.name if i.group else None,
        "description": i.description,
        "details": i.details,
        "police_called": i.police_called,
        "has_photo": bool(i.photo_filename),
        "status": i.status.value,
        "status_label": _status_label(i.status),
        "anonymised_at": _iso(i.anonymised_at),
    }


# --- WhatsApp to-dos and mails --------------------------------------------------------------------------


def whatsapp_tasks(resident: Resident) -> list[dict]:
    """The beheerders' to-dos linked to the resident, or holding their number (a task is unlinked
    only when its resident was deleted: someone who signed up again with the same number).

    An unlinked task's name is shown only when it is the resident's own: a number can pass to
    another person, and the name on an old task would then be somebody else's.
    """
    tasks = db.session.scalars(
        db.select(GroupTask)
        .where(or_(GroupTask.resident_id == resident.id, GroupTask.phone_e164 == resident.phone_e164))
        .order_by(GroupTask.created_at, GroupTask.id)
    )
    rows = []
    for t in tasks:
        own_name = t.resident_id == resident.id or (t.display_name or "").casefold() == resident.name.casefold()
        rows.append(
            {
                "id": t.id,
                "kind": TaskKind(t.kind).value,
                "kind_label": _("u toevoegen in WhatsApp")
                if t.kind == TaskKind.ADD_TO_WHATSAPP
                else _("u uit de WhatsApp-groep halen"),
                "group": _group_name(t.group_id),
                "reason": t.reason.value if t.reason else None,
                "reason_label": lifecycle.reason_label(t.reason) or None,
                "name": t.display_name if own_name else None,
                "phone": t.phone_e164,
                "created_at": _iso(t.created_at),
                "done_at": _iso(t.done_at),
                "linked_to_you": t.resident_id == resident.id,
            }
        )
    return rows


def _group_name(group_id: int | None) -> str | None:
    group = db.session.get(Group, group_id) if group_id else None
    return group.name if group else None


def _recipients(message: OutboxMessage) -> list[str]:
    try:
        found = json.loads(message.recipients or "[]")
    except ValueError:
        return []
    return [r for r in found if isinstance(r, str)] if isinstance(found, list) else []


def mails(resident: Resident) -> list[dict]:
    """Mails about the resident or to their address (recipients and body are erased once sent).

    The body is left out: an unsent one holds personal links (a confirmation, a Mijn gegevens
    link) that do not belong in a downloaded file; kind and subject say what it is.
    """
    about = OutboxMessage.resident_id == resident.id
    if resident.email:
        about = or_(about, func.lower(OutboxMessage.recipients).contains(resident.email.lower(), autoescape=True))
    email = (resident.email or "").casefold()
    rows = []
    for m in db.session.scalars(db.select(OutboxMessage).where(about).order_by(OutboxMessage.created_at)):
        to_them = [r for r in _recipients(m) if email and r.casefold() == email]
        if m.resident_id != resident.id and not to_them:
            continue  # the address was only part of another one
        rows.append(
            {
                "id": m.id,
                "kind": m.kind,
                "subject": m.subject,
                "to": to_them[0] if to_them else None,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "gave_up_at": _iso(m.gave_up_at),
                "state": "sent" if m.sent_at else "given_up" if m.gave_up_at else "queued",
            }
        )
    return rows


# --- the audit log --------------------------------------------------------------------------------------


def _their_groups(resident: Resident, own: Iterable[AuditEntry]) -> set[int]:
    groups = {resident.group_id} if resident.group_id else set()
    for entry in own:
        for key in ("group", "group_id", "from_group", "to_group"):
            value = (entry.details or {}).get(key)
            if isinstance(value, int):
                groups.add(value)
    return groups


def _in_window(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return start is not None and at >= start and (end is None or at <= end)


def _export_covers(entry: AuditEntry, incident: Incident) -> bool:
    """Whether an incident export's filter (kept in the audit entry) covers this report."""
    if incident.reported_at > entry.at:
        return False
    details = entry.details or {}
    try:
        if entry.action == "incidents.export.cli":
            since = details.get("since")
            return since is None or incident.occurred_at >= local_to_utc(date.fromisoformat(since))
        categories = details.get("categories") or []
        if categories and incident.category.value not in categories:
            return False
        if details.get("group_id") and details["group_id"] != incident.group_id:
            return False
        if details.get("area_id") and details["area_id"] != incident.area_id:
            return False
        period = details.get("period") or "30d"
        since, until = None, entry.at
        if period == "range":
            if details.get("from"):
                since = local_to_utc(date.fromisoformat(details["from"]))
            if details.get("to"):
                until = local_to_utc(date.fromisoformat(details["to"]) + timedelta(days=1))
        elif PERIODS.get(period):
            since = entry.at - PERIODS[period]
    except (TypeError, ValueError):
        return True  # a filter we cannot read: say it may have been in it
    return (since is None or incident.occurred_at >= since) and incident.occurred_at < until


def access_log(resident: Resident, incidents: list[Incident]) -> list[dict]:
    """Every audit entry about the resident, their reports, or a group list or export that held them."""
    own = list(
        db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.target_type == "resident", AuditEntry.target_id == resident.id)
        )
    )
    entries: list[tuple[AuditEntry, str]] = [(e, "you") for e in own]
    incident_ids = [i.id for i in incidents]
    if incident_ids:
        on_reports = db.select(AuditEntry).where(
            AuditEntry.target_type == "incident", AuditEntry.target_id.in_(incident_ids)
        )
        entries += [(e, "report") for e in db.session.scalars(on_reports)]
        first = min(i.reported_at for i in incidents)
        exports = db.select(AuditEntry).where(AuditEntry.action.in_(INCIDENT_EXPORTS), AuditEntry.at >= first)
        entries += [(e, "reports") for e in db.session.scalars(exports) if any(_export_covers(e, i) for i in incidents)]
    groups = _their_groups(resident, own)
    if groups:
        listed = db.select(AuditEntry).where(
            AuditEntry.target_type == "group",
            AuditEntry.target_id.in_(groups),
            AuditEntry.action.in_(GROUP_VIEWS | MEMBER_EXPORTS),
            AuditEntry.at >= resident.created_at,
        )
        for e in db.session.scalars(listed):
            start = resident.added_at if e.action in MEMBER_EXPORTS else resident.created_at
            if _in_window(e.at, start, resident.removed_at):
                entries.append((e, "group"))
    roles = {
        u.id: u.role
        for u in db.session.scalars(db.select(User).where(User.id.in_({e.user_id for e, _ in entries} - {None})))
    }
    entries.sort(key=lambda pair: (pair[0].at, pair[0].id))
    return [_entry(e, about, roles.get(e.user_id)) for e, about in entries]


def _entry(e: AuditEntry, about: str, role: Role | None) -> dict:
    what = "view" if e.action in VIEW_ACTIONS else "export" if e.action in EXPORT_ACTIONS else "change"
    if role is not None:
        by = Role(role).value
    elif e.action.startswith("residents.my_data") or e.action in OWN_ACTIONS:
        by = "you"
    elif e.user_id is None and e.action.startswith(("resident.", "export.")):
        by = "former_staff"  # a staff action whose account was deleted since
    else:
        by = "site"
    return {"id": e.id, "at": _iso(e.at), "action": e.action, "what": what, "about": about, "by": by}


def summarise(access: list[dict]) -> list[dict]:
    """The access log in readable lines: who did what with which of your data, how often, first and last."""
    lines: dict[tuple[str, str, str], dict] = {}
    for row in access:
        key = (row["by"], row["what"], row["about"])
        line = lines.setdefault(key, {"count": 0, "first": row["at"], "last": row["at"]})
        line["count"] += 1
        line["last"] = row["at"]
    return [
        {
            "by": by,
            "by_label": _by_label(by),
            "what": what,
            "what_label": _what_label(what),
            "about_label": _about_label(about),
            **line,
        }
        for (by, what, about), line in sorted(lines.items(), key=lambda item: item[1]["last"], reverse=True)
    ]


def _by_label(by: str) -> str:
    return {
        "beheerder": _("een beheerder"),
        "coordinator": _("een coördinator"),
        "wijkagent": _("een wijkagent"),
        "admin": _("een beheerder van de website"),
        "former_staff": _("een vrijwilliger van wie het account is opgeheven"),
        "you": _("uzelf"),
        "site": _("de website"),
    }[by]


def _what_label(what: str) -> str:
    return {
        "view": _("bekeken"),
        "export": _("geëxporteerd of gedownload"),
        "change": _("vastgelegd of gewijzigd"),
    }[what]


def _about_label(about: str) -> str:
    return {
        "you": _("uw gegevens"),
        "group": _("de ledenlijst van uw groep"),
        "report": _("uw melding"),
        "reports": _("een overzicht van meldingen waar uw melding in kon staan"),
    }[about]
