"""vCard (3.0 and 4.0) parsed back by a strict parser, CSV round trip, both in the audit log."""

import csv
import io
import re

import pytest

from buurt.beheer.exports import vcard_text
from buurt.extensions import db
from buurt.models import AuditEntry, ResidentStatus, Role

PROPERTY = re.compile(r"^(?P<name>[A-Za-z0-9-]+)(?P<params>(;[A-Za-z0-9-]+=[^;:]+)*):(?P<value>.*)$")


def unfold(text: str) -> list[str]:
    """RFC 6350 3.2: CRLF line endings; a line starting with a space continues the previous one."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF
    lines = []
    for raw in text[:-2].split("\r\n"):
        assert len(raw.encode("utf-8")) <= 75, f"line not folded: {raw!r}"
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_components(value: str) -> list[str]:
    """Split a structured value on unescaped semicolons."""
    parts, current, escaped = [], "", False
    for ch in value:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ";":
            parts.append(current)
            current = ""
        else:
            current += ch
    assert not escaped, "dangling backslash"
    return [*parts, current]


def parse_vcards(text: str, version: str) -> list[dict[str, list[tuple[str, str]]]]:
    """A strict parser: BEGIN/VERSION first, END last, every line NAME[;PARAM=V]*:VALUE."""
    cards, current = [], None
    for line in unfold(text):
        match = PROPERTY.match(line)
        assert match, f"not a content line: {line!r}"
        name, params, value = match.group("name").upper(), match.group("params"), match.group("value")
        if name == "BEGIN":
            assert value == "VCARD"
            assert current is None
            current = {}
            continue
        assert current is not None, "property outside BEGIN/END"
        if name == "END":
            assert value == "VCARD"
            assert current["VERSION"][0][1] == version
            for required in ("FN", "N", "TEL"):
                assert required in current
            assert len(split_components(current["N"][0][1])) == 5  # family;given;additional;prefix;suffix
            cards.append(current)
            current = None
            continue
        if not current:
            assert name == "VERSION", "VERSION must follow BEGIN"
        current.setdefault(name, []).append((params, value))
    assert current is None
    return cards


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_parses_back(console_client, group_a, make_resident, version):
    tricky = make_resident(group_a, status=ResidentStatus.ADDED, name="Fictief, de; Naam\\Test Ëlçïñ " + "x" * 60)
    plain = make_resident(group_a, status=ResidentStatus.ADDED, name="Fictieve Buur", phone_e164="+31612345678")
    make_resident(group_a, status=ResidentStatus.PENDING, name="Nog Niet Lid")
    query = "?versie=4.0" if version == "4.0" else ""
    response = console_client.get(f"/beheer/groep/{group_a.id}/leden.vcf{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/vcard"
    assert "attachment" in response.headers["Content-Disposition"]
    cards = parse_vcards(response.get_data(as_text=True), version)
    by_name = {unescape(c["FN"][0][1]): c for c in cards}
    assert set(by_name) == {tricky.name, plain.name}
    tel_params, tel = by_name[plain.name]["TEL"][0]
    if version == "4.0":
        assert tel == "tel:+31612345678"
        assert "VALUE=uri" in tel_params
    else:
        assert tel == "+31612345678"
        assert "TYPE=CELL" in tel_params
    assert unescape(by_name[plain.name]["CATEGORIES"][0][1]) == group_a.name
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="export.vcard"))
    assert entry.target_id == group_a.id
    assert entry.details["count"] == 2
    assert entry.details["version"] == version


def test_vcard_folding_never_splits_a_character(group_a):
    class R:
        id, name, phone_e164 = 1, "é" * 80, "+31600000000"

    text = vcard_text([R()], group_a, "4.0")
    text.encode("utf-8").decode("utf-8")
    assert parse_vcards(text, "4.0")[0]["FN"][0][1] == "é" * 80


def test_csv_round_trip(console_client, group_a, make_resident):
    residents = [
        make_resident(
            group_a,
            status=ResidentStatus.ADDED,
            name="=GEVAAR()",
            street="Fictieweg",
            house_number=3,
            house_letter="a",
            postcode="2221ZZ",
            email="fictief@example.org",
        ),
        make_resident(group_a, status=ResidentStatus.ADDED, name='Fictief; "Aanhalings" Teken'),
    ]
    response = console_client.get(f"/beheer/groep/{group_a.id}/leden.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 2
    by_phone = {row["telefoon"]: row for row in rows}
    first = by_phone[residents[0].phone_e164]
    assert first["naam"] == "'=GEVAAR()"  # formula injection neutralised
    assert first["naam"].removeprefix("'") == residents[0].name
    assert (first["straat"], first["huisnummer"], first["toevoeging"], first["postcode"]) == (
        "Fictieweg",
        "3",
        "a",
        "2221ZZ",
    )
    assert first["email"] == "fictief@example.org"
    assert first["status"] == "added"
    assert by_phone[residents[1].phone_e164]["naam"] == residents[1].name
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="export.csv"))
    assert entry.details == {"count": 2}


def test_exports_only_for_own_groups(client, login, make_user, groups, group_a, make_resident):
    make_resident(group_a, status=ResidentStatus.ADDED)
    login(make_user(Role.BEHEERDER, groups=[groups[4]]))
    assert client.get(f"/beheer/groep/{group_a.id}/leden.csv").status_code == 403
    assert client.get(f"/beheer/groep/{group_a.id}/leden.vcf").status_code == 403
    assert db.session.scalar(db.select(AuditEntry).filter(AuditEntry.action.like("export.%"))) is None


def test_audit_log_page_for_coordinators_only(client, login, make_user, console_client, group_a):
    console_client.get(f"/beheer/groep/{group_a.id}/leden.csv")
    console_client.get(f"/beheer/groep/{group_a.id}")
    assert console_client.get("/beheer/audit").status_code == 403
    console_client.post("/uitloggen")
    login(make_user(Role.COORDINATOR))
    html = client.get("/beheer/audit").get_data(as_text=True)
    assert "export.csv" in html
    assert "residents.view" in html
    html = client.get("/beheer/audit?actie=export.csv").get_data(as_text=True)
    assert "export.csv" in html
    assert "<code>residents.view</code>" not in html
