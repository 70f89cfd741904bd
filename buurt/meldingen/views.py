"""Police alerts (meldingen). (Filled in by the meldingen issue.)"""

from flask import Blueprint, render_template

from buurt.auth.permissions import can_view_meldingen, require

bp = Blueprint("meldingen", __name__)


@bp.get("/")
@require(can_view_meldingen)
def index():
    """List of meldingen."""
    return render_template("placeholder.html", title="Meldingen")
