"""A sign-up stores which versions of the privacy statement and group rules were agreed to (issue 13,
point 5), and Mijn gegevens shows them (templates/residents/_consent.html)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template

from buurt.extensions import db
from tests.residents.conftest import form, residents

VERSIONS = {"PRIVACY_VERSION": "2031-05-06", "RULES_VERSION": "r-2031.2"}


@pytest.mark.parametrize("app_config", [VERSIONS])
def test_signup_stores_the_versions_in_force(client, addresses):
    response = client.post("/aanmelden", data=form())
    assert response.status_code == 302
    [resident] = residents()
    assert resident.consent_privacy_version == "2031-05-06"
    assert resident.consent_rules_version == "r-2031.2"
    assert resident.consent_privacy_at is not None
    assert resident.consent_rules_at is not None


def consent_html(app, resident) -> str:
    with app.test_request_context("/mijn-gegevens"):
        return " ".join(render_template("residents/_consent.html", resident=resident).split())


@pytest.mark.parametrize("app_config", [VERSIONS])
def test_mijn_gegevens_partial_shows_versions_and_dates(app, groups, make_resident):
    agreed = datetime(2031, 5, 7, 22, 30, tzinfo=UTC)  # 8 May, 00:30 in Katwijk
    resident = make_resident(
        groups[0],
        consent_privacy_at=agreed,
        consent_rules_at=agreed,
        consent_age_at=agreed,
        consent_privacy_version="2031-05-06",
        consent_rules_version="r-2031.2",
    )
    html = consent_html(app, resident)
    assert "Privacyverklaring, versie 2031-05-06, op 08-05-2031" in html
    assert "Groepsregels, versie r-2031.2, op 08-05-2031" in html
    assert "Minimumleeftijd bevestigd op 08-05-2031" in html
    assert "sindsdien gewijzigd" not in html


@pytest.mark.parametrize("app_config", [VERSIONS])
def test_an_older_version_links_to_the_new_text(app, groups, make_resident):
    resident = make_resident(groups[0], consent_privacy_version="2026-12-02", consent_rules_version=None)
    db.session.commit()
    html = consent_html(app, resident)
    assert "Privacyverklaring, versie 2026-12-02" in html
    assert '<a href="/privacy">sindsdien gewijzigd: lees versie 2031-05-06</a>' in html
    assert "Groepsregels, versie -," in html
    assert '<a href="/regels">sindsdien gewijzigd: lees versie r-2031.2</a>' in html
