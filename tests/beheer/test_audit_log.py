"""The audit log page: newest first, filter by action, the shared pager, a page past the end."""

from datetime import timedelta

import pytest

from buurt.beheer.audit_log import audit_page
from buurt.extensions import db
from buurt.models import AuditEntry, Role, utcnow


@pytest.fixture
def app_config():
    return {"AUDIT_PAGE_SIZE": 2}


@pytest.fixture
def entries(app, make_user):
    coordinator = make_user(Role.COORDINATOR)
    start = utcnow() - timedelta(hours=1)
    rows = [
        AuditEntry(at=start + timedelta(minutes=i), user_id=coordinator.id if i % 2 else None, action=action)
        for i, action in enumerate(["export.csv", "residents.view", "export.csv", "export.vcard", "export.csv"])
    ]
    db.session.add_all(rows)
    db.session.commit()
    return coordinator, rows


def test_pages_are_newest_first_with_their_users(entries):
    coordinator, rows = entries
    first = audit_page(1)
    assert [e.id for e in first.page.items] == [rows[4].id, rows[3].id]
    assert (first.page.total, first.page.pages) == (5, 3)
    assert first.users == {coordinator.id: coordinator}
    assert first.actions == ["export.csv", "export.vcard", "residents.view"]
    assert [e.id for e in audit_page(3).page.items] == [rows[0].id]


def test_filter_by_action_and_a_page_past_the_end_shows_the_last_page(entries):
    _coordinator, rows = entries
    csv = audit_page(9, "export.csv")
    assert (csv.page.page, csv.page.total) == (2, 3)
    assert [e.id for e in csv.page.items] == [rows[0].id]
    assert audit_page(0, "export.csv").page.page == 1
    empty = audit_page(4, "nothing.like.this")
    assert (empty.page.total, empty.page.items) == (0, [])


def test_the_page_uses_the_shared_pager_and_keeps_the_filter(client, login, make_user, entries):
    login(make_user(Role.COORDINATOR))
    html = client.get("/beheer/audit?actie=export.csv").get_data(as_text=True)
    assert 'class="pager"' in html
    assert "/beheer/audit?pagina=2&amp;actie=export.csv" in html
    assert "<code>residents.view</code>" not in html
    html = client.get("/beheer/audit?pagina=2&actie=export.csv").get_data(as_text=True)
    assert 'rel="prev"' in html
    assert 'rel="next"' not in html
