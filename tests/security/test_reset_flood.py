"""Issue 12 (the class of finding 5): reset mails to one address cannot be flooded from many clients."""

from __future__ import annotations

import pytest

from buurt.extensions import db
from buurt.models import OutboxMessage, Role


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "MAIL_SERVER": "127.0.0.1"}


def _ask(app, email: str, ip: str) -> int:
    client = app.test_client()
    return client.post("/wachtwoord-vergeten", data={"email": email}, environ_base={"REMOTE_ADDR": ip}).status_code


def test_reset_requests_are_counted_per_address_from_any_client(app, make_user):
    user = make_user(Role.BEHEERDER)
    limit = int(app.config["RATELIMIT_RESET_ACCOUNT"].split()[0])
    answers = [_ask(app, user.email, f"198.51.100.{i}") for i in range(limit + 2)]
    assert answers == [302] * limit + [429, 429]
    assert _ask(app, "iemand-anders@example.org", "198.51.100.99") == 302  # other addresses are not locked
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == limit
