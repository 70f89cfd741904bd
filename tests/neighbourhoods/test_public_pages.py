"""Public pages per neighbourhood and the gemeente page (issue 18, point 2).

Each neighbourhood's home shows its own groups and fill levels only; the default one (Rijnsoever) keeps
its page; a routing-only neighbourhood points to its own sign-up without fill levels; /buurten shows
every neighbourhood on one map and as tables, with the CBS buurten without buurtpreventie. All test
data is fictional (tests.conftest: make_resident, make_second_neighbourhood).
"""

from __future__ import annotations

import re

import pytest

from buurt.extensions import db
from buurt.models import Group
from tests.conftest import make_second_neighbourhood

SIGNUP = "https://aanmelden.example.org/centrum?bron=buurt"
SCRIPT = "<script>alert(1)</script>"


def _groups_of(hood) -> list[Group]:
    return list(db.session.scalars(db.select(Group).filter_by(neighbourhood_id=hood.id).order_by(Group.sort_order)))


def _routing_only(name="Centrum aan Zee", slug="centrum-zee", signup=SIGNUP):
    """A third, fictional neighbourhood (CBS buurt Centrum, Katwijk aan Zee) whose groups live elsewhere."""
    hood = make_second_neighbourhood(("BU05370504",), slug, name)
    hood.routing_only = True
    hood.signup_url = signup
    hood.sort_order = 2
    db.session.commit()
    return hood


def _section(html: str, slug: str) -> str:
    """The gemeente page's section of one neighbourhood."""
    match = re.search(rf'<section[^>]*data-neighbourhood="{slug}".*?</section>', html, re.S)
    assert match, f"no section for {slug}"
    return match[0]


def _geojson_layers(document: str) -> int:
    return len(re.findall(r"var geo_json_\w+ = L\.geoJson\(", document))


def test_hoornes_home_shows_only_its_own_groups_and_fill(client, hoornes, groups, make_resident):
    west, oost = _groups_of(hoornes)
    for _ in range(3):
        make_resident(west, status="added")
    make_resident(groups[0], status="added")  # a Rijnsoever member: not counted on Hoornes' page
    html = client.get("/hoornes/").get_data(as_text=True)
    assert "<title>Welkom · BuurtWhatsApp Hoornes</title>" in html
    assert "<h1>BuurtWhatsApp Hoornes</h1>" in html
    assert west.name in html
    assert oost.name in html
    assert "3 / 256" in html
    assert "0 / 256" in html
    assert "1 / 256" not in html
    for g in groups:
        assert g.name not in html
    assert "mailto:hoornes@example.org" in html
    for link in ("/hoornes/welke-groep", "/hoornes/welke-groep/straten", "/hoornes/aanmelden"):
        assert f'href="{link}"' in html
    assert 'href="/hoornes/incidenten/openbaar"' in html
    assert 'href="/buurten"' in html
    assert 'src="/hoornes/kaart/dekking"' in html
    document = client.get("/hoornes/kaart/dekking").get_data(as_text=True)
    assert _geojson_layers(document) == 2
    assert "Hoornes-West" in document
    assert "3 van 256 plaatsen bezet" in document
    assert "Rijnsoever" not in document


def test_rijnsoevers_home_is_unchanged_beside_another_neighbourhood(client, hoornes, groups, make_resident):
    make_resident(groups[0], status="added")
    make_resident(_groups_of(hoornes)[0], status="added")
    html = client.get("/").get_data(as_text=True)
    assert "<title>Welkom · BuurtWhatsApp Rijnsoever</title>" in html
    assert "<h1>BuurtWhatsApp Rijnsoever</h1>" in html
    assert "Bewoners van Rijnsoever (Katwijk) waarschuwen elkaar" in html
    assert html.count('<th scope="row">') == 5
    assert all(g.name in html for g in groups)
    assert "Hoornes" not in html
    assert "1 / 256" in html
    assert 'href="/welke-groep"' in html
    assert 'href="/aanmelden"' in html
    assert 'src="/kaart/dekking"' in html
    assert "Andere buurten in Katwijk" in html
    assert 'href="/buurten"' in html
    assert _geojson_layers(client.get("/kaart/dekking").get_data(as_text=True)) == 5
    main = re.search(r"<main.*</main>", html, re.S)[0]
    assert re.search(r"<main.*</main>", client.get("/rijnsoever/").get_data(as_text=True), re.S)[0] == main


def test_the_gemeente_page_lists_every_neighbourhood_with_its_counts(client, hoornes, groups, make_resident):
    west, _oost = _groups_of(hoornes)
    for group, n in ((groups[0], 2), (groups[3], 1), (west, 4)):
        for _ in range(n):
            make_resident(group, status="added")
    centrum = _routing_only()
    response = client.get("/buurten")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Alle buurten · BuurtWhatsApp Katwijk</title>" in html
    assert "5 groepen, 3 van 1280 plaatsen bezet" in html
    assert "2 groepen, 4 van 512 plaatsen bezet" in html
    rijnsoever = _section(html, "rijnsoever")
    assert rijnsoever.count('<th scope="row">') == 5
    assert "2 / 256" in rijnsoever
    assert "1 / 256" in rijnsoever
    assert 'href="/"' in rijnsoever
    hoornes_part = _section(html, "hoornes")
    assert "BuurtAlarm Hoornes-West" in hoornes_part
    assert "4 / 256" in hoornes_part
    assert "BuurtAlarm Rijnsoever-West" not in hoornes_part
    assert 'href="/hoornes/"' in hoornes_part
    centrum_part = _section(html, "centrum-zee")
    assert f'href="{SIGNUP.replace("&", "&amp;")}"' in centrum_part
    assert "/ 256" not in centrum_part
    # the CBS buurten nobody covers, named with their wijk (names repeat: two "Centrum", two "Dorp")
    uncovered = re.search(r'id="geen-titel".*?</section>', html, re.S)[0]
    assert "Strand (Katwijk aan Zee)" in uncovered
    assert "Centrum (Rijnsburg)" in uncovered
    assert "Centrum (Katwijk aan Zee)" not in uncovered  # the routing-only neighbourhood covers it
    assert "Hoornes-West" not in uncovered
    assert "Rijnsoever-Noord" not in uncovered
    assert f"/{centrum.slug}/" in html


def test_the_gemeente_map_colours_groups_and_shows_the_buurten_without_buurtpreventie(client, hoornes, make_resident):
    from buurt.areas.services import gemeente_buurten
    from buurt.geo.folium_assets import external_assets
    from buurt.geo.maps import FULL_COLOUR, NO_DATA_COLOUR

    west, _oost = _groups_of(hoornes)
    west.capacity = 1
    db.session.commit()
    make_resident(west, status="added")
    _routing_only()
    response = client.get("/buurten/kaart")
    assert response.status_code == 200
    assert "sandbox allow-scripts" in response.headers["Content-Security-Policy"]
    document = response.get_data(as_text=True)
    assert external_assets(document) == []
    covered = 4 + 2 + 1  # CBS buurten of Rijnsoever, Hoornes and the routing-only one
    areas = 5 + 2 + 1
    assert _geojson_layers(document) == areas + len(gemeente_buurten()) - covered
    assert document.count("nog geen buurtpreventie") >= len(gemeente_buurten()) - covered
    assert FULL_COLOUR in document  # Hoornes-West is full
    assert NO_DATA_COLOUR in document
    assert "aanmelden via aanmelden.example.org" in document
    assert "1 van 1 plaatsen bezet" in document


def test_the_map_documents_are_cached_until_the_counts_or_the_areas_change(app, client, hoornes, make_resident):
    from buurt.main import services

    built = []
    original = services.build_gemeente_map_document

    def counting(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)

    services.build_gemeente_map_document = counting
    try:
        first = client.get("/buurten/kaart").get_data(as_text=True)
        assert client.get("/buurten/kaart").get_data(as_text=True) == first
        assert len(built) == 1
        make_resident(_groups_of(hoornes)[0], status="added")  # a seat taken: the map shows it
        second = client.get("/buurten/kaart").get_data(as_text=True)
        assert len(built) == 2
        assert "1 van 256 plaatsen bezet" in second
        hoornes.name = "Hoornes Nieuw"  # the areas revision moves
        db.session.commit()
        assert "Hoornes Nieuw" in client.get("/buurten/kaart").get_data(as_text=True)
        assert len(built) == 3
        assert "Hoornes Nieuw" in client.get("/buurten/kaart?lang=en").get_data(as_text=True)
        assert len(built) == 4  # one document per language
    finally:
        services.build_gemeente_map_document = original


def test_a_routing_only_home_points_to_its_own_sign_up_without_fill_levels(client, groups):
    hood = _routing_only()
    html = client.get("/centrum-zee/").get_data(as_text=True)
    assert "<h1>BuurtWhatsApp Centrum aan Zee</h1>" in html
    link = re.search(r'<a [^>]*href="https://aanmelden\.example\.org/centrum\?bron=buurt"[^>]*>', html)
    assert link
    assert 'rel="noopener"' in link[0]
    assert "https://aanmelden.example.org/centrum?bron=buurt</span>" in html  # shown as text too
    assert "mailto:centrum-zee@example.org" in html
    assert "BuurtAlarm Centrum" in html
    for fill in ("/ 256", "%", "Hoe vol is elke groep", "wachtlijst", "<form"):
        assert fill not in re.search(r"<main.*</main>", html, re.S)[0], fill
    document = client.get(f"/{hood.slug}/kaart/dekking").get_data(as_text=True)
    assert _geojson_layers(document) == 1
    assert "aanmelden via aanmelden.example.org" in document
    assert "plaatsen bezet" not in document


def test_a_sign_up_address_that_is_no_web_address_is_not_a_link(client, groups):
    _routing_only(signup="javascript:alert(1)")
    html = client.get("/centrum-zee/").get_data(as_text=True)
    assert "javascript:" not in html
    assert "mailto:centrum-zee@example.org" in html  # the way forward: mail them


@pytest.mark.parametrize("where", ["name", "group"])
def test_script_in_a_name_is_escaped_in_pages_and_map_documents(client, groups, where):
    hood = make_second_neighbourhood(("BU05370502",), "noord", SCRIPT if where == "name" else "De Noord")
    if where == "group":
        _groups_of(hood)[0].name = SCRIPT
        db.session.commit()
    for path in ("/noord/", "/buurten", "/noord/kaart/dekking", "/buurten/kaart"):
        body = client.get(path).get_data(as_text=True)
        assert SCRIPT not in body, path
        if not (where == "name" and path == "/noord/kaart/dekking"):  # that map names groups only
            assert "alert(1)" in body, path  # it is shown, as text
    page = client.get("/buurten").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_error_page_names_the_neighbourhood_only_without_asking_the_database(app, hoornes):
    from flask import g
    from sqlalchemy import event

    from buurt.main.views import site_name_for

    statements = []

    def count(*_args):
        statements.append(1)

    with app.test_request_context("/hoornes/welke-groep"):
        app.preprocess_request()  # loads Hoornes, as its page does
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert site_name_for(error_page=True) == "BuurtWhatsApp Hoornes"
            db.session.expire_all()  # as the 500 handler's rollback leaves it
            assert site_name_for(error_page=True) == "BuurtWhatsApp Rijnsoever"  # today's name, no query
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert statements == []
        assert site_name_for() == "BuurtWhatsApp Hoornes"  # a page itself may ask
        g.pop("buurt_neighbourhood", None)  # the test's app context outlives the request


@pytest.mark.browser
def test_the_gemeente_page_on_a_phone(live_server, phone_page, hoornes, groups):
    _routing_only()
    phone_page.goto(live_server.url + "/buurten")
    frame = phone_page.frame_locator("iframe.map-frame")
    frame.locator(".leaflet-container").wait_for()
    assert frame.locator("path.leaflet-interactive").count() > 8
    assert phone_page.locator('section[data-neighbourhood="hoornes"] table tbody tr').count() == 2
    assert phone_page.locator('section[data-neighbourhood="rijnsoever"] table tbody tr').count() == 5
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    phone_page.get_by_role("link", name="Hoornes").first.click()
    phone_page.wait_for_url("**/hoornes/")
    assert phone_page.locator("h1").inner_text() == "BuurtWhatsApp Hoornes"
    assert phone_page.errors == []
