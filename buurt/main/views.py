"""Home page, coverage map document, privacy statement and group rules."""

from flask import Blueprint, abort, current_app, render_template

from buurt.csp import map_document_response
from buurt.main import privacy as privacy_statement
from buurt.main import services
from buurt.neighbourhoods import per_neighbourhood

bp = Blueprint("main", __name__)


@bp.get("/")
@per_neighbourhood
def home():
    """Explain BuurtWhatsApp Rijnsoever and show the groups with their fill level."""
    groups = services.public_groups()
    return render_template("main/home.html", groups=groups, contact=current_app.config["CONTACT_EMAIL"])


@bp.get("/kaart/dekking")
@per_neighbourhood
def coverage_map():
    """The public coverage map as a standalone document for an iframe (no personal data)."""
    return map_document_response(services.coverage_map_document())


@bp.get("/buurten")
def gemeente():
    """Every neighbourhood of the gemeente on one map with its fill level, and as a list (helper C)."""
    abort(404)


@bp.get("/buurten/kaart")
def gemeente_map():
    """The gemeente map as a standalone document for the iframe (helper C)."""
    abort(404)


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
