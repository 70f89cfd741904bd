"""Member exports for beheerders: vCard (phone contacts) and CSV (spreadsheets). Each export is audited.

The queue has vCards too: WhatsApp only adds a saved contact to a group, so a beheerder saves the
person waiting (one card) or the whole queue (one file) before adding them.
"""

from __future__ import annotations

import csv
import io

from buurt import audit
from buurt.extensions import db
from buurt.models import Group, Resident, ResidentStatus
from buurt.times import format_local


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


def export_queue_vcard(group: Group) -> tuple[str, int]:
    """vCard 3.0 of everyone in the group's queue (pending), oldest sign-up first, like the console."""
    residents = list(
        db.session.scalars(
            db.select(Resident)
            .where(Resident.group_id == group.id, Resident.status == ResidentStatus.PENDING)
            .order_by(Resident.created_at, Resident.id)
        )
    )
    text = vcard_text(residents, group)
    audit.record("export.vcard", "group", group.id, count=len(residents), version="3.0", scope="queue")
    db.session.commit()
    return text, len(residents)


#: whose single card a beheerder may save: everyone the console lists
CARD_STATUSES = (ResidentStatus.PENDING, ResidentStatus.WAITLIST, ResidentStatus.ADDED, ResidentStatus.NOT_REACHABLE)


def export_resident_vcard(group: Group, resident_id: int) -> str | None:
    """vCard 3.0 of one person of this group's console (None: not in this group's console)."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.group_id != group.id or resident.status not in CARD_STATUSES:
        return None
    text = vcard_text([resident], group)
    audit.record("export.vcard", "resident", resident.id, group=group.id, count=1, version="3.0")
    db.session.commit()
    return text


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
                format_local(r.created_at, "%Y-%m-%d %H:%M"),
                format_local(r.added_at, "%Y-%m-%d %H:%M"),
            ]
        )
    return out.getvalue()


def export_csv(group: Group) -> tuple[str, int]:
    residents = export_members(group)
    text = csv_text(residents)
    audit.record("export.csv", "group", group.id, count=len(residents))
    db.session.commit()
    return text, len(residents)
