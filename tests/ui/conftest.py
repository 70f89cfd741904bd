"""The page sweep's module fixtures (tests/ui/page_sweep.py): one demo and live server per module."""

from tests.ui.page_sweep import demo_site, sessions  # noqa: F401 (pytest finds fixtures by name)
