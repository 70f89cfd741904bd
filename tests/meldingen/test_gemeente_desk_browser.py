"""The melding page of the gemeente desk in Chromium on a phone: groups per neighbourhood under a
heading each, forwarding and the closing per group, held to the page audit (no sideways scrolling,
44 px targets, axe-core). Fictional test data."""

from __future__ import annotations

import pytest

from buurt.extensions import db
from buurt.models import Group
from tests.browser_support.fixtures import _new_page
from tests.meldingen.test_browser import log_in
from tests.meldingen.test_forwarding_browser import own_findings
from tests.meldingen.test_gemeente_desk import BORDER

pytestmark = pytest.mark.browser


def test_a_melding_across_the_border_on_a_phone(live_server, browser, make_user, coordinator, hoornes, make_melding):
    melding = make_melding(lat=BORDER[0], lon=BORDER[1], radius=100)
    ho = db.session.scalar(db.select(Group).filter_by(name="BuurtAlarm Hoornes-Oost"))
    context, page = _new_page(
        browser, viewport={"width": 360, "height": 740}, locale="nl-NL", is_mobile=True, has_touch=True
    )
    try:
        log_in(page, live_server, coordinator)
        page.goto(f"{live_server.url}/meldingen/{melding.id}")
        groups = page.locator("#groepen-titel + *").locator("xpath=..")
        assert groups.locator("h3.hood-head").all_inner_texts() == ["Hoornes"]
        assert groups.locator("#buurgroepen h4.hood-head").all_inner_texts() == [
            "Rijnsoever",
            "Hoornes",
        ]  # nearest first
        found = {"detail": own_findings(page)}
        # expect_navigation: the answer page's "load", not the old page's (wait_for_load_state could see that)
        with page.expect_navigation():
            page.get_by_role("button", name="Doorgestuurd naar BuurtAlarm Hoornes-Oost (Hoornes)").click()
        assert "Gemarkeerd: doorgestuurd naar BuurtAlarm Hoornes-Oost (Hoornes)." in page.content()
        row = page.locator(f'#doelgroepen li[data-group-id="{ho.id}"]')
        assert "door Coördinator Fictief" in row.inner_text()
        page.locator("#afmelding label.check").first.click()
        with page.expect_navigation():
            page.get_by_role("button", name="Melding afsluiten").click()
        closing = page.locator(f"#afmelding-{ho.id}")
        assert closing.get_attribute("data-neighbourhood") == "hoornes"
        assert "· Hoornes" in closing.locator("h3").inner_text()
        found["closed"] = own_findings(page)
    finally:
        context.close()
    assert {state: f for state, f in found.items() if f} == {}
    blocked_axe = ("connect-src", " csp")  # axe-core inside the map document: the tool, not the page
    assert [e for e in page.errors if not any(b in e for b in blocked_axe)] == []
