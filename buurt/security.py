"""Response headers and cookie flags that hold for every page, by construction (issue 12).

- Cookies are ``Secure`` when the site is served over HTTPS (SITE_URL starts with https://), unless
  SESSION_COOKIE_SECURE / REMEMBER_COOKIE_SECURE say otherwise.
- HTTPS responses carry Strict-Transport-Security (HSTS_MAX_AGE). ``request.is_secure`` is true
  for a request that reached a reverse proxy over HTTPS once the proxy is trusted (ProxyFix);
  a plain-http response never carries it (browsers ignore it there anyway).
- Permissions-Policy switches off the browser features the site never uses (the point picker
  takes a click on the map, never the device's location); Cross-Origin-Opener-Policy keeps other
  sites' windows away from ours.
- ``Cache-Control: no-store`` on everything that is not a known public page, and on every
  response whatsoever to a visitor whose session carries more than a language and a form
  token: a logged-in beheerder, a resident in the middle of a sign-up, a flash message. New
  pages are private until someone adds them to PUBLIC_ENDPOINTS, so forgetting is safe.
  /static stays cacheable: it is the same file for everyone.

The Content-Security-Policy is buurt.csp's; this module never sets it.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

#: GET pages that are the same for every anonymous visitor and hold nothing personal: they keep
#: whatever caching the view chose. Everything else (forms, which hold a CSRF token tied to the
#: visitor's session, lookups of an address, signed personal links, the console) is no-store.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "main.home",
        "main.privacy",
        "main.rules",
        "main.coverage_map",
        "incidents.public",
        "incidents.public_map",
        "incidents.public_json",
        "api.area_collection",
        "residents.streets",
    }
)

#: session keys that say nothing about who the visitor is or what they did
NEUTRAL_SESSION_KEYS = frozenset({"lang", "csrf_token", "_permanent"})

#: features the site does not use, switched off for it and for anything it frames. browsing-topics
#: is the successor of FLoC's interest-cohort (Chromium reports interest-cohort as an unknown
#: feature on every page now).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"

_PERSONAL = "buurt.security.personal_session"


def init_app(app: Flask) -> None:
    """Derive the cookie flags from SITE_URL and add the headers to every response."""
    https = str(app.config.get("SITE_URL") or "").lower().startswith("https://")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(name) is None:
            app.config[name] = https
    app.before_request(_note_personal_session)
    app.after_request(security_headers)


def _has_personal_keys() -> bool:
    return any(key not in NEUTRAL_SESSION_KEYS for key in session)


def _note_personal_session() -> None:
    """Remember what the session held when the request came in (a flash is gone by the end)."""
    if request.endpoint != "static" and current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        g.setdefault(_PERSONAL, _has_personal_keys())


def is_private_response() -> bool:
    """True for a response no browser or proxy may keep: see the module docstring."""
    if request.endpoint == "static":
        return False
    if request.endpoint not in PUBLIC_ENDPOINTS or request.method not in ("GET", "HEAD"):
        return True
    return bool(g.get(_PERSONAL)) or _has_personal_keys()


def security_headers(response):
    """Headers for every response (views may have set stricter ones; setdefault keeps those)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    max_age = current_app.config.get("HSTS_MAX_AGE") or 0
    if request.is_secure and max_age > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(max_age)}")
    # an error answer is never kept either: "/bestaat-niet" is a public endpoint's URL shape
    # (a neighbourhood's home, /<slug>) that turned out to be a 404
    private = response.status_code >= 400 or is_private_response()
    if private and "no-store" not in (headers.get("Cache-Control") or ""):
        headers["Cache-Control"] = "no-store"
    return response
