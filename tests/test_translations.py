"""The English catalogue: complete, placeholders intact, and actually used by the site.

The catalogue is compiled here when the .mo is missing or older than the .po, so these tests do
not depend on `make translations` having run first.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "buurt" / "translations"
PO_FILE = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# %(name)s, %(n)d, %(lat).5f, ... and %% in python-format strings; {count} / {0} in brace-format ones.
PERCENT = re.compile(r"%\([A-Za-z_]\w*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%")
BRACES = re.compile(r"\{\w*\}")


def _read_catalog() -> Catalog:
    with PO_FILE.open("rb") as f:
        return read_po(f, locale="en")


def _entries(catalog: Catalog):
    """Every real entry (not the header, not obsolete ones)."""
    return [m for m in catalog if m.id]


def _strings(value) -> list[str]:
    """msgid/msgstr as a list: one item, or one per plural form."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _placeholders(text: str, python_format: bool) -> list[str]:
    found = BRACES.findall(text)
    if python_format:
        found += PERCENT.findall(text)
    return sorted(found)


def _compile_if_stale() -> bool:
    """Write messages.mo from messages.po when it is missing or older; True when it was written."""
    if MO_FILE.exists() and MO_FILE.stat().st_mtime >= PO_FILE.stat().st_mtime:
        return False
    catalog = _read_catalog()
    fd, tmp = tempfile.mkstemp(dir=MO_FILE.parent, suffix=".mo.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.chmod(tmp, 0o644)
        os.replace(tmp, MO_FILE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _read_catalog()


@pytest.fixture
def english(app):
    """The app with an up-to-date compiled English catalogue (and no stale cached one)."""
    if _compile_if_stale():
        from flask_babel import get_domain

        get_domain().cache.clear()
    return app


# --- (a) complete -------------------------------------------------------------------------------


def test_catalogue_is_not_empty(catalog):
    assert len(_entries(catalog)) > 100


def test_every_entry_is_translated(catalog):
    untranslated = [m.id for m in _entries(catalog) if not all(s.strip() for s in _strings(m.string))]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:10]}"


def test_no_fuzzy_entries(catalog):
    fuzzy = [m.id for m in _entries(catalog) if m.fuzzy]
    assert fuzzy == [], f"fuzzy entries (check and clear the flag): {fuzzy[:10]}"


def test_plural_entries_have_every_form(catalog):
    for m in _entries(catalog):
        if m.pluralizable:
            assert len(_strings(m.string)) == catalog.num_plurals, m.id


# --- (b) placeholders ---------------------------------------------------------------------------


def test_placeholders_match(catalog):
    problems = []
    for m in _entries(catalog):
        python_format = m.python_format or "python-format" in m.flags
        wanted = _placeholders(_strings(m.id)[-1], python_format)
        for s in _strings(m.string):
            got = _placeholders(s, python_format)
            if got != wanted:
                problems.append((m.id, wanted, got))
    assert problems == []


def test_leading_and_trailing_newlines_kept(catalog):
    """Mail bodies: a translation must not drop the blank lines around them."""
    for m in _entries(catalog):
        msgid = _strings(m.id)[0]
        for s in _strings(m.string):
            assert s.startswith("\n") == msgid.startswith("\n"), m.id
            assert s.endswith("\n") == msgid.endswith("\n"), m.id


def test_compiled_catalogue_formats_placeholders(catalog):
    """Every python-format translation can be filled in with the msgid's own names."""
    for m in _entries(catalog):
        if not (m.python_format or "python-format" in m.flags):
            continue
        # a plural's names are those of both forms: ngettext always passes num, also for "1 minuut"
        names = [n for form in _strings(m.id) for n in re.findall(r"%\(([A-Za-z_]\w*)\)", form)]
        values = dict.fromkeys(names, 1)
        for s in _strings(m.string):
            s % values  # raises on a broken placeholder


# --- (c) through the site -----------------------------------------------------------------------


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_page_in_english(english):
    html = _page(english.test_client(), "/?lang=en")
    assert '<html lang="en">' in html
    assert "Which group do I belong to?" in html
    assert "How it works: SAAR" in html
    assert "Bij welke groep hoor ik?" not in html


def test_home_page_dutch_by_default(english):
    html = _page(english.test_client(), "/")
    assert '<html lang="nl">' in html
    assert "Bij welke groep hoor ik?" in html
    assert "Which group do I belong to?" not in html


def test_browser_language_does_not_switch(english):
    """Dutch first, whatever the browser asks for: only ?lang=en switches."""
    response = english.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 200
    assert "Bij welke groep hoor ik?" in response.get_data(as_text=True)


def test_language_choice_is_kept_and_can_be_undone(english):
    client = english.test_client()
    _page(client, "/?lang=en")
    assert "Which group do I belong to?" in _page(client, "/")
    assert "Bij welke groep hoor ik?" in _page(client, "/?lang=nl")
    assert "Bij welke groep hoor ik?" in _page(client, "/")


def test_lookup_page_in_english(english):
    html = _page(english.test_client(), "/welke-groep?lang=en")
    assert "Which group do I belong to?" in html
    assert "Find my group" in html
    assert "House number" in html
    assert "Zoek mijn groep" not in html


def test_signup_page_in_english(english):
    html = _page(english.test_client(), "/aanmelden?lang=en")
    assert "Sign up for BuurtWhatsApp Rijnsoever" in html
    assert "Mobile number for WhatsApp" in html
    assert "Read the group rules and SAAR" in html
    assert "Mobiel nummer voor WhatsApp" not in html
