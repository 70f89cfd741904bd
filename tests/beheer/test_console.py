"""The group console: queue, actions (POST+CSRF), waitlist, border sign-ups, tasks, capacity, audit."""

from datetime import timedelta

from buurt.extensions import db
from buurt.models import AuditEntry, GroupTask, RemovalReason, Resident, ResidentStatus, Role, TaskKind, utcnow


def _status(resident_id):
    db.session.expire_all()
    return db.session.get(Resident, resident_id).status


def _audit(action):
    return list(db.session.scalars(db.select(AuditEntry).filter_by(action=action)))


def test_queue_oldest_first_with_how_long_each_waited(console_client, group_a, make_resident):
    """Issue 15: the queue is oldest first (the promise "meestal binnen 7 dagen"); it was newest first."""
    new = make_resident(group_a, name="Nieuwe Aanmelding", phone_e164="+31612345678")
    old = make_resident(group_a, name="Oude Aanmelding", created_at=utcnow() - timedelta(days=9))
    middle = make_resident(group_a, name="Middelste Aanmelding", created_at=utcnow() - timedelta(days=1, hours=1))
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    queue = html[html.index('data-list="pending"') :]
    assert queue.index(old.name) < queue.index(middle.name) < queue.index(new.name)
    assert "wacht 9 dagen" in queue
    assert "wacht 1 dag<" in queue
    assert "wacht sinds vandaag" in queue
    assert 'class="waited late" data-waited="9"' in queue  # past the promised 7 days
    assert 'href="https://wa.me/31612345678?text=' in html
    entries = _audit("residents.view")
    assert entries
    assert entries[-1].target_id == group_a.id
    assert entries[-1].details["pending"] == 3
    assert "Oude Aanmelding" not in str(entries[-1].details)


def test_actions_change_status_once(console_client, group_a, make_resident, beheerder):
    r = make_resident(group_a)
    url = f"/beheer/groep/{group_a.id}/bewoner/{r.id}"
    assert console_client.post(f"{url}/toegevoegd").status_code == 302
    assert _status(r.id) == ResidentStatus.ADDED
    resident = db.session.get(Resident, r.id)
    assert resident.added_by_id == beheerder.id
    assert resident.added_at is not None
    response = console_client.post(f"{url}/toegevoegd", follow_redirects=True)
    assert "al verwerkt" in response.get_data(as_text=True)
    assert len(_audit("resident.added")) == 1


def test_not_reachable_and_requeue(console_client, group_a, make_resident):
    r = make_resident(group_a)
    url = f"/beheer/groep/{group_a.id}/bewoner/{r.id}"
    console_client.post(f"{url}/niet-bereikbaar")
    assert _status(r.id) == ResidentStatus.NOT_REACHABLE
    console_client.post(f"{url}/opnieuw")
    assert _status(r.id) == ResidentStatus.PENDING


def test_remove_needs_a_reason_and_a_member_gets_a_whatsapp_task(console_client, group_a, make_resident):
    r = make_resident(group_a, status=ResidentStatus.ADDED)
    url = f"/beheer/groep/{group_a.id}/bewoner/{r.id}/verwijderen"
    response = console_client.post(url, data={"reason": "onzin"}, follow_redirects=True)
    assert "Kies een reden" in response.get_data(as_text=True)
    assert _status(r.id) == ResidentStatus.ADDED
    console_client.post(url, data={"reason": "verhuisd", "note": "naar elders"})
    resident = db.session.get(Resident, r.id)
    assert resident.status == ResidentStatus.REMOVED
    assert resident.removal_reason == RemovalReason.MOVED  # the code, not Dutch text
    assert resident.removal_note == "naar elders"
    task = db.session.scalar(db.select(GroupTask).filter_by(resident_id=r.id))
    assert task.kind == TaskKind.REMOVE_FROM_WHATSAPP
    assert task.reason == RemovalReason.MOVED
    assert task.phone_e164 == r.phone_e164
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert "verhuisd" in html  # the label of the code


def test_task_done_erases_personal_fields(console_client, group_a):
    task = GroupTask(
        group_id=group_a.id,
        kind=TaskKind.ADD_TO_WHATSAPP,
        display_name="Fictief Iemand",
        phone_e164="+31611111111",
        reason=RemovalReason.NEW_BOUNDARIES,
    )
    db.session.add(task)
    db.session.commit()
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert "Fictief Iemand" in html
    console_client.post(f"/beheer/groep/{group_a.id}/taak/{task.id}/klaar")
    db.session.expire_all()
    task = db.session.get(GroupTask, task.id)
    assert task.done_at is not None
    assert task.display_name is None
    assert task.phone_e164 is None
    assert "Fictief Iemand" not in console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)


def test_waitlist_moves_up_only_when_there_is_room(console_client, group_a, make_resident):
    group_a.capacity = 2
    db.session.commit()
    make_resident(group_a, status=ResidentStatus.ADDED)
    make_resident(group_a, status=ResidentStatus.ADDED)
    waiting = make_resident(group_a, status=ResidentStatus.WAITLIST)
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert "2 / 2 leden" in html
    assert "vol" in html
    assert "1 op de wachtlijst" in html
    response = console_client.post(
        f"/beheer/groep/{group_a.id}/bewoner/{waiting.id}/doorschuiven", follow_redirects=True
    )
    assert "nog geen plaats" in response.get_data(as_text=True)
    assert _status(waiting.id) == ResidentStatus.WAITLIST
    group_a.capacity = 3
    db.session.commit()
    console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{waiting.id}/doorschuiven")
    assert _status(waiting.id) == ResidentStatus.PENDING


def test_added_refused_when_group_is_full(console_client, group_a, make_resident):
    group_a.capacity = 1
    db.session.commit()
    make_resident(group_a, status=ResidentStatus.ADDED)
    r = make_resident(group_a)
    response = console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{r.id}/toegevoegd", follow_redirects=True)
    assert "De groep is vol" in response.get_data(as_text=True)
    assert _status(r.id) == ResidentStatus.PENDING


def test_capacity_warning_from_90_percent(console_client, group_a, make_resident):
    group_a.capacity = 10
    db.session.commit()
    for _ in range(9):
        make_resident(group_a, status=ResidentStatus.ADDED)
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert "bijna vol" in html
    assert "90%" in html


def test_border_sign_up_approve_or_move(console_client, groups, group_a, make_resident):
    neighbour = groups[2]
    stay = make_resident(group_a, is_border=True, needs_review=True, border_group_id=neighbour.id, border_distance_m=8)
    move = make_resident(group_a, is_border=True, needs_review=True, border_group_id=neighbour.id, border_distance_m=3)
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert f"Naar {neighbour.name}" in html
    console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{stay.id}/grens-goedkeuren")
    console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{move.id}/naar-buurgroep")
    db.session.expire_all()
    assert db.session.get(Resident, stay.id).needs_review is False
    moved = db.session.get(Resident, move.id)
    assert moved.group_id == neighbour.id
    assert moved.status == ResidentStatus.PENDING
    assert moved.border_group_id == group_a.id
    assert moved.needs_review is False


def test_beheerder_of_other_group_cannot_act(client, login, make_user, groups, group_a, make_resident):
    r = make_resident(group_a)
    login(make_user(Role.BEHEERDER, groups=[groups[3]]))
    assert client.post(f"/beheer/groep/{group_a.id}/bewoner/{r.id}/toegevoegd").status_code == 403
    assert _status(r.id) == ResidentStatus.PENDING


def test_resident_of_another_group_is_refused(console_client, groups, group_a, make_resident):
    other = make_resident(groups[3])
    response = console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{other.id}/toegevoegd", follow_redirects=True)
    assert response.status_code == 200
    assert _status(other.id) == ResidentStatus.PENDING


def test_index_flags_groups_with_fewer_than_two_beheerders(console_client, group_a, make_user):
    html = console_client.get("/beheer/").get_data(as_text=True)
    assert group_a.name in html
    assert "minder dan 2 beheerders" in html
    make_user(Role.BEHEERDER, groups=[group_a])
    db.session.expire_all()
    assert "minder dan 2 beheerders" not in console_client.get("/beheer/").get_data(as_text=True)


def test_my_data_button_shows_the_residents_own_link(console_client, group_a, make_resident):
    r = make_resident(group_a)
    html = console_client.get(f"/beheer/groep/{group_a.id}").get_data(as_text=True)
    assert 'data-action="mijn-gegevens"' in html
    html = console_client.post(f"/beheer/groep/{group_a.id}/bewoner/{r.id}/mijn-gegevens").get_data(as_text=True)
    assert "http://localhost/mijn-gegevens/bekijken#" in html
    assert _audit("resident.my_data_link")
