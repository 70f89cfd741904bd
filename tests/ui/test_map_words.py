"""buurt.map_chrome: the words around every map document, in the request's language."""

from __future__ import annotations

from buurt import map_chrome
from buurt.geo import map_chrome as geo_chrome


def test_every_titled_endpoint_is_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(map_chrome.TITLES) <= endpoints


def test_the_request_language_and_route_give_the_chrome(app):
    with app.test_request_context("/incidenten/kaart?lang=en"):
        app.preprocess_request()
        from flask import request

        request.url_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "incidents.map_document")
        chrome = map_chrome.request_chrome()
    assert chrome.lang == "en"
    assert chrome.title  # "Kaart van de incidenten" in the English catalogue
    with app.test_request_context("/kaart/dekking"):
        from flask import request
        from flask_babel import refresh

        refresh()  # the app context of the fixture keeps the last request's locale

        request.url_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "main.coverage_map")
        chrome = map_chrome.request_chrome()
    assert chrome.lang == "nl"
    assert chrome.title == "Kaart van de buurtgroepen"
    assert chrome.zoom_in == geo_chrome.DUTCH.zoom_in  # the Dutch msgids are the pure defaults


def test_outside_a_request_maps_are_dutch(app):
    from flask_babel import refresh

    refresh()
    with app.app_context():
        assert map_chrome.request_chrome() == geo_chrome.DUTCH


def test_init_app_registers_the_provider(app):
    try:
        map_chrome.init_app(app)
        with app.test_request_context("/?lang=en"):
            from flask_babel import refresh

            refresh()
            assert geo_chrome.current_chrome().lang == "en"
    finally:
        geo_chrome.use_chrome(None)
    assert geo_chrome.current_chrome() == geo_chrome.DUTCH
