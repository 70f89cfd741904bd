"""Absolute links for mail, WhatsApp texts and exports: always under SITE_URL, also from the CLI."""

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of an endpoint under SITE_URL (never the Host header a request came with)."""
    base = current_app.config["SITE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)
