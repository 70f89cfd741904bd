"""Open personal links in tests as a browser does: the token is after '#', never sent in a URL.

A browser GETs the link's path (the fragment stays in the browser), static/js/link-token.js puts
the fragment into the page's form and posts it (buurt.personal_links). `open_link` does the same
with the test client; `post_link` posts an action of the opened page with the token in the body.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def path_of(link: str) -> str:
    """The part of a personal link a browser sends: its path (no host, no fragment)."""
    return urlsplit(link).path


def token_of(link: str) -> str:
    """The token of a personal link (its fragment)."""
    fragment = urlsplit(link).fragment
    assert fragment, f"no token after '#' in {link!r}"
    return fragment


def open_link(client, link: str, *, token: str | None = None):
    """GET the link's page, then post its token as link-token.js does; the response to that post."""
    path = path_of(link)
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    data = {"token": token_of(link) if token is None else token, "open": "1"}
    match = CSRF.search(page.get_data(as_text=True))
    if match:
        data["csrf_token"] = match.group(1)
    return client.post(path, data=data)


def submit_link(client, link: str, data: dict | None = None, **kwargs):
    """Post a form of the page the link opened, to the link's own path, with the token in the body."""
    return post_link(client, link, path_of(link), data, **kwargs)


def post_link(client, link: str, path: str, data: dict | None = None, **kwargs):
    """Post to `path` (an action of the page the link opened) with the link's token in the body."""
    return client.post(path, data={**(data or {}), "token": token_of(link)}, **kwargs)
