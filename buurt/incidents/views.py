"""Incidents. (Filled in by the incidents issue.)"""

from flask import Blueprint, render_template

from buurt.auth.permissions import can_view_incidents_exact, require

bp = Blueprint("incidents", __name__)


@bp.get("/")
@require(can_view_incidents_exact)
def index():
    """The wijkagent's incident map."""
    return render_template("placeholder.html", title="Incidenten")


@bp.get("/openbaar")
def public():
    """The public, blurred picture."""
    return render_template("placeholder.html", title="Wat gebeurt er?")
