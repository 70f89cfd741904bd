"""Two beheerders click "toegevoegd" for the same sign-up at the same moment: one effect."""

import threading
import traceback

from buurt.extensions import db
from buurt.models import AuditEntry, Resident, ResidentStatus, Role
from tests.conftest import PASSWORD


def test_two_beheerders_clicking_added_at_once_have_one_effect(app, group_a, make_user, make_resident):
    first = make_user(Role.BEHEERDER, groups=[group_a])
    second = make_user(Role.BEHEERDER, groups=[group_a])
    clients = []
    for user in (first, second):
        client = app.test_client()
        with app.app_context():
            client.post("/inloggen", data={"email": user.email, "password": PASSWORD})
        clients.append(client)
    residents = [make_resident(group_a) for _ in range(5)]
    group_id, resident_ids = group_a.id, [r.id for r in residents]  # plain ids: threads never touch ORM objects
    barrier = threading.Barrier(2)
    messages: list[str] = []
    errors: list[str] = []

    def click(client):
        try:
            for resident_id in resident_ids:
                barrier.wait(timeout=10)
                with app.app_context():
                    response = client.post(
                        f"/beheer/groep/{group_id}/bewoner/{resident_id}/toegevoegd", follow_redirects=True
                    )
                    messages.append(response.get_data(as_text=True))
        except BaseException:
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [], errors[0] if errors else ""
    db.session.expire_all()
    for r in residents:
        assert db.session.get(Resident, r.id).status == ResidentStatus.ADDED
    added = list(db.session.scalars(db.select(AuditEntry).filter_by(action="resident.added")))
    assert sorted(e.target_id for e in added) == sorted(r.id for r in residents)  # once each
    assert sum("al verwerkt" in m for m in messages) == len(residents)
    assert sum("Genoteerd als lid" in m for m in messages) == len(residents)


def test_service_level_race_with_two_sessions(app, group_a, beheerder, make_resident):
    from buurt.beheer import queue

    resident_id, group_id, user_id = make_resident(group_a).id, group_a.id, beheerder.id
    group_cls, user_cls = type(group_a), type(beheerder)
    results = []
    barrier = threading.Barrier(2)

    def run():
        with app.app_context():
            group = db.session.get(group_cls, group_id)
            user = db.session.get(user_cls, user_id)
            barrier.wait(timeout=10)
            results.append(queue.mark_added(group, resident_id, user))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, True]
