"""Beheerders correct, merge (duplicates suggested within 100 m and 1 hour) and hide; all in the audit log."""

from __future__ import annotations

import pytest

from buurt.extensions import db
from buurt.incidents.reports import possible_duplicates
from buurt.models import AuditEntry, IncidentCategory, IncidentStatus
from buurt.times import to_local
from tests.incidents.conftest import INSIDE, OUTSIDE

NOORD = INSIDE["rijnsoever-noord"]


def audit_actions():
    return [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def noord_beheerder(groups, make_user, login):
    user = make_user("beheerder", groups=[groups[3]])
    login(user)
    return user


def test_duplicates_within_100_m_and_an_hour_are_suggested(app, make_incident):
    base = make_incident(lat=NOORD[0], lon=NOORD[1], hours_ago=3)
    near = make_incident(lat=NOORD[0] + 0.0005, lon=NOORD[1], hours_ago=3.5)  # ~56 m, 30 min
    far = make_incident(lat=NOORD[0] + 0.0012, lon=NOORD[1], hours_ago=3)  # ~133 m
    late = make_incident(lat=NOORD[0], lon=NOORD[1], hours_ago=4.5)  # 90 min
    hidden = make_incident(lat=NOORD[0], lon=NOORD[1], hours_ago=3, status=IncidentStatus.HIDDEN)
    found = [i.id for i, _d in possible_duplicates(base)]
    assert found == [near.id]
    assert far.id not in found
    assert late.id not in found
    assert hidden.id not in found


def test_detail_page_offers_the_duplicate_merge(client, make_incident, noord_beheerder):
    base = make_incident(hours_ago=3)
    near = make_incident(lat=NOORD[0] + 0.0003, lon=NOORD[1], hours_ago=3.2)
    html = client.get(f"/incidenten/{base.id}").get_data(as_text=True)
    assert "Mogelijk dezelfde gebeurtenis" in html
    assert f"Dit incident samenvoegen met #{near.id}" in html


def test_merge_points_to_the_kept_one_and_is_logged(client, make_incident, noord_beheerder):
    keep = make_incident(hours_ago=3)
    dup = make_incident(lat=NOORD[0] + 0.0003, lon=NOORD[1], hours_ago=3.2, police_called=True)
    response = client.post(f"/incidenten/{dup.id}/samenvoegen", data={"keep_id": keep.id})
    assert response.status_code == 302
    db.session.refresh(dup)
    db.session.refresh(keep)
    assert dup.status == IncidentStatus.MERGED
    assert dup.merged_into_id == keep.id
    assert keep.police_called is True
    assert "incidents.merge" in audit_actions()
    # merged ones leave the table and the exports
    html = client.get("/incidenten/?periode=7d").get_data(as_text=True)
    assert f'data-id="{dup.id}"' not in html
    assert f'data-id="{keep.id}"' in html


@pytest.mark.parametrize("keep_id", ["self", "999", "abc"])
def test_bad_merges_are_refused_in_dutch(client, make_incident, noord_beheerder, keep_id):
    incident = make_incident()
    value = str(incident.id) if keep_id == "self" else keep_id
    response = client.post(f"/incidenten/{incident.id}/samenvoegen", data={"keep_id": value})
    assert response.status_code == 200
    db.session.refresh(incident)
    assert incident.status == IncidentStatus.VISIBLE


def test_hide_and_restore(client, make_incident, noord_beheerder):
    incident = make_incident()
    assert client.post(f"/incidenten/{incident.id}/verbergen").status_code == 302
    db.session.refresh(incident)
    assert incident.status == IncidentStatus.HIDDEN
    assert f'data-id="{incident.id}"' not in client.get("/incidenten/?periode=7d").get_data(as_text=True)
    assert client.post(f"/incidenten/{incident.id}/herstellen").status_code == 302
    db.session.refresh(incident)
    assert incident.status == IncidentStatus.VISIBLE
    assert audit_actions()[-2:] == ["incidents.hide", "incidents.restore"]


def test_correct_category_time_description_and_location(client, make_incident, noord_beheerder):
    incident = make_incident()
    new_time = to_local(incident.occurred_at).replace(minute=0)
    oost = INSIDE["rijnsoever-oost"]
    response = client.post(
        f"/incidenten/{incident.id}/corrigeren",
        data={
            "category": "vandalisme",
            "occurred_date": new_time.strftime("%Y-%m-%d"),
            "occurred_time": new_time.strftime("%H:%M"),
            "description": "Gecorrigeerd",
            "lat": str(oost[0]),
            "lon": str(oost[1]),
            "address": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(incident)
    assert incident.category == IncidentCategory.VANDALISME
    assert incident.description == "Gecorrigeerd"
    assert incident.area.key == "rijnsoever-oost"  # re-placed
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="incidents.correct"))
    assert set(entry.details["fields"]) == {"category", "description", "location", "occurred_at"}


def test_correction_into_the_future_is_refused(client, make_incident, noord_beheerder):
    incident = make_incident()
    response = client.post(
        f"/incidenten/{incident.id}/corrigeren",
        data={"category": "brand", "occurred_date": "2099-01-01", "occurred_time": "12:00", "description": ""},
    )
    assert response.status_code == 200
    assert "in de toekomst" in response.get_data(as_text=True)
    db.session.refresh(incident)
    assert incident.category == IncidentCategory.FIETSDIEFSTAL


def test_beheerder_of_another_group_cannot_moderate(client, groups, make_user, login, make_incident):
    incident = make_incident()  # in Noord
    login(make_user("beheerder", groups=[groups[0]]))
    assert client.get(f"/incidenten/{incident.id}").status_code == 200  # may look
    for action, data in (("verbergen", {}), ("samenvoegen", {"keep_id": incident.id}), ("corrigeren", {})):
        assert client.post(f"/incidenten/{incident.id}/{action}", data=data).status_code == 403
    assert "Incident verbergen" not in client.get(f"/incidenten/{incident.id}").get_data(as_text=True)


def test_only_coordinators_moderate_incidents_outside_the_areas(client, make_user, login, make_incident, groups):
    incident = make_incident(lat=OUTSIDE[0], lon=OUTSIDE[1])
    login(make_user("beheerder", groups=[groups[3]]))
    assert client.post(f"/incidenten/{incident.id}/verbergen").status_code == 403
    db.session.refresh(incident)
    assert incident.status == IncidentStatus.VISIBLE
    assert "incidents.hide" not in audit_actions()


def test_wijkagent_reads_but_does_not_moderate(client, make_user, login, make_incident):
    incident = make_incident()
    login(make_user("wijkagent"))
    assert client.get(f"/incidenten/{incident.id}").status_code == 200
    assert client.post(f"/incidenten/{incident.id}/verbergen").status_code == 403


def test_coordinator_moderates_everything(client, make_user, login, make_incident):
    incident = make_incident(lat=OUTSIDE[0], lon=OUTSIDE[1])
    login(make_user("coordinator"))
    assert client.post(f"/incidenten/{incident.id}/verbergen").status_code == 302
    db.session.refresh(incident)
    assert incident.status == IncidentStatus.HIDDEN
    assert audit_actions()[-1] == "incidents.hide"


def test_unknown_incident_is_a_404(client, make_user, login):
    login(make_user("wijkagent"))
    assert client.get("/incidenten/424242").status_code == 404
