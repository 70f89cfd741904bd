"""Group settings: name, capacity (1..1024), WhatsApp invite link, beheerders (coordinators only)."""

import pytest

from buurt.extensions import db
from buurt.models import AuditEntry, Group, Role


def _post(client, group, **data):
    values = {"name": group.name, "capacity": group.capacity, "invite_link": ""}
    values.update(data)
    return client.post(f"/beheer/groep/{group.id}/instellingen", data=values)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capacity", "0", "1 tot en met 1024"),
        ("capacity", "1025", "1 tot en met 1024"),
        ("capacity", "veel", "heel getal"),
        ("invite_link", "https://example.org/groep", "geen WhatsApp-uitnodigingslink"),
        ("invite_link", "http://chat.whatsapp.com/AbCdEfGhIj12", "geen WhatsApp-uitnodigingslink"),
        ("name", "", "Geef de groep een naam"),
    ],
)
def test_invalid_settings_get_dutch_messages(console_client, group_a, field, value, message):
    response = _post(console_client, group_a, **{field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Group, group_a.id).capacity == 256


def test_beheerder_saves_settings_but_cannot_change_beheerders(console_client, group_a, beheerder, make_user):
    other = make_user(Role.BEHEERDER)
    html = console_client.get(f"/beheer/groep/{group_a.id}/instellingen").get_data(as_text=True)
    assert other.email not in html
    response = _post(
        console_client,
        group_a,
        name="BuurtAlarm Fictief",
        capacity="300",
        invite_link="https://chat.whatsapp.com/AbCdEfGhIj1234567890",
        beheerders=[other.id],
    )
    assert response.status_code == 302
    db.session.expire_all()
    group = db.session.get(Group, group_a.id)
    assert (group.name, group.capacity, group.invite_link) == (
        "BuurtAlarm Fictief",
        300,
        "https://chat.whatsapp.com/AbCdEfGhIj1234567890",
    )
    assert [u.id for u in group.beheerders] == [beheerder.id]
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="group.settings")) is not None


def test_coordinator_picks_beheerders(client, login, make_user, group_a):
    first, second = make_user(Role.BEHEERDER), make_user(Role.BEHEERDER)
    wijkagent = make_user(Role.WIJKAGENT)
    login(make_user(Role.COORDINATOR))
    html = client.get(f"/beheer/groep/{group_a.id}/instellingen").get_data(as_text=True)
    assert first.email in html
    assert wijkagent.email not in html
    assert _post(client, group_a, beheerders=[first.id, second.id]).status_code == 302
    db.session.expire_all()
    assert sorted(u.id for u in db.session.get(Group, group_a.id).beheerders) == sorted([first.id, second.id])
    response = _post(client, group_a, beheerders=[wijkagent.id])
    assert response.status_code == 200  # not a valid choice


def test_other_beheerder_gets_403(client, login, make_user, groups, group_a):
    login(make_user(Role.BEHEERDER, groups=[groups[0]]))
    assert client.get(f"/beheer/groep/{group_a.id}/instellingen").status_code == 403
    assert _post(client, group_a, capacity="5").status_code == 403
