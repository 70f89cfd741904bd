"""The privacy page says what the site does (AVG art. 13), with its numbers from the config.

Issue 13, point 4: the old page omitted incident reports, removal notes, audit and cache data and
the session cookie, said "we geven ze aan niemand anders" (the WhatsApp group, WhatsApp/Meta,
PDOK, Nominatim and the tile provider all receive data), and named one retention period only.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest

from buurt.config import Defaults
from buurt.main import privacy
from buurt.retention import RULES

#: Every period a distinct number, so the page can only show it if it read this setting.
DISTINCT_DAYS = {
    "RETENTION_DAYS": 41,
    "RETENTION_WAITLIST_DAYS": 342,
    "RETENTION_INCIDENT_DETAIL_DAYS": 173,
    "RETENTION_INCIDENT_DAYS": 719,
    "RETENTION_MELDING_DAYS": 353,
    "RETENTION_AUDIT_DAYS": 701,
    "RETENTION_ADDRESS_CACHE_DAYS": 29,
    "RETENTION_TASK_DONE_DAYS": 31,
    "RETENTION_TASK_OPEN_DAYS": 87,
    "RETENTION_OUTBOX_DAYS": 33,
    "RETENTION_SESSION_DAYS": 27,
}

#: What a deployment starts with (the test config turns online geocoders and mail off).
DEFAULT_RECIPIENTS = {"GEOCODER_CHAIN": Defaults.GEOCODER_CHAIN, "MAIL_SERVER": "smtp.example.org"}


def text_of(page: str) -> str:
    """The words of a page, spacing normalised (what a reader sees)."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rule_items(page: str) -> dict[str, str]:
    """{rule key: its sentence} from the retention lists on the page."""
    found = re.findall(r'<li data-rule="([a-z_]+)">(.*?)</li>', page, re.S)
    return {key: text_of(body) for key, body in found}


def test_every_retention_setting_is_on_the_page(client, app):
    app.config.update(DISTINCT_DAYS)
    page = client.get("/privacy").get_data(as_text=True)
    words = text_of(page)
    for key, days in DISTINCT_DAYS.items():
        assert f"{days} dagen" in words, key


def test_every_rule_of_the_purge_has_a_sentence_with_its_period(client, app):
    """The page and the purge share one table: a new rule without a sentence fails here."""
    app.config.update(DISTINCT_DAYS)
    statement = privacy.statement(app.config)
    told = {r.rule: r for c in statement.categories for r in c.retention}
    page = client.get("/privacy").get_data(as_text=True)
    words = text_of(page)
    for rule in RULES:
        assert rule.key in told, f"retention rule {rule.key!r} is not on the privacy page (buurt/main/privacy.py)"
        shown = told[rule.key]
        assert shown.text in words
        if rule.config_key is not None:
            assert shown.setting == rule.config_key
            assert shown.days == DISTINCT_DAYS[rule.config_key]
            assert f"{shown.days} dagen" in shown.text


def test_a_changed_period_changes_its_sentence(client, app):
    before = rule_items(client.get("/privacy").get_data(as_text=True))
    assert "60 dagen" in before["signups"]
    app.config["RETENTION_DAYS"] = 45
    after = rule_items(client.get("/privacy").get_data(as_text=True))
    assert "45 dagen" in after["signups"]
    assert "60" not in after["signups"]
    assert "45 dagen" in after["removed"]
    assert after["waitlist"] == before["waitlist"]


@pytest.mark.parametrize(
    "needle",
    [
        # controller and contact
        Defaults.CONTROLLER_NAME,
        Defaults.CONTACT_EMAIL,
        # every kind of data
        "Uw aanmelding",
        "Incidentmeldingen",
        "notitie van de beheerder",  # removal notes
        "Meldingen van de meldkamer",
        "Logboek",
        "Opgezochte adressen",  # the geocoder cache
        "sessie-cookie",
        "CSRF",
        "IP-adres",
        "Accounts van medewerkers",
        # legal bases
        "Toestemming (AVG artikel 6 lid 1 a)",
        "Gerechtvaardigd belang (AVG artikel 6 lid 1 f)",
        # recipients
        "Alle leden van uw WhatsApp-groep",
        f"plaats voor {Defaults.DEFAULT_GROUP_CAPACITY} mensen",
        "WhatsApp (Meta)",
        "Wijkagenten",
        "Nooit de ledenlijsten",
        "PDOK (Kadaster)",
        "Nominatim (OpenStreetMap Foundation)",
        f"Kaartachtergrond: {Defaults.TILES_PROVIDER}",
        "Ons mailbedrijf",
        # rights, complaint, automated decisions, where
        "Inzien en downloaden",
        "Verbeteren",
        "Verwijderen en uw toestemming intrekken",
        "Bezwaar maken",
        "Autoriteit Persoonsgegevens",
        "autoriteitpersoonsgegevens.nl",
        "Beslist een computer over u?",
        "in de Europese Unie",
        # the version
        f"Versie {Defaults.PRIVACY_VERSION}",
    ],
)
@pytest.mark.parametrize("app_config", [DEFAULT_RECIPIENTS])
def test_the_page_names_every_category_recipient_and_right(client, needle):
    words = text_of(client.get("/privacy").get_data(as_text=True))
    assert needle in words


@pytest.mark.parametrize("app_config", [DEFAULT_RECIPIENTS])
def test_links_to_mijn_gegevens_and_the_contact_address(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert 'href="/mijn-gegevens"' in page
    assert f'href="mailto:{Defaults.CONTACT_EMAIL}"' in page
    assert "we geven ze aan niemand anders" not in text_of(page).lower()


def recipients_on(client) -> str:
    page = client.get("/privacy").get_data(as_text=True)
    block = re.search(r'<h2 id="ontvangers">.*?</dl>', page, re.S)
    assert block
    return text_of(block.group(0))


def test_recipients_follow_the_config(client, app):
    """Geocoders only when in GEOCODER_CHAIN, mail only with a MAIL_SERVER, the tile provider by name."""
    app.config.update(
        GEOCODER_CHAIN=("register",),
        MAIL_SERVER=None,
        TILES_URL="https://tegels.example.net/{z}/{x}/{y}.png",
        TILES_PROVIDER="Voorbeeld Tegels BV",
        DEFAULT_GROUP_CAPACITY=99,
    )
    words = recipients_on(client)
    assert "PDOK" not in words
    assert "Nominatim" not in words
    assert "mailbedrijf" not in words
    assert "Kaartachtergrond: Voorbeeld Tegels BV" in words
    assert "plaats voor 99 mensen" in words

    app.config.update(GEOCODER_CHAIN=("register", "nominatim"), MAIL_SERVER="smtp.example.org")
    words = recipients_on(client)
    assert "Nominatim (OpenStreetMap Foundation)" in words
    assert "PDOK (Kadaster)" not in words
    assert "Ons mailbedrijf" in words


def test_self_hosted_tiles_go_to_no_one(client, app):
    app.config.update(TILES_URL="/tegels/{z}/{x}/{y}.png", TILES_PROVIDER="Eigen server")
    assert "Kaartachtergrond" not in recipients_on(client)


def test_english_page_renders_with_the_numbers(client, app):
    app.config.update(DISTINCT_DAYS)
    response = client.get("/privacy?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Privacy statement" in page
    words = text_of(page)
    for days in DISTINCT_DAYS.values():
        assert str(days) in words
    assert Defaults.PRIVACY_VERSION in words


def test_the_page_shows_version_and_date(client, app):
    page = client.get("/privacy").get_data(as_text=True)
    recorded = privacy.recorded_versions("privacy")[Defaults.PRIVACY_VERSION]["date"]
    day = "-".join(reversed(recorded.split("-")))
    assert f"Versie {Defaults.PRIVACY_VERSION} · geldt vanaf {day}" in text_of(page)


def test_the_rules_page_shows_its_version(client):
    words = text_of(client.get("/regels").get_data(as_text=True))
    assert f"Versie {Defaults.RULES_VERSION}" in words
    assert "SAAR" in words


def test_the_signup_hint_is_true_and_links_to_the_statement(client, app):
    """The short text on the form said only beheerders and coordinators see the number."""
    app.config["RETENTION_DAYS"] = 41
    page = client.get("/aanmelden").get_data(as_text=True)
    hint = re.search(r'<p class="hint" id="privacy-kort">(.*?)</p>', page, re.S)
    assert hint
    words = text_of(hint.group(1))
    assert "alle groepsleden en WhatsApp uw nummer" in words
    assert "Alleen de beheerders" not in words
    assert "41 dagen" in words
    assert 'href="/privacy"' in hint.group(1)
    assert f"versie {Defaults.PRIVACY_VERSION}" in words
