"""Consent has a version (issue 13, point 5), and a changed text cannot keep its old version.

buurt/main/consent_versions.json records, per version of the privacy statement and the group
rules, the date it took effect and a fingerprint of its Dutch text as rendered with the default
settings. A change in the words (a template, buurt/main/privacy.py, _saar.html or a default
setting the page shows) without a new PRIVACY_VERSION / RULES_VERSION fails here.
"""

from __future__ import annotations

import pytest

from buurt.config import Defaults
from buurt.main import privacy

#: The statement as a deployment with the default settings shows it (the test config turns the
#: online geocoders off; the page names them only when they are in GEOCODER_CHAIN).
DEFAULTS = {"GEOCODER_CHAIN": Defaults.GEOCODER_CHAIN, "MAIL_SERVER": Defaults.MAIL_SERVER}

PAGES = {"privacy": ("/privacy", "PRIVACY_VERSION"), "rules": ("/regels", "RULES_VERSION")}


def rendered_fingerprint(client, kind: str) -> str:
    path, _setting = PAGES[kind]
    response = client.get(f"{path}?lang=nl")
    assert response.status_code == 200
    return privacy.fingerprint(response.get_data(as_text=True))


@pytest.mark.parametrize("app_config", [DEFAULTS])
@pytest.mark.parametrize("kind", sorted(PAGES))
def test_the_text_matches_its_recorded_version(client, kind):
    _path, setting = PAGES[kind]
    version = getattr(Defaults, setting)
    now = rendered_fingerprint(client, kind)
    recorded = privacy.recorded_versions(kind).get(version)
    how = (
        f"bump {setting} in buurt/config.py and record it in {privacy.VERSIONS_FILE.name}: "
        f'"{kind}": {{"<new version>": {{"date": "<YYYY-MM-DD>", "sha256": "{now}"}}}}'
    )
    assert recorded is not None, f"{setting} {version!r} is not recorded: {how}"
    assert recorded["sha256"] == now, f"the {kind} text changed but {setting} is still {version!r}: {how}"


@pytest.mark.parametrize("app_config", [DEFAULTS])
def test_a_changed_text_is_noticed(client, app):
    """The guard can fail: another retention period is another text, so another fingerprint."""
    before = rendered_fingerprint(client, "privacy")
    app.config["RETENTION_AUDIT_DAYS"] = Defaults.RETENTION_AUDIT_DAYS + 1
    assert rendered_fingerprint(client, "privacy") != before


def test_markup_and_spacing_do_not_count():
    page = (
        '<main><div class="statement-text"><p>Een  tekst</p>\n<p>met &amp; zo</p></div><!-- /statement-text --></main>'
    )
    other = '<div class="statement-text"><h2 id="x">Een tekst met</h2> &amp; zo</div><!-- /statement-text -->'
    assert privacy.fingerprint(page) == privacy.fingerprint(other)
    assert privacy.fingerprint(page) != privacy.fingerprint(page.replace("zo", "zo!"))


def test_every_recorded_version_has_a_date_and_a_fingerprint():
    for kind in PAGES:
        for version, entry in privacy.recorded_versions(kind).items():
            assert len(version) <= 20, "the Resident columns hold 20 characters"
            assert privacy.version(kind, version).date is not None
            assert len(entry["sha256"]) == 64
