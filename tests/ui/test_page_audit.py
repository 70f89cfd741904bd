"""Every page state as each role sees it on a phone (360x740), on the demo: see tests/ui/page_sweep.py."""

from __future__ import annotations

import pytest

from tests.ui.page_sweep import NOT_PAGES, PAGES, check_page_state

pytestmark = pytest.mark.browser


def test_every_page_is_swept(app):
    swept = {endpoint for state in PAGES for endpoint in state.endpoints}
    get_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = sorted(get_endpoints - swept - set(NOT_PAGES))
    assert missing == [], f"pages the audit does not open: {missing}; add them to PAGES or NOT_PAGES"
    assert not swept & set(NOT_PAGES)


@pytest.mark.parametrize("state", PAGES, ids=[s.name for s in PAGES])
def test_page_state_passes_the_audit_on_a_phone(sessions, demo_site, state):
    check_page_state(sessions, demo_site, state, "phone")
