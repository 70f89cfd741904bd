"""Failed logins counted per account, beside the per-client limit on the login form.

The per-client limit (RATELIMIT_LOGIN on the view) stops one address; an attacker with many
addresses is stopped by counting failed passwords per e-mail address (RATELIMIT_LOGIN_ACCOUNT),
whoever sends them. Such a lock must not become a way to keep a beheerder out (OWASP's "device
cookie" answer): a browser that logged in to the account before carries a signed cookie and counts
on a counter of its own, so the right password from there still works while strangers are
refused. Without that cookie the lock lasts one window (15 minutes by default), never longer.

Only failures count (a success gives its hit back); the counter is hit *before* the password is
checked, so concurrent guesses cannot slip past the limit. Keys hold a keyed hash of the normalised
address (HMAC with the app's secret), never the address: counters may live in Redis or the database.
Counting works for unknown addresses the same way, so a lock reveals nothing about who has an account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import Response, current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from buurt.auth.services import normalize_email
from buurt.extensions import limiter

DEVICE_COOKIE = "buurt_login_device"
DEVICE_MAX_AGE = 180 * 24 * 3600  # a browser stays known for half a year after its last login
_SALT = "buurt.login-device"

# Used only while the shared store fails: counting per process beats not counting at all.
_fallback = FixedWindowRateLimiter(MemoryStorage())


def account_hash(email: str) -> str:
    """A stable, secret-keyed name for an e-mail address (no address in any counter key or cookie)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, normalize_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _known_device(account: str) -> str | None:
    """The id of this browser when it logged in to this account before (signed cookie), else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != account or not isinstance(data.get("d"), str):
        return None
    return data["d"]


@dataclass
class LoginAttempt:
    """One login POST, counted against its account (or against its known browser) before checking."""

    identifiers: tuple[str, ...]
    allowed: bool
    counted: bool

    @classmethod
    def start(cls, email: str) -> LoginAttempt:
        """Count the attempt; ``allowed`` is False when the account (or this browser) had too many failures."""
        account = account_hash(email)
        device = _known_device(account)
        identifiers = ("login-device", device) if device else ("login-account", account)
        if not _enabled():
            return cls(identifiers, allowed=True, counted=False)
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
        identifiers = (prefix, *identifiers) if prefix else identifiers
        return cls(identifiers, allowed=_strategy_call("hit", identifiers), counted=True)

    def succeeded(self, response: Response, email: str) -> Response:
        """Give the hit back (only failures count) and remember this browser for the account."""
        if self.counted:
            _strategy_call("hit", self.identifiers, cost=-1)
        token = _serializer().dumps({"a": account_hash(email), "d": secrets.token_urlsafe(16)})
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,  # as the session cookie
            path=url_for("auth.login"),  # sent to the login form only
        )
        return response


def _enabled() -> bool:
    return bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))


def _strategy_call(method: str, identifiers: tuple[str, ...], cost: int = 1) -> bool:
    """limits' hit on the app's store; on a store failure the per-process fallback (never unlimited)."""
    item = parse(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])
    try:
        return getattr(limiter.limiter, method)(item, *identifiers, cost=cost)
    except Exception:  # the store's own errors (SQLAlchemy, redis) differ: any failure means "count here"
        current_app.logger.warning("login throttle: rate-limit store failed; counting in this process")
        return getattr(_fallback, method)(item, *identifiers, cost=cost)
