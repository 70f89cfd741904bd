"""With CSRF switched on (as in production) a console action without the token changes nothing."""

import pytest

from buurt.extensions import db
from buurt.models import Resident, ResidentStatus
from tests.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_actions_need_csrf(app, client, beheerder, group_a, make_resident):
    def request(method, url, **kwargs):
        with app.app_context():  # a fresh `g` per request, as in production
            return getattr(client, method)(url, **kwargs)

    token = csrf_token_from(request("get", "/inloggen").get_data(as_text=True))
    request("post", "/inloggen", data={"email": beheerder.email, "password": PASSWORD, "csrf_token": token})
    r = make_resident(group_a)
    request("post", f"/beheer/groep/{group_a.id}/bewoner/{r.id}/toegevoegd")
    db.session.expire_all()
    assert db.session.get(Resident, r.id).status == ResidentStatus.PENDING
    token = csrf_token_from(request("get", f"/beheer/groep/{group_a.id}").get_data(as_text=True))
    request("post", f"/beheer/groep/{group_a.id}/bewoner/{r.id}/toegevoegd", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Resident, r.id).status == ResidentStatus.ADDED
