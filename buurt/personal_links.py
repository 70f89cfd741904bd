"""Personal links carry their token after '#', never in a path or query string.

A browser never sends the fragment of a URL: it stays out of the access log of the site and of
every proxy in front of it, out of Referer headers, and out of anything that records paths. So a
mailed link is `/aanmelden/bevestigen#<token>`: the page at that path is a small form, and
`static/js/link-token.js` copies the fragment into its hidden `token` field, clears the fragment
from the address bar and submits the form once (opening only shows a page; every change still
asks for its own button). Without JavaScript the resident pastes the code from the mail, which
gives it on its own line. Every action after that carries the token in a POST body; the answer to
a POST is rendered, never redirected to a URL with the token in it.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length

#: Far above any token we sign (about 100 characters); a bound for the form, not a check.
TOKEN_MAX_LENGTH = 1000


def _code_only(value):
    """The code as pasted: whitespace from a mail line dropped; a whole pasted link gives its part after '#'."""
    if not isinstance(value, str):
        return value
    value = "".join(value.split())
    return value.rsplit("#", 1)[-1]


class LinkTokenForm(FlaskForm):
    """The page a personal link opens: the token (from the fragment, or pasted) and `open`."""

    token = StringField(_l("Code uit de e-mail"), filters=[_code_only], validators=[Length(max=TOKEN_MAX_LENGTH)])
    open = HiddenField()  # "1" on the open page: this post opens the page, it is no action
    submit = SubmitField(_l("Openen"))


def posted_token() -> str:
    """The token a POST carries in its body ('' when none); never read from the URL."""
    return LinkTokenForm(meta={"csrf": False}).token.data or ""


def is_opening() -> bool:
    """This POST comes from the link's open page (show the page), not from an action's button."""
    return request.method == "POST" and bool(LinkTokenForm(meta={"csrf": False}).open.data)


def render_open_page(title: str):
    """The page at a personal link's path: a form that posts the token from the fragment to the same path."""
    form = LinkTokenForm(formdata=None, open="1")
    return render_template("link_open.html", form=form, title=title, action=request.path)
