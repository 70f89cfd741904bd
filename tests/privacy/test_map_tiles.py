"""Map tiles (issue 13, point 7): every map and point picker loads its background from the
configured tile server (PDOK by default), and the sign-up picker around a resident's own point
loads no tile deeper than the public max zoom.

The crawl takes the routes from the app's URL map (as tests/test_role_matrix.py does), for every
role, with real objects in the URL parameters, plus the POST pages that show a map or a picker
(the lookup answer's srcdoc map, the sign-up's "wijs uw huis aan"). It must find the map
documents and the pickers it checks, so it cannot pass by finding none.
"""

from __future__ import annotations

import html
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.routing import IntegerConverter

from buurt.areas import files, proposals
from buurt.extensions import db
from buurt.models import Role
from tests.browser_support.fixtures import ServedInThread
from tests.conftest import PASSWORD
from tests.privacy.seed import seed_private_data
from tests.residents.conftest import form as signup_form
from tests.residents.test_residents_browser import fill_signup

OTHER = "https://tiles.example.test/bg/{z}/{x}/{y}.png"
ROLES = ("anonymous", "beheerder", "coordinator", "wijkagent", "admin")
TILE_CALL = re.compile(r'L\.tileLayer\(\s*"([^"]*)"')
PICKER = re.compile(r"<div\b[^>]*\bdata-point-picker\b[^>]*>", re.S)
ATTRIBUTE = re.compile(r'\s(data-[a-z-]+)="([^"]*)"')
SRCDOC = re.compile(r'srcdoc="([^"]*)"')
#: map documents (sandboxed iframe routes) the crawl must reach, and pages with a point picker
MAP_ENDPOINTS = {
    "main.coverage_map",
    "incidents.public_map",
    "incidents.map_document",
    "meldingen.map_document",
    "beheer.coverage_map",
    "beheer.generation_map",
    "beheer.proposal_map",
    "beheer.split_map",
}
PICKER_PAGES = {"residents.signup", "incidents.report", "incidents.detail", "meldingen.new"}


@pytest.fixture
def world(app, groups, make_user, make_address):
    seeded = seed_private_data()
    users = {
        "beheerder": make_user(Role.BEHEERDER, groups=[groups[0]]),
        "coordinator": make_user(Role.COORDINATOR),
        "wijkagent": make_user(Role.WIJKAGENT),
        "admin": make_user(Role.ADMIN),
    }
    proposal = proposals.save_proposal(files.current_collection(), source="tiles", user_id=None)
    make_address(postcode="2221XA", number=1, lat=52.2127, lon=4.413965)
    db.session.commit()
    values = {
        "group_id": groups[0].id,
        "resident_id": seeded.resident_ids[0],
        "incident_id": seeded.incident_ids[0],
        "melding_id": seeded.melding_ids[0],
        "task_id": seeded.task_ids[0],
        "generation_id": 1,
        "proposal_id": proposal.id,
    }
    return users, values


def _clients(app, users):
    clients = {"anonymous": app.test_client()}
    for role, user in users.items():
        client = app.test_client()
        with app.app_context():
            assert client.post("/inloggen", data={"email": user.email, "password": PASSWORD}).status_code == 302
        clients[role] = client
    return clients


def _url(app, rule, values):
    args = {
        name: values.get(name, 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x")
        for name in rule.arguments
    }
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def crawl(app, world):
    """(endpoint, role, text, is_map_document) for every GET page and map document, and the map POSTs."""
    users, values = world
    clients = _clients(app, users)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = _url(app, rule, values)
        for role in ROLES:
            with app.app_context():
                response = clients[role].get(url)
            text = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            sandboxed = "sandbox" in response.headers.get("Content-Security-Policy", "")
            response.close()
            yield rule.endpoint, role, text, sandboxed
    anonymous = clients["anonymous"]
    with app.app_context():
        lookup = anonymous.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"})
    [srcdoc] = SRCDOC.findall(lookup.get_data(as_text=True))
    yield "residents.lookup", "anonymous", lookup.get_data(as_text=True), False
    yield "residents.lookup (srcdoc)", "anonymous", html.unescape(srcdoc), True
    for pick in ({}, {"pick_lat": "52.2151234", "pick_lon": "4.4152345", "phone": ""}):
        with app.app_context():
            response = app.test_client().post("/aanmelden", data=signup_form(house_number="99", **pick))
        yield "residents.signup", "anonymous", response.get_data(as_text=True), False


def pickers(text: str) -> list[dict[str, str]]:
    return [dict(ATTRIBUTE.findall(tag)) for tag in PICKER.findall(text)]


@pytest.mark.parametrize("tiles_url", [None, OTHER], ids=["default", "other origin"])
def test_every_map_and_picker_uses_the_configured_tiles(app, world, tiles_url):
    if tiles_url:
        app.config["TILES_URL"] = tiles_url
    expected = app.config["TILES_URL"]
    maps, picker_pages, failures = set(), set(), []
    for endpoint, role, text, is_map in crawl(app, world):
        where = f"{role} {endpoint}"
        if "tile.openstreetmap.org" in text:
            failures.append(f"{where}: OpenStreetMap tiles")
        layers = TILE_CALL.findall(text)
        if is_map:
            maps.add(endpoint)
            if layers != [expected]:
                failures.append(f"{where}: tile layers {layers}")
        elif layers:
            failures.append(f"{where}: a tile layer outside a map document")
        for picker in pickers(text):
            picker_pages.add(endpoint)
            if picker.get("data-tiles-url") != expected:
                failures.append(f"{where}: picker tiles {picker.get('data-tiles-url')!r}")
            if picker.get("data-tiles-attribution") != html.escape(app.config["TILES_ATTRIBUTION"]):
                failures.append(f"{where}: picker attribution {picker.get('data-tiles-attribution')!r}")
    assert failures == [], "\n".join(failures)
    assert MAP_ENDPOINTS | {"residents.lookup (srcdoc)"} <= maps
    assert picker_pages >= PICKER_PAGES


def test_the_sign_up_picker_around_a_home_opens_at_the_public_zoom(app, client):
    """The page sets the first view around the picked point; deeper is the resident's own zoom."""
    data = signup_form(house_number="99", pick_lat="52.2151234", pick_lon="4.4152345", phone="")
    [picker] = pickers(client.post("/aanmelden", data=data).get_data(as_text=True))
    assert int(picker["data-point-zoom"]) == app.config["PUBLIC_MAX_ZOOM"] == 15


def test_the_footer_names_the_tile_provider(app, client):
    text = client.get("/").get_data(as_text=True)
    assert "OpenStreetMap" not in text
    assert f"achtergrondkaart: {html.escape(app.config['TILES_PROVIDER'])}" in text
    app.config["TILES_URL"] = ""
    assert "achtergrondkaart:" not in client.get("/").get_data(as_text=True)


# --- in Chromium ---------------------------------------------------------------------------------

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fe0def46b80000000049454e44ae426082"
)
TILE_PATH = re.compile(r"/(\d+)/(\d+)/(\d+)\.png(?:\?|$)")


class TileServer(ServedInThread):
    """A tile server on 127.0.0.1: a 1-pixel PNG for every tile, and the z/x/y of each request."""

    def __init__(self):
        requested = self.requested = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                found = TILE_PATH.search(self.path)
                if found:
                    requested.append(tuple(int(n) for n in found.groups()))
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(PNG)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/t/{{z}}/{{x}}/{{y}}.png"


@pytest.fixture
def tile_server(app):
    with TileServer() as server:
        app.config["TILES_URL"] = server.url
        yield server


@pytest.mark.browser
def test_the_sign_up_picker_loads_no_tile_deeper_than_the_public_zoom(app, live_server, page, tile_server):
    """Pick the house, send the form with a mistake: the page comes back with the picker around the
    home. Every tile of that view comes from the configured server at zoom <= PUBLIC_MAX_ZOOM; the
    resident can still zoom in by hand to correct the point."""
    limit = app.config["PUBLIC_MAX_ZOOM"]
    base = tile_server.url.split("{z}")[0]
    tiles = []  # (url, z) of every tile the page asks for, from any server
    page.on("request", lambda r: (found := TILE_PATH.search(r.url)) and tiles.append((r.url, int(found.group(1)))))
    page.goto(live_server.url + "/aanmelden")
    fill_signup(page, house_number="99")  # not in the (empty) register: the picker appears
    page.get_by_role("button", name="Aanmelden").click()
    page.locator("#pick-map.leaflet-container").wait_for()
    page.get_by_role("button", name="Mijn huis staat in het midden van de kaart").click()
    picked = (page.locator("#pick_lat").input_value(), page.locator("#pick_lon").input_value())
    assert all(picked)
    page.get_by_label("Mobiel nummer voor WhatsApp").fill("")  # a mistake: the form comes back
    before = len(tiles)
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.locator("#phone-error").wait_for()
    page.locator("#pick-map .leaflet-marker-icon").wait_for()  # the picked point, kept
    assert (page.locator("#pick_lat").input_value(), page.locator("#pick_lon").input_value()) == picked
    page.locator("#pick-map img.leaflet-tile-loaded").first.wait_for()
    around_home = tiles[before:]
    assert around_home, "the picker around the home loaded no tiles"
    assert max(z for _url, z in around_home) <= limit, sorted({z for _url, z in around_home})
    assert [url for url, _z in tiles if not url.startswith(base)] == []  # only the configured server
    assert tile_server.requested
    # by hand: the + button zooms past the public zoom, so the house can still be tapped precisely
    loaded = "(z) => [...document.querySelectorAll('#pick-map img.leaflet-tile-loaded')].some(i => i.src.includes(z))"
    page.locator("#pick-map .leaflet-control-zoom-in").click()
    page.wait_for_function(loaded, arg=f"/t/{limit + 1}/")
    assert page.errors == []
