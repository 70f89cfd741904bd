"""Forwarding a melding (issue 15): the share links, own groups first, and undoing a mistaken "Doorgestuurd"."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import g

from buurt.extensions import db
from buurt.meldingen import services, texts
from buurt.models import AuditEntry, utcnow
from tests.conftest import PASSWORD, csrf_token_from

HOSTILE = [
    "*Politiebericht* 🚨\n📍 Fictieweg 1 & 2, #3\nA+B = 1+1 %20 %",
    "<script>alert('x')</script> \"quotes\" 'single' ?a=b&c=d#frag",
    "👨‍👩‍👧 emoji joiner, ünïcödé, ½ — line\n\nbreaks\r\nand tabs\t/slashes/",
    "https://example.org/?q=a+b&r=c#x\n_italic_ ~strike~ `code`",
]


def query_text(url: str) -> str:
    """The text= value a WhatsApp link carries, decoded the way a browser or WhatsApp does."""
    query = urlsplit(url).query
    assert query.count("=") == 1
    assert "&" not in query
    return parse_qs(query, keep_blank_values=True, strict_parsing=True)["text"][0]


# --- the share links ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_share_links_carry_the_exact_text(text):
    links = texts.share_links(text)
    assert links.web.startswith("https://wa.me/?text=")
    assert links.app.startswith("whatsapp://send?text=")
    for url in (links.web, links.app):
        assert query_text(url) == text
        # nothing that ends or splits a URL, an attribute or a line is left unencoded
        assert not re.search(r"[\s&#+<>\"'*]", url.split("?text=", 1)[1])


def test_the_page_links_carry_each_group_its_own_text(client, login, coordinator, make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100, text=HOSTILE[1] + "\n" + HOSTILE[0])
    login(coordinator)
    page = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    assert "<script>alert" not in page  # escaped in the <pre>
    expected = {t.group_id: t.text for t in services.forward_texts(melding)}
    found = {}
    for group_id, body in re.findall(r'id="groep-(\d+)"(.*?)</article>', page, re.S):
        web = re.search(r'href="(https://wa\.me/[^"]*)"', body)
        app = re.search(r'data-share-app="([^"]*)"', body)
        if web:
            found[int(group_id)] = (query_text(html.unescape(web.group(1))), query_text(html.unescape(app.group(1))))
    # every group a coordinator may forward to has a link with exactly that group's text
    assert found == {gid: (text, text) for gid, text in expected.items()}
    assert len(set(expected.values())) > 1  # the texts differ per group (the distance line)


# --- own groups first ---------------------------------------------------------------------------


def test_a_beheerder_sees_their_own_group_first(client, login, make_user, make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100)
    targets = [t for t in melding.targets if not t.is_neighbour]
    assert len(targets) >= 2
    mine = targets[1]  # not the first in routing order
    login(make_user("beheerder", groups=[mine.group]))
    page = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    own_at = page.index(f'id="groep-{mine.group_id}"')
    assert own_at < page.index('class="map-frame"')  # before the map
    others = [page.index(f'id="groep-{t.group_id}"') for t in melding.targets if t is not mine]
    assert own_at < min(others)  # before every other group
    assert page.index('id="uw-groepen"') < own_at < page.index('class="map-frame"')
    assert "Tekst voor uw groep" in page
    # the share link and "Doorgestuurd" are in the own group's block, right next to each other
    block = page[own_at : page.index("</article>", own_at)]
    assert block.index("data-share") < block.index("Doorgestuurd<span") < block.index("data-copy")
    # the other groups' texts have no share link or forward button for this beheerder
    rest = page[page.index("</section>", own_at) :]
    assert "data-share" not in rest


def test_a_coordinator_sees_the_target_groups_in_routing_order(client, login, coordinator, make_melding):
    melding = make_melding(lat=52.213456, lon=4.424538, radius=100)
    login(coordinator)
    page = client.get(f"/meldingen/{melding.id}").get_data(as_text=True)
    map_at = page.index('class="map-frame"')
    targets = [page.index(f'id="groep-{t.group_id}"') for t in melding.targets if not t.is_neighbour]
    neighbours = [page.index(f'id="groep-{t.group_id}"') for t in melding.targets if t.is_neighbour]
    assert targets == sorted(targets)
    assert targets[-1] < map_at
    assert neighbours
    assert min(neighbours) > map_at


# --- undo ---------------------------------------------------------------------------------------


@pytest.fixture
def west_melding(make_melding):
    return make_melding(lat=52.2127, lon=4.413965, radius=100)  # target: West


def actions() -> list[str]:
    return [a.action for a in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]


def test_undo_within_the_window(client, login, make_user, west_melding, groups):
    login(make_user("beheerder", groups=[groups[0]]))
    url = f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}"
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "U kunt dit tot" in page
    assert "ongedaan maken" in page
    assert f'action="{url}/ongedaan"' in page
    response = client.post(url + "/ongedaan")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#groep-{groups[0].id}")
    target = services.get_target(west_melding, groups[0].id)
    db.session.refresh(target)
    assert target.forwarded_at is None
    assert target.forwarded_by_id is None
    assert actions()[-2:] == ["melding.forward", "melding.forward_undo"]
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert f'action="{url}"' in page  # "Doorgestuurd" can be pressed again
    assert "data-share" in page
    # undoing twice changes nothing
    page = client.post(url + "/ongedaan", follow_redirects=True).get_data(as_text=True)
    assert "stond niets als doorgestuurd" in page
    assert actions()[-1] == "melding.forward_undo"
    assert actions().count("melding.forward_undo") == 1


def test_undo_is_refused_after_the_window(app, client, login, make_user, west_melding, groups):
    beheerder = make_user("beheerder", groups=[groups[0]])
    login(beheerder)
    url = f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}"
    client.post(url)
    target = services.get_target(west_melding, groups[0].id)
    minutes = app.config["MELDING_UNDO_MINUTES"]
    target.forwarded_at = utcnow() - timedelta(minutes=minutes, seconds=1)
    db.session.commit()
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert f'action="{url}/ongedaan"' not in page  # no button after the window
    page = client.post(url + "/ongedaan", follow_redirects=True).get_data(as_text=True)
    assert f"Ongedaan maken kan alleen in de eerste {minutes} minuten." in page
    db.session.refresh(target)
    assert target.forwarded_at is not None
    assert target.forwarded_by_id == beheerder.id
    assert "melding.forward_undo" not in actions()


def test_undo_by_another_groups_beheerder_is_refused(client, login, make_user, west_melding, groups):
    login(make_user("beheerder", groups=[groups[0]]))
    client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}")
    client.post("/uitloggen")
    # a beheerder of a neighbour group (it saw the melding through the forward of its own group)
    neighbour = next(t for t in west_melding.targets if t.is_neighbour)
    other = make_user("beheerder", groups=[neighbour.group])
    login(other)
    response = client.post(f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}/ongedaan")
    assert response.status_code == 403
    target = services.get_target(west_melding, groups[0].id)
    db.session.refresh(target)
    assert target.forwarded_at is not None
    assert "melding.forward_undo" not in actions()


def test_undo_of_the_melding_is_refused_once_it_is_closed(client, login, coordinator, west_melding, groups):
    login(coordinator)
    url = f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}"
    client.post(url)
    client.post(f"/meldingen/{west_melding.id}/afmelden", data={"result": "gevonden"})
    page = client.post(url + "/ongedaan", follow_redirects=True).get_data(as_text=True)
    assert "doorsturen is niet meer terug te draaien" in page
    assert services.get_target(west_melding, groups[0].id).forwarded_at is not None
    # the closing text's own "Doorgestuurd" can be undone in its window
    close_url = f"/meldingen/{west_melding.id}/afmelding-doorgestuurd/{groups[0].id}"
    page = client.post(close_url, follow_redirects=True).get_data(as_text=True)
    assert f'action="{close_url}/ongedaan"' in page
    client.post(close_url + "/ongedaan")
    target = services.get_target(west_melding, groups[0].id)
    db.session.refresh(target)
    assert target.close_forwarded_at is None
    assert actions()[-1] == "melding.close_forward_undo"


def test_undo_needs_the_csrf_token(app, client, coordinator, west_melding, groups):
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/inloggen").get_data(as_text=True)
    client.post(
        "/inloggen", data={"email": coordinator.email, "password": PASSWORD, "csrf_token": csrf_token_from(login_page)}
    )
    g.pop("csrf_token", None)  # the app fixture's app context outlives requests; drop the stale token
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    url = f"/meldingen/{west_melding.id}/doorgestuurd/{groups[0].id}"
    assert client.post(url, data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert client.post(url + "/ongedaan").status_code == 400  # no token
    assert services.get_target(west_melding, groups[0].id).forwarded_at is not None
    g.pop("csrf_token", None)
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    assert client.post(url + "/ongedaan", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert actions()[-1] == "melding.forward_undo"


# --- words --------------------------------------------------------------------------------------


def test_pages_say_u_and_count_meldingen_with_ngettext(client, login, coordinator, west_melding):
    login(coordinator)
    listing = client.get("/meldingen/").get_data(as_text=True)
    assert "1 melding<" in listing  # one, not "1 meldingen"
    page = client.get(f"/meldingen/{west_melding.id}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b(je|jij|jouw|jullie)\b", text, re.IGNORECASE)
    assert "Melding afmelden" not in page
    assert "Melding afsluiten" in page
