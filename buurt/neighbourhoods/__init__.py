"""The neighbourhoods of the gemeente: which one a public page is about, and its URLs (issue 18).

Every neighbourhood's public pages live under its slug: ``/hoornes/``, ``/hoornes/welke-groep``,
``/hoornes/aanmelden``, ``/hoornes/incidenten/openbaar`` … The default neighbourhood
(``NEIGHBOURHOOD_SLUG``, Rijnsoever) keeps its old URLs (``/``, ``/welke-groep`` …) and its links
are built without the prefix; ``/rijnsoever/…`` answers as well.

How (Flask's documented URL-processor pattern):
- a view marked with :func:`per_neighbourhood` gets a second rule, ``/<hood:hood>`` + its rule,
  added in :func:`init_app` once every blueprint is registered;
- ``url_value_preprocessor`` takes ``hood`` out of the view's arguments and puts the neighbourhood
  in ``g`` (404 for an unknown slug), so the views keep their signatures;
- ``url_defaults`` adds the current page's slug to links to other per-neighbourhood pages, so a
  page under ``/hoornes/`` links within Hoornes without passing anything.
:func:`current_neighbourhood` is the page's neighbourhood (the default one on unprefixed URLs).
"""

from __future__ import annotations

import logging

from flask import abort, current_app, g, has_request_context
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BaseConverter

from buurt.extensions import db

log = logging.getLogger(__name__)

#: A slug: what `flask buurt neighbourhoods add` makes of a name (lowercase, digits, hyphens)
SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?"
HOOD_ARG = "hood"
_ENDPOINTS = "buurt.neighbourhood_endpoints"


class HoodConverter(BaseConverter):
    """``<hood:hood>``: a slug-shaped first path segment (fixed paths such as /beheer win over it)."""

    regex = SLUG_PATTERN


def per_neighbourhood(view):
    """Mark a public view as one page per neighbourhood (put it right under ``@bp.route``)."""
    view.per_neighbourhood = True
    return view


def per_neighbourhood_endpoints() -> frozenset[str]:
    return current_app.extensions.get(_ENDPOINTS, frozenset())


def default_slug() -> str:
    return current_app.config["NEIGHBOURHOOD_SLUG"]


def neighbourhood_by_slug(slug: str):
    from buurt.extensions import db
    from buurt.models import Neighbourhood

    return db.session.scalar(db.select(Neighbourhood).filter_by(slug=slug))


def current_neighbourhood():
    """The neighbourhood this request's page is about: from its URL prefix, else the default one.

    Outside a request (CLI, mail jobs): the default one. None only on an empty database.
    """
    if has_request_context():
        if "buurt_neighbourhood" not in g:
            g.buurt_neighbourhood = neighbourhood_by_slug(default_slug())
        return g.buurt_neighbourhood
    return neighbourhood_by_slug(default_slug())


def is_default(hood) -> bool:
    return hood is None or hood.slug == default_slug()


def all_neighbourhoods():
    """Every neighbourhood, in the gemeente page's order (sort_order, then name)."""
    from buurt.extensions import db
    from buurt.models import Neighbourhood

    return list(db.session.scalars(db.select(Neighbourhood).order_by(Neighbourhood.sort_order, Neighbourhood.name)))


def reserved_slugs() -> frozenset[str]:
    """First path segments the site itself uses (beheer, api, static, welke-groep …): never a slug."""
    segments = set()
    for rule in current_app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            segments.add(first.split(".", 1)[0])
    return frozenset(segments)


def init_app(app) -> None:
    """Call after every blueprint is registered: adds the prefixed rules and the URL processors."""
    app.url_map.converters["hood"] = HoodConverter
    endpoints = set()
    for rule in list(app.url_map.iter_rules()):
        view = app.view_functions.get(rule.endpoint)
        if not getattr(view, "per_neighbourhood", False) or HOOD_ARG in rule.arguments:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        # the home "/<slug>/" also answers "/<slug>": no redirect for every slug-shaped unknown path
        # ("/bestaat-niet" stays a plain 404, decided in take_neighbourhood)
        app.add_url_rule(
            f"/<hood:{HOOD_ARG}>{rule.rule}",
            endpoint=rule.endpoint,
            view_func=view,
            methods=methods,
            strict_slashes=False if rule.rule == "/" else None,
        )
        endpoints.add(rule.endpoint)
    app.extensions[_ENDPOINTS] = frozenset(endpoints)

    @app.url_value_preprocessor
    def take_neighbourhood(endpoint, values):
        if not values or HOOD_ARG not in values:
            return
        slug = values.pop(HOOD_ARG)
        try:
            hood = neighbourhood_by_slug(slug)
        except SQLAlchemyError:
            # the database is down: an unknown path must still be the site's own 404 page (which
            # asks no database), not a 500 for every slug-shaped URL
            db.session.rollback()
            log.warning("neighbourhood lookup failed (database unavailable): answered 404")
            hood = None
        if hood is None:
            abort(404)
        g.buurt_neighbourhood = hood

    @app.url_defaults
    def add_neighbourhood(endpoint, values):
        if endpoint not in app.extensions.get(_ENDPOINTS, ()):
            return
        if HOOD_ARG not in values:
            hood = g.get("buurt_neighbourhood") if has_request_context() else None
            if hood is not None:
                values[HOOD_ARG] = hood.slug
        if values.get(HOOD_ARG) in (None, app.config["NEIGHBOURHOOD_SLUG"]):
            values.pop(HOOD_ARG, None)  # the default neighbourhood's pages keep their old URLs
