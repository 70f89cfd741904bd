"""Per-neighbourhood URLs (buurt.neighbourhoods): the prefix picks the neighbourhood, links stay in it,
the default neighbourhood keeps its old URLs, an unknown slug is a 404."""

from __future__ import annotations

import re

from flask import g, url_for

from buurt.neighbourhoods import current_neighbourhood, reserved_slugs


def test_default_pages_keep_their_urls_and_answer_under_their_slug_too(client):
    for path in (
        "/",
        "/welke-groep",
        "/welke-groep/straten",
        "/incidenten/openbaar",
        "/rijnsoever/",
        "/rijnsoever/welke-groep",
    ):
        assert client.get(path).status_code == 200, path


def test_unknown_slug_is_404_and_fixed_paths_win(client, hoornes):
    assert client.get("/hoornes").status_code == 200  # the home with or without its slash
    assert client.get("/hoornes/").status_code == 200
    assert client.get("/nergens").status_code == 404  # not a redirect to "/nergens/" first
    assert client.get("/nergens/").status_code == 404
    assert client.get("/nergens/welke-groep").status_code == 404
    assert client.get("/beheer/").status_code == 302  # the console's login redirect, not a neighbourhood


def test_links_on_a_prefixed_page_stay_in_that_neighbourhood(client, hoornes):
    html = client.get("/hoornes/welke-groep").get_data(as_text=True)
    links = set(re.findall(r'href="(/[^"#?]*)', html))
    assert "/hoornes/welke-groep/straten" in links
    assert "/hoornes/aanmelden" in links
    assert "/welke-groep/straten" not in links  # would leave Hoornes for Rijnsoever
    assert "/privacy" in links  # one privacy statement for the site


def test_url_for_builds_the_default_without_prefix(app, hoornes):
    with app.test_request_context("/hoornes/welke-groep"):
        app.preprocess_request()
        assert current_neighbourhood().slug == "hoornes"
        assert url_for("residents.signup") == "/hoornes/aanmelden"
        assert url_for("residents.signup", hood="rijnsoever") == "/aanmelden"
    g.pop("buurt_neighbourhood", None)  # the test's app context outlives the request (a real one would not)
    with app.test_request_context("/welke-groep"):
        assert current_neighbourhood().slug == "rijnsoever"
        assert url_for("main.home", hood="hoornes") == "/hoornes/"


def test_site_paths_are_reserved(app):
    with app.app_context():
        assert {"beheer", "api", "static", "welke-groep", "aanmelden", "buurten"} <= reserved_slugs()
