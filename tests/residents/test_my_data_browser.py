"""Mijn gegevens on a phone, in headless Chromium: see everything, then delete it."""

import pytest

from buurt.extensions import db
from buurt.models import GroupTask, Resident, ResidentStatus
from buurt.residents.links import my_data_link

pytestmark = pytest.mark.browser


def test_resident_sees_and_deletes_their_data_on_a_phone(live_server, phone_page, groups, make_resident):
    resident = make_resident(groups[2], status=ResidentStatus.ADDED, name="Fictieve Bewoner")
    resident_id = resident.id
    path = my_data_link(resident).split("localhost", 1)[1]  # the token after '#'
    phone_page.goto(live_server.url + path)
    phone_page.locator("main dl.data").wait_for()  # link-token.js posted the token and opened the page
    main = phone_page.locator("main")
    assert "Fictieve Bewoner" in main.inner_text()
    assert groups[2].name in main.inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.locator("form[action$='/verwijderen'] input[type=checkbox]").check()
    phone_page.locator("form[action$='/verwijderen'] [type=submit]").click()
    phone_page.wait_for_load_state()
    assert "Fictieve Bewoner" not in phone_page.locator("main").inner_text()
    db.session.expire_all()
    assert db.session.get(Resident, resident_id) is None
    task = db.session.scalars(db.select(GroupTask).filter_by(group_id=groups[2].id)).one()
    assert task.display_name == "Fictieve Bewoner"  # the beheerder still needs it to remove them
    assert phone_page.errors == []
