"""The audit's own checks can fail: each is shown a page made to break its rule, and one that keeps it.

The pages are written here (``page.set_content``), not served by the app: what is tested is the
check, so that a sweep passing means the rule holds, not that the check looked past it.
"""

from __future__ import annotations

from tests.ui.audit import plain_links

# Links in running text, in every way the rule can go. Only the ones named "kaal" break it.
_LINKS = """
<p>Tekst met <a href="/a" style="text-decoration: none; color: #1d4ed8">kaal in tekst</a> erin.</p>
<p>Tekst met <a href="/b">onderstreept</a> erin.</p>
<p>Tekst met <a href="/c" style="text-decoration: none; border-bottom: 1px solid">met rand</a> erin.</p>
<p>Tekst met <u>onderstreept <a href="/d" style="text-decoration: none">eromheen</a></u> erin.</p>
<p><a href="/e" style="text-decoration: none">alleen in zijn blok</a></p>
<div>Tekst naast <a href="/f" style="text-decoration: none; display: block">een blok</a></div>
<div>Tekst naast <a href="/g" style="text-decoration: none; display: inline-block">een knop</a></div>
<p>Tekst met <a href="/h" style="text-decoration: none" hidden>verborgen</a> erin.</p>
<p>Tekst met <b>vet <a href="/i" style="text-decoration: none">kaal in vet</a></b> erin.</p>
<iframe name="kaart" srcdoc='<p>Kaart van <a href="/j" style="text-decoration: none">kaal in frame</a></p>'></iframe>
"""


def test_plain_links_names_each_link_told_from_its_text_by_colour_alone(page):
    page.set_content(_LINKS)
    page.frame(name="kaart").wait_for_selector("a")

    found = [str(finding) for finding in plain_links(page)]

    assert found == [
        '[link] page: a "kaal in tekst" in p',
        '[link] page: a "kaal in vet" in p',
        '[link] frame kaart: a "kaal in frame" in p',
    ]


def test_plain_links_finds_nothing_once_those_links_are_underlined(page):
    page.set_content(_LINKS.replace("text-decoration: none", "text-decoration: underline"))
    page.frame(name="kaart").wait_for_selector("a")

    assert plain_links(page) == []
