"""Issue 13, points 9 and 11: no personal data in the session cookie, no personal link in a URL.

The session cookie is signed, not encrypted: anyone with the browser (the next person at a shared
computer, a backup of the profile) can read it. It held the postcode and house number of the last
lookup and filled them into the next person's form. Now the answer page posts the address to the form.

A personal link (confirm a sign-up, Mijn gegevens, report an incident, reset a password) carried its
token in the path, so every access log of the site and of any proxy in front of it held a key to
someone's data. Now the token is after '#', which no browser sends; every action after that posts
it in the body. The crawl below records every URL the server is asked for (what an access log
holds), redirects included, through the whole life of a resident and a password reset.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

from buurt.extensions import db
from buurt.incidents.reports import report_link
from buurt.models import Incident, Resident, Role
from buurt.residents.links import confirm_link, my_data_link
from tests.incidents.conftest import report_data
from tests.link_support import open_link, path_of, post_link, submit_link, token_of
from tests.residents.conftest import INSIDE, form, residents

NAME = "Fictief Privacypersoon"
PHONE = "06 13572468"
EMAIL = "fictief.privacy@example.org"
POSTCODE = "2221 XA"  # 2221XA 1 lies in Rijnsoever-West (tests/residents/conftest.addresses)


@pytest.fixture
def app_config(mail_app_config):
    return mail_app_config


@pytest.fixture
def addresses(make_address):
    """2221XA 1 in the register, in Rijnsoever-West."""
    lat, lon = INSIDE["rijnsoever-west"]
    return make_address(postcode="2221XA", number=1, lat=lat, lon=lon, street="Fictieweg1")


@pytest.fixture
def seen_urls(app):
    """Every path + query string the app is asked for while the test runs (an access log, in short)."""
    seen: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        seen.append(environ.get("PATH_INFO", "") + ("?" + query if query else ""))
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield seen
    app.wsgi_app = inner


def session_of(app, client) -> dict:
    """The session cookie as anyone holding the browser can read it (signed, not encrypted)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def assert_nothing_personal(session: dict, *values: str) -> None:
    text = json.dumps(session, default=str).lower()
    for key in ("postcode", "house_number", "addition", "name", "phone", "email"):
        assert f'"{key}"' not in text, (key, session)
    for value in values:
        for spelling in {value.lower(), value.replace(" ", "").lower()}:
            assert spelling not in text, (value, session)


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else ""


# --- point 9: the session cookie -----------------------------------------------------------------------------


def test_lookup_signup_and_receipt_keep_no_personal_data_in_the_session_cookie(app, client, addresses):
    personal = (NAME, PHONE, "13572468", EMAIL, POSTCODE, "Fictieweg1")

    answer = client.post("/welke-groep", data={"postcode": POSTCODE, "house_number": "1"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'name="prefill"' in html  # the answer's "Aanmelden" posts the address to the form
    assert_nothing_personal(session_of(app, client), *personal)

    # the next person at this computer opens the sign-up form: empty
    assert field_value(client.get("/aanmelden").get_data(as_text=True), "postcode") == ""

    # the resident taps "Aanmelden": the form comes filled in from the post, nothing stored
    fields = {"postcode": field_value(html, "postcode"), "house_number": "1", "addition": "", "prefill": "1"}
    filled = client.post("/aanmelden", data=fields)
    assert filled.status_code == 200
    page = filled.get_data(as_text=True)
    assert field_value(page, "postcode").replace(" ", "").upper() == "2221XA"
    assert field_value(page, "house_number") == "1"
    assert 'class="error"' not in page  # not checked as a sign-up
    assert residents() == []
    assert_nothing_personal(session_of(app, client), *personal)

    data = form(name=NAME, phone=PHONE, email=EMAIL, postcode=POSTCODE)
    assert client.post("/aanmelden", data=data).status_code == 302
    [resident] = residents()
    assert_nothing_personal(session_of(app, client), *personal)
    receipt = client.get("/aanmelden/ontvangen")
    assert "Rijnsoever-West" in receipt.get_data(as_text=True)  # the group name may stay: it is no one's data
    assert_nothing_personal(session_of(app, client), *personal)

    # the next person: an empty form again
    assert field_value(client.get("/aanmelden").get_data(as_text=True), "postcode") == ""
    assert field_value(client.get("/aanmelden").get_data(as_text=True), "name") == ""

    # and through Mijn gegevens (view, correct) the cookie stays clean as well
    link = my_data_link(resident)
    assert NAME in open_link(client, link).get_data(as_text=True)
    changed = form(name=NAME + " Twee", phone=PHONE, email=EMAIL, postcode=POSTCODE)
    assert post_link(client, link, "/mijn-gegevens/wijzigen", changed).status_code == 200
    assert_nothing_personal(session_of(app, client), *personal)


def test_a_busy_database_flash_holds_no_personal_data(app, client, addresses, monkeypatch):
    """Flashes live in the cookie too: the one sign-up flash is a fixed sentence."""
    from sqlalchemy.exc import OperationalError

    from buurt.residents import signup as signups

    def busy(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(signups, "sign_up", busy)
    response = client.post("/aanmelden", data=form(name=NAME, phone=PHONE, email=EMAIL))
    assert response.status_code == 503
    assert_nothing_personal(session_of(app, client), NAME, PHONE, "13572468", EMAIL, POSTCODE)


# --- point 11: no personal link in any URL ---------------------------------------------------------------------


def mailed_link(body: str, path: str) -> str:
    link = re.search(rf"http://localhost{re.escape(path)}#\S+", body).group(0)
    assert token_of(link) in body.splitlines()  # the code on its own line, for a browser without JavaScript
    return link


def test_a_residents_whole_life_asks_for_no_url_with_a_token_or_personal_data(
    app, client, addresses, seen_urls, deliver_mail, smtp_server, make_user
):
    tokens: list[str] = []

    client.post("/welke-groep", data={"postcode": POSTCODE, "house_number": "1"})
    client.post("/aanmelden", data={"postcode": "2221XA", "house_number": "1", "prefill": "1"})
    data = form(name=NAME, phone=PHONE, email=EMAIL, postcode=POSTCODE)
    client.post("/aanmelden", data=data, follow_redirects=True)
    deliver_mail()
    confirm = mailed_link(smtp_server.inbox.bodies()[-1], "/aanmelden/bevestigen")
    tokens.append(token_of(confirm))
    assert "Ja, bevestig mijn aanmelding" in open_link(client, confirm).get_data(as_text=True)
    assert "uw e-mailadres is bevestigd" in post_link(client, confirm, "/aanmelden/bevestigen").get_data(as_text=True)

    client.post("/mijn-gegevens", data={"contact": EMAIL})
    deliver_mail()
    mine = mailed_link(smtp_server.inbox.bodies()[-1], "/mijn-gegevens/bekijken")
    tokens.append(token_of(mine))
    page = open_link(client, mine).get_data(as_text=True)
    assert NAME in page
    download = post_link(client, mine, "/mijn-gegevens/download")
    assert json.loads(download.get_data(as_text=True))["name"] == NAME
    changed = form(name=NAME, phone=PHONE, email=EMAIL, postcode=POSTCODE, household_size="3")
    assert "Uw wijzigingen zijn opgeslagen" in post_link(client, mine, "/mijn-gegevens/wijzigen", changed).get_data(
        as_text=True
    )

    report = "/incidenten/melden/bewoner#" + page.split('href="/incidenten/melden/bewoner#', 1)[1].split('"', 1)[0]
    tokens.append(token_of(report))
    assert "Incident melden" in open_link(client, report).get_data(as_text=True)
    thanks = submit_link(client, report, data=report_data(), follow_redirects=True).get_data(as_text=True)
    assert "Bedankt voor uw melding" in thanks
    again = client.post("/incidenten/melden/bewoner", data={"token": token_of(report), "open": "1"})  # "Nog iets"
    assert "U meldt als aangemelde bewoner" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Incident.id))) == 1

    deleted = post_link(client, mine, "/mijn-gegevens/verwijderen", {"confirm": "y"}, follow_redirects=True)
    assert "Uw gegevens zijn verwijderd" in deleted.get_data(as_text=True)

    beheerder = make_user(Role.BEHEERDER)
    client.post("/wachtwoord-vergeten", data={"email": beheerder.email}, follow_redirects=True)
    deliver_mail()
    reset = mailed_link(smtp_server.inbox.bodies()[-1], "/wachtwoord-herstellen")
    tokens.append(token_of(reset))
    assert "Nieuw wachtwoord" in open_link(client, reset).get_data(as_text=True)
    new = {"password": "fictief nieuw wachtwoord 2026", "confirm": "fictief nieuw wachtwoord 2026"}
    assert post_link(client, reset, "/wachtwoord-herstellen", new, follow_redirects=True).status_code == 200

    assert len(seen_urls) > 20
    personal = [*tokens, NAME, NAME.replace(" ", "+"), "13572468", EMAIL, "2221XA", "2221+XA", "Fictieweg"]
    for url in seen_urls:
        for value in personal:
            assert value.lower() not in unquote(url).lower(), (value, url)
        # and nothing that looks like one of our signed tokens (base64 JSON, then signature and time)
        assert not re.search(r"eyJ[\w-]{8,}\.[\w-]{4,}\.[\w-]{10,}", url), url


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/aanmelden/bevestigen/{token}", "/aanmelden/bevestigen#{token}"),
        ("/mijn-gegevens/{token}", "/mijn-gegevens/bekijken#{token}"),
        ("/mijn-gegevens/{token}/download", "/mijn-gegevens/bekijken#{token}"),
        ("/incidenten/melden/{token}", "/incidenten/melden/bewoner#{token}"),
        ("/incidenten/melden/{token}/bedankt", "/incidenten/melden/bewoner#{token}"),
        ("/wachtwoord-herstellen/{token}", "/wachtwoord-herstellen#{token}"),
    ],
)
def test_links_mailed_before_still_work_by_one_redirect(client, old, new):
    token = "eyJyIjoxfQ.aw9kFg.abcdefghijklmnop"
    response = client.get(old.format(token=token))
    assert response.status_code == 302
    assert response.headers["Location"] == new.format(token=token)


def test_every_link_builder_puts_the_token_after_the_hash(app, make_resident, groups, make_user):
    from buurt.auth.services import reset_url
    from buurt.models import ResidentStatus
    from buurt.urls import external_url

    resident = make_resident(groups[0], status=ResidentStatus.ADDED)
    user = make_user(Role.BEHEERDER)
    with app.test_request_context():
        links = [confirm_link(resident), my_data_link(resident), report_link(resident), reset_url(user)]
        links.append(report_link(resident, external=False))
        with pytest.raises(ValueError, match="personal_link"):
            external_url("residents.my_data", token="x")  # a token in a path or query is refused
    for link in links:
        assert "#" in link
        assert token_of(link) not in path_of(link)
        assert "?" not in link


def test_pages_with_a_token_in_them_are_not_cached_and_send_no_referrer(app, client, make_resident, groups):
    from buurt.models import ResidentStatus

    resident = make_resident(groups[0], status=ResidentStatus.ADDED)
    with app.test_request_context():
        links = (my_data_link(resident), report_link(resident, external=False))
    for link in links:
        response = open_link(client, link)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.get(Resident, resident.id) is not None
