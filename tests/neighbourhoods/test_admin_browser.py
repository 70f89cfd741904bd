"""A gemeente coordinator adds a neighbourhood on a phone (360x740) in Chromium (issue 18, point 1).

Each state they see — the list, the form, the form sent empty, the new neighbourhood's page — is
held to the page audit (no sideways scrolling, 44 px targets, no axe-core violation). The
neighbourhood is fictional test data.
"""

from __future__ import annotations

import pytest

from buurt.extensions import db
from buurt.models import Neighbourhood, Role
from tests.browser_support.fixtures import _new_page
from tests.conftest import PASSWORD
from tests.ui.audit import audit

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DORP, SANDT = "BU05370301", "BU05370302"


@pytest.fixture
def coordinator_phone(browser, live_server, make_user):
    user = make_user(Role.COORDINATOR)  # no neighbourhood: gemeente-wide
    context, page = _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True, locale="nl-NL")
    page.set_default_timeout(30_000)
    page.goto(live_server.url + "/inloggen")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_url("**/beheer/")
    yield page
    # the form sent empty answers 422 on purpose; Chromium logs that as a failed load
    assert [e for e in page.errors if "status of 422" not in e] == []
    context.close()


def test_gemeente_coordinator_ticks_two_buurten_and_adds_a_neighbourhood_on_a_phone(live_server, coordinator_phone):
    page = coordinator_phone
    page.goto(live_server.url + "/beheer/buurten/")
    assert audit(page) == []
    page.locator("main a.button", has_text="Buurt toevoegen").tap()
    page.wait_for_url("**/beheer/buurten/nieuw")
    assert page.locator('main input[type=checkbox][name="buurten"]').count() == 42
    assert page.locator('main input[type=checkbox][name="buurten"]:disabled').count() == 4  # Rijnsoever's
    assert audit(page) == []

    # sent empty: the form again, with what is missing. Wait for the new page's "load" (its stylesheets),
    # not only for its error summary: audited before its CSS applies, the page has 17 px links
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "Geef de buurt een naam." in summary.inner_text()
    assert audit(page) == []

    page.fill("input[name=name]", "Oud-Katwijk (test)")
    page.locator(f'input[value="{DORP}"]').tap()
    page.locator(f'input[value="{SANDT}"]').tap()
    page.locator('input[name=groups][value="per-buurt"]').tap()
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url("**/beheer/buurten/oud-katwijk-test")  # waits for the page's "load" as well
    page.locator(".flash", has_text="is toegevoegd, met 2 groepen").wait_for()
    assert page.locator("h1").inner_text() == "Oud-Katwijk (test)"
    assert audit(page) == []

    db.session.expire_all()
    hood = db.session.scalar(db.select(Neighbourhood).filter_by(name="Oud-Katwijk (test)"))
    assert sorted(hood.buurtcodes) == [DORP, SANDT]
    assert len(hood.groups) == 2
