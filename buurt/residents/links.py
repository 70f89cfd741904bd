"""Residents' personal signed links: confirming a sign-up, and "Mijn gegevens"."""

from __future__ import annotations

import hashlib

from flask import current_app

from buurt.extensions import db
from buurt.models import Resident
from buurt.tokens import InvalidToken, make_token, read_token
from buurt.urls import personal_link

SIGNUP_PURPOSE = "signup"
MY_DATA_PURPOSE = "mydata"
EMAIL_CHANGE_PURPOSE = "emailchange"


def resident_token_data(resident: Resident) -> dict:
    """Ties a link to one record (SQLite may reuse the id of a deleted row)."""
    return {"r": resident.id, "c": int(resident.created_at.timestamp())}


def resident_from_token(purpose: str, token: str, max_age: int) -> Resident:
    """The resident a link is for; raises InvalidToken (expired, forged, or the record is gone)."""
    return _read(purpose, token, max_age)[0]


def _read(purpose: str, token: str, max_age: int) -> tuple[Resident, dict]:
    """The resident a link is for, and the link's data; raises InvalidToken."""
    data = read_token(purpose, token, max_age)
    if not isinstance(data, dict):
        raise InvalidToken()
    resident = db.session.get(Resident, data.get("r"))
    if resident is None or int(resident.created_at.timestamp()) != data.get("c"):
        raise InvalidToken()
    return resident, data


def confirm_link(resident: Resident) -> str:
    """The double opt-in link mailed after a sign-up (the token after '#': buurt.personal_links)."""
    return personal_link("residents.confirm", make_token(SIGNUP_PURPOSE, resident_token_data(resident)))


def my_data_link(resident: Resident) -> str:
    """A signed, expiring link to the resident's own data (for the mail, or shown by a beheerder).

    The token after '#' (buurt.personal_links).
    """
    return personal_link("residents.my_data", make_token(MY_DATA_PURPOSE, resident_token_data(resident)))


def resident_for_my_data(token: str) -> Resident:
    """The resident a "Mijn gegevens" link is for; raises InvalidToken."""
    return resident_from_token(MY_DATA_PURPOSE, token, current_app.config["MY_DATA_TOKEN_MAX_AGE"])


def resident_for_confirmation(token: str) -> Resident:
    """The resident a confirmation link is for; raises InvalidToken (expired or forged)."""
    return resident_from_token(SIGNUP_PURPOSE, token, current_app.config["SIGNUP_TOKEN_MAX_AGE"])


def _address_key(email: str) -> str:
    """Ties an e-mail-change link to the address it was sent to (a later change makes it invalid)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def email_change_link(resident: Resident) -> str:
    """The link mailed to a new address typed in Mijn gegevens (the token after '#')."""
    data = {**resident_token_data(resident), "e": _address_key(resident.email_pending or "")}
    return personal_link("residents.email_change", make_token(EMAIL_CHANGE_PURPOSE, data))


def resident_for_email_change(token: str) -> Resident:
    """The resident whose pending address this link confirms; raises InvalidToken (expired, forged,
    or the address was changed again or already confirmed)."""
    resident, data = _read(EMAIL_CHANGE_PURPOSE, token, current_app.config["SIGNUP_TOKEN_MAX_AGE"])
    if not resident.email_pending or data.get("e") != _address_key(resident.email_pending):
        raise InvalidToken()
    return resident
