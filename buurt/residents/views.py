"""Residents: which group covers my address, sign-up, my data. (Filled in by the residents issue.)"""

from flask import Blueprint, render_template

bp = Blueprint("residents", __name__)


@bp.get("/welke-groep")
def lookup():
    """Which group covers my address."""
    return render_template("placeholder.html", title="Welke groep?")


@bp.get("/aanmelden")
def signup():
    """Sign up for a group."""
    return render_template("placeholder.html", title="Aanmelden")
