"""With CSRF switched on (as in production) confirming or discarding a proposal needs the token."""

import pytest

from buurt.areas import files, proposals
from buurt.extensions import db
from buurt.models import BoundaryGeneration, Role
from tests.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_confirm_and_discard_need_csrf(app, client, groups, make_user):
    def request(method, url, **kwargs):
        with app.app_context():  # a fresh `g` per request, as in production
            return getattr(client, method)(url, **kwargs)

    coordinator = make_user(Role.COORDINATOR)
    token = csrf_token_from(request("get", "/inloggen").get_data(as_text=True))
    request("post", "/inloggen", data={"email": coordinator.email, "password": PASSWORD, "csrf_token": token})
    proposal_id = proposals.save_proposal(files.current_collection(), user_id=coordinator.id).id
    url = f"/beheer/gebieden/voorstel/{proposal_id}"
    assert request("post", url + "/bevestigen").status_code == 400
    assert request("post", url + "/annuleren").status_code == 400
    db.session.expire_all()
    proposal = db.session.get(BoundaryGeneration, proposal_id)
    assert proposal is not None
    assert proposal.is_proposal
    token = csrf_token_from(request("get", url).get_data(as_text=True))
    assert request("post", url + "/bevestigen", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(BoundaryGeneration, proposal_id).is_current
