"""Content-Security-Policy (issue 12, finding 7): every page, every map document, the srcdoc map.

Defence in depth behind map_text: pages run only our own script files; a map document runs only
its own inline scripts (by hash) in a sandbox without allow-same-origin (an opaque origin: no
cookies, no requests with the user's session); the lookup answer's srcdoc map gets its hashes on
that response only.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest

from buurt.config import Defaults
from buurt.csp import inline_hashes
from buurt.geo.folium_assets import TileSource
from buurt.models import ResidentStatus, Role

ROOT = Path(__file__).resolve().parents[2]
#: the default tile server (PDOK); the policy follows TILES_URL (tests at the end of this file)
TILE_ORIGIN = TileSource(Defaults.TILES_URL, Defaults.TILES_ATTRIBUTION).origin


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in parsed, f"{words[0]} twice"
            parsed[words[0]] = words[1:]
    return parsed


def policy_of(response) -> dict[str, list[str]]:
    assert "Content-Security-Policy" in response.headers, response.request.path
    return directives(response.headers["Content-Security-Policy"])


def assert_site_policy(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert TILE_ORIGIN in policy["img-src"]


@pytest.mark.parametrize("path", ["/", "/welke-groep", "/aanmelden", "/inloggen", "/incidenten/openbaar", "/nergens"])
def test_every_page_has_the_site_policy(client, path):
    response = client.get(path)
    assert response.mimetype == "text/html"
    policy = policy_of(response)
    assert_site_policy(policy)
    assert policy["script-src"] == ["'self'"]  # no map embedded: no hash either


def test_pages_hold_no_inline_script():
    """The site policy allows no inline script, so templates must not hold one (nor on* handlers)."""
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"inline script in {template}"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), f"event handler attribute in {template}"


def test_every_iframe_is_sandboxed_without_same_origin():
    frames = []
    for template in (ROOT / "templates").rglob("*.html"):
        frames += [(template.name, tag) for tag in re.findall(r"<iframe\b[^>]*>", template.read_text())]
    assert len(frames) >= 9
    for name, tag in frames:
        sandbox = re.search(r'sandbox="([^"]*)"', tag)
        assert sandbox, f"{name}: {tag}"
        assert "allow-scripts" in sandbox.group(1).split()
        assert "allow-same-origin" not in sandbox.group(1), name


def _map_documents(client, login, make_user, groups, make_resident):
    from buurt.meldingen.location import Location
    from buurt.meldingen.services import create_melding
    from buurt.models import utcnow

    for i in range(6):
        make_resident(groups[1], status=ResidentStatus.ADDED, lat=52.2125 + i * 1e-6, lon=4.4190)
    coordinator = make_user(Role.COORDINATOR)
    melding = create_melding(
        user=coordinator,
        received_text="Fictieve melding",
        category="woninginbraak",
        occurred_at=utcnow().replace(tzinfo=None),
        location=Location(lat=52.2125, lon=4.4190, label="Fictieweg", street="Fictieweg", kind="kaart"),
        radius_m=300,
    )
    yield "/kaart/dekking", client.get("/kaart/dekking")
    yield "/incidenten/openbaar/kaart", client.get("/incidenten/openbaar/kaart")
    login(coordinator)
    for path in (
        "/beheer/dekking/kaart",
        "/beheer/gebieden/1/kaart",
        f"/beheer/groep/{groups[1].id}/splitsen/kaart",
        f"/meldingen/{melding.id}/kaart",
        "/incidenten/kaart",
    ):
        yield path, client.get(path)


def test_map_documents_are_sandboxed_and_run_only_their_own_scripts(client, login, make_user, groups, make_resident):
    seen = 0
    for path, response in _map_documents(client, login, make_user, groups, make_resident):
        assert response.status_code == 200, path
        document = response.get_data(as_text=True)
        policy = policy_of(response)
        assert policy["sandbox"][0] == "allow-scripts", path
        assert "allow-same-origin" not in policy["sandbox"], path
        assert set(policy["sandbox"]) <= {"allow-scripts", "allow-top-navigation-by-user-activation"}
        assert policy["default-src"] == ["'none'"]
        hashes = inline_hashes(document)
        assert len(hashes) >= 2, path  # folium's settings and the map itself
        assert policy["script-src"] == ["'self'", *hashes], path
        assert policy["connect-src"] == ["'none'"]
        assert policy["form-action"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'self'"]
        assert TILE_ORIGIN in policy["img-src"]
        assert f'"{TILE_ORIGIN}/' in document, path  # the tiles come from where the policy allows
        seen += 1
    assert seen == 7


def test_the_lookup_answer_allows_its_srcdoc_map_only(client, make_address):
    make_address(postcode="2221XA", number=1, lat=52.2127, lon=4.413965)
    response = client.post("/welke-groep", data={"postcode": "2221XA", "house_number": "1"})
    page = response.get_data(as_text=True)
    document = htmllib.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    policy = policy_of(response)
    assert_site_policy(policy)
    assert policy["script-src"] == ["'self'", *inline_hashes(document)]
    for style in inline_hashes(document, "style"):
        assert style in policy["style-src"]
    assert policy_of(client.get("/welke-groep"))["script-src"] == ["'self'"]  # the next page: none


def test_inline_hashes_match_what_a_browser_hashes():
    # sha256 of "alert(1)" as base64, the value Chromium reports in its CSP console message
    document = '<script src="/x.js"></script><script>alert(1)</script><style>p{}</style>'
    assert inline_hashes(document) == ["'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"]
    assert len(inline_hashes(document, "style")) == 1


def test_fonts_may_be_read_by_a_sandboxed_map(client):
    css = (ROOT / "static/vendor/fontawesome-free/css/all.min.css").read_text()
    font = re.search(r"url\(\.\./webfonts/([^)]+\.woff2)\)", css).group(1)
    response = client.get(f"/static/vendor/fontawesome-free/webfonts/{font}")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response.close()
    response = client.get("/static/css/site.css")
    assert "Access-Control-Allow-Origin" not in response.headers
    response.close()


def test_the_point_picker_loads_tiles_only_from_its_page():
    """The picker has no tile URL of its own: the page gives it TILES_URL (data-tiles-url)."""
    script = re.sub(r"/\*.*?\*/", "", (ROOT / "static/js/point-picker.js").read_text(), flags=re.S)
    assert "d.tilesUrl" in script
    assert not re.search(r"""["'](https?:)?//""", script)


def test_the_last_resort_error_page_keeps_its_style():
    from buurt.errors import FALLBACK_PAGE

    policy = directives(__import__("buurt.csp", fromlist=["site_policy"]).site_policy())
    assert inline_hashes(FALLBACK_PAGE, "style")[0] in policy["style-src"]


# --- the tile server follows TILES_URL (issue 13, point 7) --------------------------------------

OFF_SITE = re.compile(r"^(https?:|\*|[a-z0-9.-]+\.[a-z]{2,})", re.I)


def off_site_images(policy: dict[str, list[str]]) -> list[str]:
    return [source for source in policy["img-src"] if OFF_SITE.match(source)]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://tiles.example.test/bg/{z}/{x}/{y}.png", ["https://tiles.example.test"]),
        ("/tiles/{z}/{x}/{y}.png", []),  # self-hosted: 'self' covers it
        ("", []),  # no background at all
    ],
    ids=["other origin", "self-hosted", "none"],
)
def test_images_come_only_from_the_configured_tile_server(
    app, client, login, make_user, groups, make_resident, url, allowed
):
    app.config["TILES_URL"] = url
    for path in ("/", "/welke-groep", "/incidenten/openbaar"):
        assert off_site_images(policy_of(client.get(path))) == allowed, path
    seen = 0
    for path, response in _map_documents(client, login, make_user, groups, make_resident):
        assert response.status_code == 200, path
        assert off_site_images(policy_of(response)) == allowed, path
        document = response.get_data(as_text=True)
        assert "service.pdok.nl" not in document, path
        assert "openstreetmap" not in document.lower(), path
        if url:
            assert f'"{url}"' in document, path  # the tile layer, from where the policy allows
        else:
            assert "L.tileLayer(" not in document, path
        seen += 1
    assert seen == 7


def test_a_tile_url_that_would_break_the_policy_is_ignored(app, client, caplog):
    app.config["TILES_URL"] = "https://tiles.example.test/{z}/{x}/{y}.png; script-src *"
    response = client.get("/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert off_site_images(policy) == []
    assert "TILES_URL" in caplog.text


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_map_runs_in_an_opaque_origin(live_server, page, make_address):
    """The map draws, yet cannot read cookies or send a request with the visitor's session."""
    make_address(postcode="2221XA", number=1, lat=52.2127, lon=4.413965)
    page.goto(live_server.url + "/welke-groep")
    page.fill("input[name=postcode]", "2221XA")
    page.fill("input[name=house_number]", "1")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    map_frame = page.frame_locator("iframe.map-frame")
    map_frame.locator(".leaflet-container").wait_for()
    map_frame.locator(".leaflet-marker-pane .awesome-marker").first.wait_for()  # script, CSS and icons ran
    frame = page.frames[1]
    assert frame.evaluate("window.origin") == "null"
    assert frame.evaluate("(() => { try { return document.cookie; } catch (e) { return 'refused'; } })()") == "refused"
    # from the origin "null" a request carries no cookie and its answer cannot be read
    blocked = frame.evaluate("fetch('/beheer/', {credentials: 'include'}).then(() => 'read', () => 'refused')")
    assert blocked == "refused"
    # Font Awesome (the house icon) loaded across the opaque origin
    loaded = (
        "document.fonts.load('900 16px \"Font Awesome 6 Free\"', '\\uf015')"
        ".then((faces) => faces.length > 0 && faces.every((f) => f.status === 'loaded'), () => false)"
    )
    assert frame.evaluate(loaded)
    # the refused request above, and Chromium's line about it
    page.errors = [e for e in page.errors if "/beheer/" not in e and "net::ERR_FAILED" not in e]
    assert page.errors == []
