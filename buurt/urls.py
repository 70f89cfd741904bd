"""Absolute links for mail, WhatsApp texts and exports: always under SITE_URL, also from the CLI."""

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint under SITE_URL (never the Host header a request came with).

    A personal token never goes into a path or query string (buurt.personal_links): use personal_link.
    """
    if "token" in values:
        raise ValueError("a token belongs after '#': use personal_link()")
    base = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def personal_link(endpoint: str, token: str, *, external: bool = True) -> str:
    """A personal link: the page's path, the token after '#' (sent by no browser, so logged by no server)."""
    path = external_url(endpoint) if external else url_for(endpoint)
    return f"{path}#{token}"
