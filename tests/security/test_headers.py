"""Transport and headers (issue 12, finding 7): Secure cookies over HTTPS, HSTS, Permissions-Policy,
Cross-Origin-Opener-Policy, and ``Cache-Control: no-store`` on everything personal, by construction.

Before: no Secure flag, no HSTS, no Permissions-Policy, and meldingen, incident and account pages
(and every page a logged-in user saw) could be kept by the browser's cache. The Content-Security-Policy
is buurt.csp's and tested there.
"""

from __future__ import annotations

import pytest
from flask import Flask

from buurt.models import Role
from buurt.security import PUBLIC_ENDPOINTS
from tests.conftest import PASSWORD, make_test_app

PUBLIC_PAGES = ("/", "/privacy", "/regels", "/incidenten/openbaar", "/kaart/dekking")


def _get(client, path: str, **kwargs):
    """GET, with the response closed (a static file is streamed from an open file)."""
    response = client.get(path, **kwargs)
    response.close()
    return response


def _no_store(response) -> bool:
    return "no-store" in (response.headers.get("Cache-Control") or "")


def _get_urls(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, url) of every GET route that needs no argument."""
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


# --- headers on every response ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/inloggen", "/static/js/point-picker.js", "/bestaat-niet"])
def test_every_response_carries_the_policy_headers(client, path):
    response = _get(client, path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_the_point_picker_does_not_use_geolocation():
    """geolocation=() is only right while no page script asks for the device's position."""
    from buurt import ROOT

    for script in (ROOT / "static" / "js").glob("*.js"):
        assert "geolocation" not in script.read_text(), script.name


def test_hsts_only_on_https_responses(app, client):
    assert "Strict-Transport-Security" not in _get(client, "/").headers
    secure = _get(client, "/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    app.config["HSTS_MAX_AGE"] = 0
    assert "Strict-Transport-Security" not in _get(client, "/", base_url="https://localhost").headers


def test_hsts_behind_a_proxy_that_says_https(app, client):
    """Behind a reverse proxy request.is_secure comes from X-Forwarded-Proto once ProxyFix trusts it;
    here the WSGI scheme stands in for it."""
    response = _get(client, "/health", environ_overrides={"wsgi.url_scheme": "https"})
    assert "Strict-Transport-Security" in response.headers


# --- Secure cookies ------------------------------------------------------------------------------------


def _login_cookie_header(client, user) -> str:
    response = client.post(
        "/inloggen", data={"email": user.email, "password": PASSWORD}, base_url=client.application.config["SITE_URL"]
    )
    assert response.status_code == 302
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


@pytest.mark.parametrize("app_config", [{"SITE_URL": "https://buurt.example.org"}])
def test_cookies_are_secure_when_the_site_is_https(app, client, make_user):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    cookie = _login_cookie_header(client, make_user(Role.COORDINATOR))
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_over_plain_http_are_not_secure(app, client, make_user):
    """A site on http:// (development) keeps cookies without Secure, or no login would work."""
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Secure" not in _login_cookie_header(client, make_user(Role.COORDINATOR))


@pytest.mark.parametrize("app_config", [{"SITE_URL": "http://127.0.0.1:5000", "SESSION_COOKIE_SECURE": True}])
def test_the_secure_flag_can_be_set_explicitly(app, client, make_user):
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


# --- Cache-Control -----------------------------------------------------------------------------------


def test_public_pages_and_static_files_stay_cacheable_for_anonymous_visitors(client):
    for path in (*PUBLIC_PAGES, "/static/js/point-picker.js", "/incidenten/openbaar/kaart"):
        response = _get(client, path)
        assert response.status_code == 200, path
        assert not _no_store(response), path
    assert "max-age=300" in _get(client, "/incidenten/openbaar.json").headers["Cache-Control"]


def test_every_other_page_is_no_store_even_for_anonymous_visitors(app, client):
    """Forms (with a CSRF token tied to the visitor), /health, lookups, error pages: all private."""
    for endpoint, url in _get_urls(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        assert _no_store(_get(client, url)), url
    assert _no_store(_get(client, "/bestaat-niet"))


def test_every_page_is_no_store_for_a_logged_in_user(app, client, login, make_user, groups):
    login(make_user(Role.COORDINATOR))
    urls = [url for _endpoint, url in _get_urls(app)]
    urls += [
        f"/beheer/groep/{groups[0].id}",
        f"/beheer/groep/{groups[0].id}/leden.csv",
        f"/beheer/groep/{groups[0].id}/leden.vcf",
        "/incidenten/export.csv",
        *PUBLIC_PAGES,  # public pages too: they show who is logged in
    ]
    for url in urls:
        response = _get(client, url)
        assert response.status_code < 500, url
        assert _no_store(response), url
    assert not _no_store(_get(client, "/static/js/point-picker.js"))  # the same file for everyone


def test_a_session_with_a_residents_data_makes_public_pages_no_store(client):
    with client.session_transaction() as session:
        session["residents.prefill"] = {"postcode": "2221ZZ", "number": "1"}
    assert _no_store(_get(client, "/"))


def test_a_flash_message_makes_its_page_no_store(client):
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Melding #12 opgeslagen.")]
    assert _no_store(_get(client, "/"))  # the flash is shown (and gone) by the end of this request
    assert not _no_store(_get(client, "/"))


def test_language_choice_alone_keeps_public_pages_cacheable(client):
    _get(client, "/?lang=en")
    assert not _no_store(_get(client, "/"))


def test_a_new_page_is_private_until_it_is_declared_public(tmp_path):
    """By construction: nobody has to remember no-store for a new route."""
    app = make_test_app(tmp_path)

    @app.get("/nieuwe-pagina")
    def new_page():
        return "persoonlijk"

    response = _get(app.test_client(), "/nieuwe-pagina")
    assert response.status_code == 200
    assert _no_store(response)


def test_logging_out_leaves_nothing_cacheable(client, login, make_user):
    login(make_user(Role.COORDINATOR))
    response = client.post("/uitloggen", follow_redirects=True)
    assert "uitgelogd" in response.get_data(as_text=True)
    assert _no_store(response)
