"""Every page state as each role sees it on a desktop (1366x768), on the demo: see tests/ui/page_sweep.py."""

from __future__ import annotations

import pytest

from tests.ui.page_sweep import PAGES, check_page_state

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("state", PAGES, ids=[s.name for s in PAGES])
def test_page_state_passes_the_audit_on_a_desktop(sessions, demo_site, state):
    check_page_state(sessions, demo_site, state, "desktop")
