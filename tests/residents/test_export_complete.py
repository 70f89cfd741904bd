"""Issue 13, finding 6: the Mijn gegevens export holds every row about the resident, in every table.

The tables are found, not listed: every foreign key in the SQLAlchemy metadata that points at
resident.id, the audit entries whose target is the resident, and every row of any table that
holds the resident's number, e-mail address or name as text (a WhatsApp to-do after a deletion,
a mail's recipients). A table added later that refers to residents and is not in the export fails
here (see test_a_new_table_that_refers_to_residents_is_caught).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select

from buurt.extensions import db
from buurt.models import (
    AuditEntry,
    GroupTask,
    Incident,
    IncidentCategory,
    OutboxMessage,
    RemovalReason,
    Resident,
    ResidentStatus,
    Role,
    TaskKind,
    utcnow,
)
from buurt.residents.my_data import export_data
from buurt.residents.my_data_export import SECTIONS
from tests.conftest import PASSWORD
from tests.residents.conftest import INSIDE

NAME = "Fictieve Zorgvuldig-Bewoner"
PHONE = "+31687650001"
EMAIL = "zorgvuldig.bewoner@example.org"
BEHEERDER_NAME = "Vrijwilliger Naamloos-Houden"
DESCRIPTION = f"Fictieve man met rode jas bij de schuur, gezien door {NAME}"  # a report may name its reporter


def referencing_columns(metadata: MetaData) -> list[tuple[Table, Column]]:
    """Every (table, column) with a foreign key to resident.id."""
    resident_id = metadata.tables["resident"].c.id
    return [
        (table, fk.parent) for table in metadata.sorted_tables for fk in table.foreign_keys if fk.column is resident_id
    ]


def unexported_tables(metadata: MetaData) -> set[str]:
    """Tables that refer to residents but have no section in the export."""
    return {table.name for table, _column in referencing_columns(metadata)} - set(SECTIONS)


def exported_ids(data: dict, table: str) -> set[int]:
    return {row["id"] for row in data[SECTIONS[table]]}


def _logged_in(app, user):
    client = app.test_client()
    response = client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def seeded(app, client, make_resident, make_user, group_by_key):
    """A member with a row in every table that can refer to a resident, partly made through the site."""
    west = group_by_key["rijnsoever-west"]
    lat, lon = INSIDE["rijnsoever-west"]
    resident = make_resident(
        west,
        status=ResidentStatus.ADDED,
        name=NAME,
        phone_e164=PHONE,
        email=EMAIL,
        email_confirmed_at=utcnow() - timedelta(days=30),
        lat=lat,
        lon=lon,
        created_at=utcnow() - timedelta(days=30),
        added_at=utcnow() - timedelta(days=29),
        consent_privacy_version="2026-11",
        consent_rules_version="2026-10",
    )
    beheerder = make_user(Role.BEHEERDER, groups=[west], name=BEHEERDER_NAME)
    wijkagent = make_user(Role.WIJKAGENT)
    incident = Incident(
        category=IncidentCategory.VERDACHTE_SITUATIE,
        occurred_at=utcnow() - timedelta(days=2),
        reported_at=utcnow() - timedelta(days=2),
        lat=lat,
        lon=lon,
        location_label="Fictieweg1",
        group_id=west.id,
        description=DESCRIPTION,
        photo_filename="fictief.jpg",
        photo_mime="image/jpeg",
        reporter_resident_id=resident.id,
    )
    other_incident = Incident(  # somebody else's: not in the export
        category=IncidentCategory.BRAND,
        occurred_at=utcnow() - timedelta(days=3),
        lat=lat,
        lon=lon,
        group_id=west.id,
        description="Iemand anders",
    )
    linked = GroupTask(
        group_id=west.id,
        kind=TaskKind.ADD_TO_WHATSAPP,
        resident_id=resident.id,
        display_name=NAME,
        phone_e164=PHONE,
        reason=RemovalReason.NEW_BOUNDARIES,
    )
    unlinked = GroupTask(  # from an earlier sign-up with this number that was deleted
        group_id=west.id,
        kind=TaskKind.REMOVE_FROM_WHATSAPP,
        display_name=NAME,
        phone_e164=PHONE,
        reason=RemovalReason.DATA_DELETED,
    )
    about = OutboxMessage(
        kind="signup_confirm",
        recipients=json.dumps([EMAIL]),
        subject="Bevestig uw aanmelding",
        body="...",
        message_id="<fictief-1@example.org>",
        resident_id=resident.id,
    )
    addressed = OutboxMessage(  # to their address, not linked to their row
        kind="my_data_link",
        recipients=json.dumps([EMAIL.upper()]),
        subject="Uw gegevens",
        body="...",
        message_id="<fictief-2@example.org>",
    )
    db.session.add_all([incident, other_incident, linked, unlinked, about, addressed])
    db.session.commit()

    as_beheerder = _logged_in(app, beheerder)
    assert as_beheerder.get(f"/beheer/groep/{west.id}").status_code == 200  # the console lists them
    assert as_beheerder.get(f"/beheer/groep/{west.id}/leden.csv").status_code == 200
    assert as_beheerder.get(f"/beheer/groep/{west.id}/bewoner/{resident.id}/verwijderen").status_code == 200
    as_wijkagent = _logged_in(app, wijkagent)
    assert as_wijkagent.get(f"/incidenten/{incident.id}").status_code == 200
    assert as_wijkagent.get("/incidenten/export.csv?periode=7d").status_code == 200
    assert as_wijkagent.get("/incidenten/export.csv?periode=7d&categorie=brand").status_code == 200  # not theirs
    db.session.expire_all()
    return db.session.get(Resident, resident.id)


def test_the_export_holds_every_row_of_every_table_that_refers_to_the_resident(seeded):
    data = export_data(seeded)
    assert not unexported_tables(db.metadata), "a table refers to residents but the export has no section for it"
    for table, column in referencing_columns(db.metadata):
        ids = set(db.session.scalars(select(table.c.id).where(column == seeded.id)))
        assert ids, f"the test seeds no {table.name} row: add one to `seeded`"
        assert ids <= exported_ids(data, table.name), f"{table.name} rows missing from the export"


def test_every_audit_entry_about_the_resident_is_in_the_export(seeded):
    data = export_data(seeded)
    about = set(
        db.session.scalars(
            select(AuditEntry.id).where(AuditEntry.target_type == "resident", AuditEntry.target_id == seeded.id)
        )
    )
    assert about, "the test made no audit entry about the resident"
    assert about <= exported_ids(data, "audit_entry")
    actions = {row["action"] for row in data["access_log"]}
    # group-wide entries that held them, and the views and exports of their report
    assert {"residents.view", "export.csv", "resident.view", "incidents.view", "incidents.export"} <= actions
    by_action = {row["action"]: row for row in data["access_log"]}
    assert by_action["export.csv"]["by"] == "beheerder"
    assert by_action["export.csv"]["about"] == "group"
    assert by_action["incidents.export"]["by"] == "wijkagent"
    exports = [row for row in data["access_log"] if row["action"] == "incidents.export"]
    assert len(exports) == 1  # the export of fires only did not hold their report


def test_every_row_holding_their_number_email_or_name_is_in_the_export(seeded):
    """Found by content, in every table: rows that carry the person without a foreign key."""
    data = export_data(seeded)
    needles = (PHONE, EMAIL.casefold(), NAME.casefold())
    found = 0
    for table in db.metadata.sorted_tables:
        if table.name in ("resident", "user") or "id" not in table.c:
            continue
        for row in db.session.execute(select(table)).mappings():
            text = json.dumps(dict(row.items()), default=str, ensure_ascii=False).casefold()
            if any(needle.casefold() in text for needle in needles):
                found += 1
                assert table.name in SECTIONS, f"{table.name} holds the resident's data but is not exported"
                assert row["id"] in exported_ids(data, table.name), f"{table.name} row {row['id']} not exported"
    assert found >= 5  # the incident, two tasks, two mails


def test_the_export_shows_reports_tasks_mails_and_consent_versions(seeded):
    data = export_data(seeded)
    (report,) = data["incidents_reported"]
    assert report["description"] == DESCRIPTION
    assert report["has_photo"] is True
    assert report["status"] == "visible"
    assert report["lat"] == pytest.approx(INSIDE["rijnsoever-west"][0])
    assert "Iemand anders" not in json.dumps(data, ensure_ascii=False)
    assert {t["phone"] for t in data["whatsapp_tasks"]} == {PHONE}
    assert {t["name"] for t in data["whatsapp_tasks"]} == {NAME}
    assert sorted(m["kind"] for m in data["mails"]) == ["my_data_link", "signup_confirm"]
    assert (data["consent_privacy_version"], data["consent_rules_version"]) == ("2026-11", "2026-10")


def test_staff_appear_by_role_never_by_name(seeded):
    data = json.dumps(export_data(seeded), ensure_ascii=False)
    assert BEHEERDER_NAME not in data
    assert "example.org" not in data.replace(EMAIL, "").replace(EMAIL.upper(), "")  # no staff e-mail either


def test_an_old_task_with_their_number_but_another_name_does_not_show_that_name(seeded):
    db.session.add(
        GroupTask(
            group_id=seeded.group_id,
            kind=TaskKind.REMOVE_FROM_WHATSAPP,
            display_name="Vorige Eigenaar Van Het Nummer",
            phone_e164=PHONE,
            reason=RemovalReason.DATA_DELETED,
        )
    )
    db.session.commit()
    data = export_data(seeded)
    assert len(data["whatsapp_tasks"]) == 3
    assert "Vorige Eigenaar" not in json.dumps(data, ensure_ascii=False)


def test_the_page_section_reads_the_export(app, seeded):
    data = export_data(seeded)
    with app.test_request_context("/"):
        html = render_template("residents/_export_more.html", data=data)
    for shown in (DESCRIPTION, "Verdachte situatie", "Bevestig uw aanmelding", "de ledenlijst van uw groep"):
        assert shown in html
    assert "een beheerder" in html
    assert BEHEERDER_NAME not in html


def test_a_new_table_that_refers_to_residents_is_caught(app):
    """The discovery itself: a future table with a foreign key to resident.id and no export section."""
    metadata = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table(
        "future_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("about_id", ForeignKey("resident.id")),
        Column("text", String(200)),
    )
    assert unexported_tables(metadata) == {"future_note"}
    assert unexported_tables(db.metadata) == set()
