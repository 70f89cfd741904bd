"""The words around every map document in the request's language (Flask-Babel).

buurt.geo stays free of Flask: its ``render_map_document`` asks ``buurt.geo.map_chrome.current_chrome``
for the language, the title and Leaflet's control words, and ``init_app`` registers
``request_chrome`` as the answer. Outside a request (a command, a job) maps are Dutch.

A document's title says which map it is, by the route that serves it (``TITLES``); a map rendered
into a page (the lookup answer's, with srcdoc) gets the title of that page's route.
"""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from buurt.geo import map_chrome
from buurt.geo.map_chrome import MapChrome

#: endpoint -> the title of the map document it serves
TITLES = {
    "main.coverage_map": _l("Kaart van de buurtgroepen"),
    "residents.lookup": _l("Kaart van uw adres en de groepen"),
    "meldingen.map_document": _l("Kaart van de melding"),
    "incidents.map_document": _l("Kaart van de incidenten"),
    "incidents.public_map": _l("Kaart van de incidenten in de buurt"),
    "beheer.coverage_map": _l("Kaart van de dekking"),
    "beheer.generation_map": _l("Kaart van de gebieden"),
    "beheer.proposal_map": _l("Kaart van de nieuwe gebieden"),
    "beheer.split_map": _l("Kaart van de splitsing"),
}


def request_chrome() -> MapChrome:
    """The chrome of a map rendered now: the request's language, its route's title."""
    if not has_request_context():
        return map_chrome.DUTCH
    title = TITLES.get(request.endpoint or "", _l("Kaart"))
    return MapChrome(
        lang=str(get_locale() or "nl"),
        title=str(title),
        zoom_in=str(_l("Inzoomen")),
        zoom_out=str(_l("Uitzoomen")),
        layers=str(_l("Kaartlagen")),
        close=str(_l("Sluiten")),
        legend=str(_l("Legenda")),
        cluster=str(_l("{n} punten bij elkaar. Klik om in te zoomen.")),
        marker=str(_l("Punt op de kaart")),
        leaflet=str(_l("Een JavaScript-bibliotheek voor interactieve kaarten")),
    )


def init_app(app) -> None:
    """Every map document from now on speaks the request's language."""
    map_chrome.use_chrome(request_chrome)
