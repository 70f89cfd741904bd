"""Deleting yourself leaves no trace (issue 13, point 2): a dump of every table and every file holds none of it.

A resident with distinctive values (name, number, e-mail, postcode, house number with addition,
street, home point) who reported an incident with a photo and their name and number in its text,
whom a beheerder viewed and exported, with mail in the outbox, an open "add" to-do and an online
geocoder's cache row for their address, deletes their data through the real flow (ask for a link
by e-mail, open it, tick, delete). Then every row of every table (``db.metadata.sorted_tables``)
and every file under the instance folder is searched for those values in any spelling. The one
copy allowed is the beheerders' "remove from WhatsApp" to-do (name and number, which they need);
once a beheerder marks it done, nothing is left at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from buurt.areas.services import place
from buurt.extensions import db
from buurt.models import (
    Address,
    AuditEntry,
    GroupTask,
    Incident,
    IncidentCategory,
    OutboxMessage,
    ResidentStatus,
    Role,
    TaskKind,
    utcnow,
)
from buurt.outbox import queue_mail
from tests.incidents.conftest import INSIDE
from tests.link_support import open_link, post_link
from tests.ops.photo_support import is_stored, store_test_photo

NAME = "Zwaantje Q. Privacytest"
PHONE = "+31687123945"
EMAIL = "Zwaantje.Privacytest@Example.org"
POSTCODE = "2224QX"
HOUSE = 173
ADDITION = "ZW"
STREET = "Privacytestlaan"
HOME = (52.2127342, 4.4139871)  # inside Rijnsoever-West


def traces(text: str) -> list[str]:
    """Which of the person's values occur in `text`, in any spelling (case, spaces, dashes, +31/06)."""
    low = text.lower()
    found = [word for word in ("zwaantje", "privacytest", EMAIL.lower()) if word in low]
    if re.search(r"2224[\s\-]*qx", low):
        found.append("postcode")
    if re.search(r"(?<!\d)173[\s\-]*zw(?![a-z])", low):
        found.append("house number")
    for run in re.finditer(r"\+?\d[\d\s\-().]*\d", text):
        digits = re.sub(r"\D", "", run.group())
        if "687123945" in digits:  # +31 6 871 239 45, 06-87123945, 0031687123945 ...
            found.append(f"phone ({run.group()!r})")
    for coordinate in (f"{HOME[0]:.5f}", f"{HOME[1]:.5f}", f"{HOME[0]:.4f}", f"{HOME[1]:.4f}"):
        if coordinate in text:
            found.append(f"home point ({coordinate})")
    return found


def test_traces_finds_every_spelling():
    """The search itself: it must see the values however they are written."""
    for spelling in (
        "ZWAANTJE",
        "privacytest",
        "zwaantje.privacytest@example.ORG",
        "2224 qx",
        "2224-QX",
        "173 ZW",
        "173zw",
        "+31 6 87123945",
        "06-87123945",
        "06 871 239 45",
        "0031687123945",
        "(06) 8712-3945",
        "52.21273",
        "4.41399",
    ):
        assert traces(f"x {spelling} y"), spelling
    assert traces("id 1173, 2224 QA, 0687123946, 52.2128") == []


def dump_tables() -> dict[str, str]:
    """Every row of every table, as text, per table."""
    tables = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            tables[table.name] = "\n".join(repr(tuple(row)) for row in conn.execute(select(table)))
    return tables


def dump_files(root: Path) -> dict[str, str]:
    """Every file under `root`, decoded leniently (text and the bytes of photos alike)."""
    return {
        str(path.relative_to(root)): path.read_bytes().decode("latin-1")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def traces_in(dump: dict[str, str]) -> dict[str, list[str]]:
    return {name: found for name, text in dump.items() if (found := traces(text))}


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@pytest.fixture
def person(app, make_resident, make_address, make_user, groups):
    """The resident with everything that can refer to them; returns (resident id, incident id, photo name)."""
    [west] = [g for g in groups if g.slug == "rijnsoever-west"]
    resident = make_resident(
        west,
        status=ResidentStatus.ADDED,
        name=NAME,
        phone_e164=PHONE,
        email=EMAIL,
        email_confirmed_at=utcnow(),
        postcode=POSTCODE,
        house_number=HOUSE,
        house_addition=ADDITION,
        street=STREET,
        lat=HOME[0],
        lon=HOME[1],
        geocoder_source="pdok",
    )
    # the online geocoder's answer for their address, cached
    make_address(
        postcode=POSTCODE, number=HOUSE, addition=ADDITION, street=STREET, lat=HOME[0], lon=HOME[1], source="pdok"
    )
    # an incident they reported, near home, with a photo and their name and number in the text
    name = store_test_photo()
    incident = Incident(
        category=IncidentCategory.VERDACHTE_SITUATIE,
        occurred_at=utcnow(),
        lat=HOME[0],
        lon=HOME[1],
        location_label=f"{STREET} {HOUSE}{ADDITION}",
        group_id=west.id,
        description=f"Gezien door {NAME}, bel 06-87 12 39 45 of mail {EMAIL.lower()}",
        details={"person": {"other": "sprak met Zwaantje"}},
        photo_filename=name,
        photo_mime="image/jpeg",
        reporter_resident_id=resident.id,
    )
    db.session.add(incident)
    # a to-do about them: added to a group after a boundary change, not yet done
    db.session.add(
        GroupTask(
            group_id=west.id,
            kind=TaskKind.ADD_TO_WHATSAPP,
            resident_id=resident.id,
            display_name=NAME,
            phone_e164=PHONE,
        )
    )
    db.session.commit()
    beheerder = make_user(Role.BEHEERDER, groups=[west])
    return resident.id, incident.id, name, beheerder


def test_delete_my_data_leaves_no_trace_in_any_table_or_file(app, client, login, person, deliver_mail):
    resident_id, incident_id, photo_path, beheerder = person

    # a beheerder views and exports them (audit rows)
    login(beheerder)
    group_id = db.session.scalar(select(GroupTask.group_id))
    assert client.get(f"/beheer/groep/{group_id}/bewoner/{resident_id}/verwijderen").status_code == 200
    assert client.get(f"/beheer/groep/{group_id}/leden.csv").status_code == 200
    client.post("/uitloggen")
    audit_targets = db.session.scalars(select(AuditEntry).filter_by(target_type="resident", target_id=resident_id))
    assert audit_targets.all(), "the beheerder's view is in the audit log"

    # the real flow: ask for a link by e-mail, receive it, open it, delete
    client.post("/mijn-gegevens", data={"contact": EMAIL})
    messages = deliver_mail()
    bodies = [message.get_body(("plain",)).get_content() for message in messages]
    [link] = {url for body in bodies for url in re.findall(r"http\S+#\S+", body) if "mijn-gegevens" in url}

    # mail not sent yet: one message linked to them, one queued by address only
    queue_mail(EMAIL, "Onderwerp", f"Beste {NAME}", kind="signup_duplicate", resident_id=resident_id)
    queue_mail(EMAIL.lower(), "Onderwerp", "Hallo", kind="digest")
    db.session.commit()
    assert open_link(client, link).status_code == 200
    before = traces_in(dump_tables())
    assert {"resident", "incident", "address", "group_task"} <= set(before), before
    assert is_stored(photo_path)

    response = post_link(client, link, "/mijn-gegevens/verwijderen", {"confirm": "y"})
    assert response.status_code == 200
    assert "Uw gegevens zijn verwijderd" in response.get_data(as_text=True)

    # the one copy left: the beheerders' open "remove from WhatsApp" to-do, name and number only
    left = traces_in(dump_tables())
    assert set(left) == {"group_task"}, left
    [task] = db.session.scalars(select(GroupTask).where(GroupTask.display_name.is_not(None))).all()
    assert (task.kind, task.resident_id, task.done_at) == (TaskKind.REMOVE_FROM_WHATSAPP, None, None)
    assert traces_in(dump_files(Path(app.instance_path))) == {}
    assert not is_stored(photo_path)

    # what stays is anonymous: the report (category, day, area), audit rows without the id
    incident = db.session.get(Incident, incident_id)
    assert incident is not None
    assert incident.anonymised_at is not None
    assert (incident.description, incident.details, incident.photo_filename, incident.reporter_resident_id) == (
        "",
        None,
        None,
        None,
    )
    assert db.session.scalars(select(AuditEntry).filter_by(target_type="resident", target_id=resident_id)).all() == []
    assert db.session.scalars(select(Address).filter_by(postcode=POSTCODE)).all() == []
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.is_not(None))).all() == []

    # the beheerder removes them in WhatsApp and ticks the to-do: nothing of the person is left
    login(beheerder)
    done = client.post(f"/beheer/groep/{task.group_id}/taak/{task.id}/klaar")
    assert done.status_code in (200, 302)
    assert traces_in(dump_tables()) == {}
    assert traces_in(dump_files(Path(app.instance_path))) == {}


# --- a beheerder deletes an incident; an anonymised one says so ------------------------------------


@pytest.fixture
def noord_photo_incident(app, groups):
    """An incident in Noord with a photo in the store; returns (incident, photo name)."""
    name = store_test_photo()
    lat, lon = INSIDE["rijnsoever-noord"]
    placement = place(lat, lon)
    incident = Incident(
        category=IncidentCategory.FIETSDIEFSTAL,
        occurred_at=utcnow(),
        lat=lat,
        lon=lon,
        area_id=placement.area.id,
        group_id=placement.area.group_id,
        description=f"Gezien door {NAME}",
        photo_filename=name,
        photo_mime="image/jpeg",
    )
    db.session.add(incident)
    db.session.commit()
    return incident, name


def test_a_beheerder_deletes_an_incident_with_its_photo(client, login, make_user, groups, noord_photo_incident):
    incident, photo_path = noord_photo_incident
    incident_id = incident.id
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))  # Noord
    page = client.get(f"/incidenten/{incident_id}").get_data(as_text=True)
    assert f'action="/incidenten/{incident_id}/verwijderen"' in page
    assert "voorgoed verwijderd" in page  # the warning before the button

    response = client.post(f"/incidenten/{incident_id}/verwijderen")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident_id) is None
    assert not is_stored(photo_path)
    entry = db.session.scalars(select(AuditEntry).filter_by(action="incidents.delete")).one()
    assert (entry.target_type, entry.target_id) == ("incident", incident_id)
    assert traces(repr(entry.details)) == []
    assert client.get(f"/incidenten/{incident_id}").status_code == 404


@pytest.mark.parametrize("who", ["wijkagent", "other_beheerder"])
def test_only_who_may_hide_may_delete(client, login, make_user, groups, noord_photo_incident, who):
    incident, photo_path = noord_photo_incident
    user = make_user(Role.WIJKAGENT) if who == "wijkagent" else make_user(Role.BEHEERDER, groups=[groups[0]])
    login(user)
    assert "/verwijderen" not in client.get(f"/incidenten/{incident.id}").get_data(as_text=True)
    assert client.post(f"/incidenten/{incident.id}/verwijderen").status_code == 403
    db.session.expire_all()
    assert db.session.get(Incident, incident.id) is not None
    assert is_stored(photo_path)


def test_delete_needs_the_csrf_token(app, client, login, make_user, groups, noord_photo_incident):
    incident, photo_path = noord_photo_incident
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))
    app.config["WTF_CSRF_ENABLED"] = True
    client.post(f"/incidenten/{incident.id}/verwijderen")
    db.session.expire_all()
    assert db.session.get(Incident, incident.id) is not None
    assert is_stored(photo_path)


def test_an_anonymised_incident_says_so_and_shows_nothing_personal(client, login, make_user, noord_photo_incident):
    from buurt.retention.forget import anonymise_incident

    incident, photo_path = noord_photo_incident
    incident.location_label = STREET
    exact = (incident.lat, incident.lon)
    assert anonymise_incident(incident)
    db.session.commit()
    assert not is_stored(photo_path)
    assert (incident.lat, incident.lon) != exact
    assert incident.photo_filename is None
    login(make_user(Role.WIJKAGENT))
    html = client.get(f"/incidenten/{incident.id}").get_data(as_text=True)
    assert "geanonimiseerd" in html
    assert traces(html) == []
    assert STREET not in html
    assert f"{exact[0]:.5f}" not in html
    assert "door een beheerder" not in html  # the reporter is unknown now, not "a beheerder"
