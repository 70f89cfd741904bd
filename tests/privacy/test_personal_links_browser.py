"""Personal links in headless Chromium (issue 13, point 11): the token after '#' opens the page,
leaves the address bar, and never reaches the server in a URL (what an access log would hold).

Confirm a sign-up by its link, then use Mijn gegevens end to end from its link: view, download,
correct, delete.
"""

from __future__ import annotations

import json

import pytest

from buurt.extensions import db
from buurt.models import Resident, ResidentStatus, utcnow
from buurt.residents.links import confirm_link, email_change_link, my_data_link
from tests.link_support import path_of, token_of

pytestmark = pytest.mark.browser


@pytest.fixture
def seen_urls(app):
    """Every path + query string the live server is asked for."""
    seen: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        seen.append(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
        return inner(environ, start_response)

    app.wsgi_app = recording
    yield seen
    app.wsgi_app = inner


def open_in_browser(page, live_server, link: str) -> None:
    page.goto(live_server.url + path_of(link) + "#" + token_of(link))


def test_confirmation_link_confirms_with_the_token_out_of_every_url(
    live_server, page, seen_urls, groups, make_resident
):
    resident = make_resident(groups[0], status=ResidentStatus.UNCONFIRMED, email="fictief.bevestig@example.org")
    resident_id, link = resident.id, confirm_link(resident)

    open_in_browser(page, live_server, link)
    button = page.get_by_role("button", name="Ja, bevestig mijn aanmelding")
    button.wait_for()
    assert "#" not in page.url  # link-token.js took the token out of the address bar
    assert token_of(link) not in page.url
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).status == ResidentStatus.UNCONFIRMED  # opening confirms nothing
    button.click()
    page.get_by_text("uw e-mailadres is bevestigd").wait_for()
    assert token_of(link) not in page.url
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).email_confirmed_at is not None
    assert seen_urls
    assert not [url for url in seen_urls if token_of(link) in url]
    assert page.errors == []


def test_my_data_from_its_link_view_download_correct_delete(live_server, page, seen_urls, groups, make_resident):
    resident = make_resident(groups[2], status=ResidentStatus.ADDED, name="Fictieve Linkbewoner")
    resident_id, link = resident.id, my_data_link(resident)

    open_in_browser(page, live_server, link)
    page.locator("main dl.data").wait_for()
    assert "Fictieve Linkbewoner" in page.locator("main").inner_text()
    assert "#" not in page.url

    with page.expect_download() as download:
        page.get_by_role("button", name="Download als bestand (JSON)").click()
    data = json.loads(download.value.path().read_text("utf-8"))
    assert data["name"] == "Fictieve Linkbewoner"

    page.locator("#name").fill("Fictieve Linkbewoner Twee")
    page.locator("form[action$='/wijzigen'] [type=submit]").click()
    page.get_by_text("Uw wijzigingen zijn opgeslagen.").wait_for()
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).name == "Fictieve Linkbewoner Twee"

    page.locator("form[action$='/verwijderen'] input[type=checkbox]").check()
    page.locator("form[action$='/verwijderen'] [type=submit]").click()
    page.get_by_role("heading", name="Uw gegevens zijn verwijderd").wait_for()
    db.session.expire_all()
    assert db.session.get(Resident, resident_id) is None

    assert len(seen_urls) >= 4
    assert not [url for url in seen_urls if token_of(link) in url]
    assert "#" not in page.url
    assert page.errors == []


def test_without_a_fragment_the_page_asks_for_the_code(live_server, page, groups, make_resident):
    """Typed by hand, or the mail program dropped the part after '#': paste the code from the mail."""
    resident = make_resident(groups[0], status=ResidentStatus.ADDED, name="Fictieve Codeplakker")
    link = my_data_link(resident)
    page.goto(live_server.url + path_of(link))
    page.get_by_label("Code uit de e-mail").fill(token_of(link))
    page.get_by_role("button", name="Openen").click()
    page.locator("main dl.data").wait_for()
    assert "Fictieve Codeplakker" in page.locator("main").inner_text()
    assert page.errors == []


def test_a_new_address_is_confirmed_from_its_link(live_server, page, seen_urls, groups, make_resident):
    """The link mailed to a new address typed in Mijn gegevens: opening it makes the address theirs."""
    resident = make_resident(
        groups[1], status=ResidentStatus.PENDING, email="oud@example.org", email_confirmed_at=utcnow()
    )
    resident.email_pending = "nieuw@example.org"
    db.session.commit()
    resident_id, link = resident.id, email_change_link(resident)

    open_in_browser(page, live_server, link)
    page.get_by_text("uw e-mailadres is bevestigd").wait_for()
    assert "nieuw@example.org" in page.locator("main").inner_text()
    assert "#" not in page.url
    db.session.expire_all()
    changed = db.session.get(Resident, resident_id)
    assert (changed.email, changed.email_pending) == ("nieuw@example.org", None)
    assert not [url for url in seen_urls if token_of(link) in url]
    assert page.errors == []
