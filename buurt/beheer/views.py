"""The beheerders' console. (Filled in by the beheerders issue.)"""

from flask import Blueprint, render_template

from buurt.auth.permissions import can_use_console, require

bp = Blueprint("beheer", __name__)


@bp.get("/")
@require(can_use_console)
def index():
    """Overview of the groups this user manages."""
    return render_template("placeholder.html", title="Beheer")
