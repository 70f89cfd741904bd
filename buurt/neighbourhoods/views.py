"""The admin pages of the neighbourhoods (issue 18, point 1): list, add, change (helper B).

Endpoints (blueprint ``neighbourhoods``, prefix /beheer/buurten):
- ``neighbourhoods.index``  GET  /beheer/buurten            the neighbourhoods this user coordinates
- ``neighbourhoods.new``    GET/POST /beheer/buurten/nieuw  add one (gemeente-wide coordinators, admins)
- ``neighbourhoods.edit``   GET/POST /beheer/buurten/<slug> its settings, groups, capacities, invite links,
                                                             beheerders (coordinators of that neighbourhood)
"""

from __future__ import annotations

from flask import Blueprint, abort

from buurt.auth.permissions import can_manage_neighbourhoods, is_coordinator, require

bp = Blueprint("neighbourhoods", __name__)


@bp.get("/")
@require(is_coordinator)
def index():
    abort(404)


@bp.route("/nieuw", methods=["GET", "POST"])
@require(can_manage_neighbourhoods)
def new():
    abort(404)


@bp.route("/<slug>", methods=["GET", "POST"])
@require(is_coordinator)
def edit(slug: str):
    abort(404)
