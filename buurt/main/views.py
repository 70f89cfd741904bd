"""Home page, coverage map document, privacy statement and group rules."""

from flask import Blueprint, current_app, g, has_request_context, render_template
from flask_babel import gettext as _
from sqlalchemy import inspect

from buurt.csp import map_document_response
from buurt.main import privacy as privacy_statement
from buurt.main import services
from buurt.neighbourhoods import current_neighbourhood, per_neighbourhood

bp = Blueprint("main", __name__)


@bp.app_context_processor
def site_name_helper() -> dict:
    return {"site_name_for": site_name_for}


def site_name_for(error_page: bool = False) -> str:
    """The site name "BuurtWhatsApp <neighbourhood>" for the page's neighbourhood (base.html's title and brand).

    An error page must not ask the database (it may be the reason for the error): it names the
    neighbourhood only when the request already loaded it, and never loads an expired attribute.
    """
    if error_page:
        hood = g.get("buurt_neighbourhood") if has_request_context() else None
        name = inspect(hood).dict.get("name") if hood is not None else None
    else:
        hood = current_neighbourhood()
        name = hood.name if hood is not None else None
    if not name:
        return _("BuurtWhatsApp Rijnsoever")
    return _("BuurtWhatsApp %(name)s", name=name)


@bp.get("/")
@per_neighbourhood
def home():
    """A neighbourhood's home: its groups with their fill level, or where its own sign-up is."""
    hood = current_neighbourhood()
    groups = services.public_groups(hood) if hood is not None else []
    contact = (hood.contact_email if hood is not None else None) or current_app.config["CONTACT_EMAIL"]
    return render_template(
        "main/home.html",
        hood=hood,
        groups=groups,
        contact=contact,
        signup_link=services.safe_link(hood.signup_url) if hood is not None else None,
        gemeente=current_app.config["GEMEENTE_NAME"],
    )


@bp.get("/kaart/dekking")
@per_neighbourhood
def coverage_map():
    """The public coverage map as a standalone document for an iframe (no personal data)."""
    return map_document_response(services.coverage_map_document(current_neighbourhood()))


@bp.get("/buurten")
def gemeente():
    """Every neighbourhood of the gemeente on one map with its fill level, and as a table per neighbourhood."""
    return render_template(
        "main/gemeente.html",
        neighbourhoods=services.public_neighbourhoods(),
        uncovered=services.uncovered_buurten(),
        gemeente=current_app.config["GEMEENTE_NAME"],
    )


@bp.get("/buurten/kaart")
def gemeente_map():
    """The gemeente map as a standalone document for the iframe (no personal data)."""
    return map_document_response(services.gemeente_map_document())


@bp.get("/privacy")
def privacy():
    """The privacy statement (AVG art. 13): what is stored, why, on which ground, who sees it, how long."""
    return render_template("main/privacy.html", statement=privacy_statement.statement(current_app.config))


@bp.get("/regels")
def rules():
    """The group rules, with SAAR, and the version a resident agrees to."""
    return render_template(
        "main/rules.html", version=privacy_statement.version("rules", current_app.config["RULES_VERSION"])
    )
