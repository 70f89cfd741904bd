"""The admin pages of the neighbourhoods (issue 18, point 1): list, add, change (helper B).

Endpoints (blueprint ``neighbourhoods``, prefix /beheer/buurten):
- ``neighbourhoods.index``  GET  /beheer/buurten            the neighbourhoods this user coordinates
- ``neighbourhoods.new``    GET/POST /beheer/buurten/nieuw  add one (gemeente-wide coordinators, admins)
- ``neighbourhoods.edit``   GET/POST /beheer/buurten/<slug> its settings, groups and areas (coordinators of
                                                             that neighbourhood and gemeente-wide ones)
Group name, capacity, invite link and beheerders stay on the group's own settings page (beheer.settings).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from buurt.areas import files
from buurt.areas.services import groups_of
from buurt.auth.permissions import (
    can_manage_neighbourhoods,
    check,
    coordinated_neighbourhood_ids,
    coordinates,
    is_coordinator,
    require,
)
from buurt.beheer import console as consoles
from buurt.extensions import db
from buurt.geo.polygons import AreaValidationError, load_json
from buurt.models import Neighbourhood
from buurt.neighbourhoods import all_neighbourhoods, neighbourhood_by_slug
from buurt.neighbourhoods import services as hoods
from buurt.neighbourhoods.forms import NeighbourhoodAddForm, NeighbourhoodSettingsForm

bp = Blueprint("neighbourhoods", __name__)


@dataclass(frozen=True, slots=True)
class HoodSummary:
    """One neighbourhood on the list: its groups' counts (no personal data)."""

    hood: Neighbourhood
    groups: list  # consoles.GroupSummary, in display order

    @property
    def members(self) -> int:
        return sum(s.occupancy.members for s in self.groups)

    @property
    def capacity(self) -> int:
        return sum(s.group.capacity for s in self.groups)


def _summaries(hood_list: list[Neighbourhood]) -> list[HoodSummary]:
    per_hood = {h.id: groups_of(h) for h in hood_list}
    counted = {s.group.id: s for s in consoles.summaries([g for gs in per_hood.values() for g in gs])}
    return [HoodSummary(h, [counted[g.id] for g in per_hood[h.id]]) for h in hood_list]


def _visible(user) -> list[Neighbourhood]:
    ids = coordinated_neighbourhood_ids(user)
    return [h for h in all_neighbourhoods() if ids is None or h.id in ids]


def _hood(slug: str) -> Neighbourhood:
    hood = neighbourhood_by_slug(slug)
    if hood is None:
        abort(404)
    return hood


@bp.get("/")
@require(is_coordinator)
def index():
    """The neighbourhoods this user coordinates, each with its groups, households and links."""
    return render_template("neighbourhoods/index.html", summaries=_summaries(_visible(current_user)))


# --- adding ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wijk:
    name: str
    buurten: list  # hoods.CatalogueBuurt


def _taken() -> dict[str, str]:
    """CBS buurtcode -> the name of the neighbourhood made of it."""
    return {code: hood.name for code, hood in hoods.buurt_owners().items()}


def _wijken(catalogue) -> list[Wijk]:
    """The catalogue grouped by wijk, in buurtcode order (a wijk's buurten share its code's prefix)."""
    wijken: dict[str, list] = {}
    for buurt in catalogue:
        wijken.setdefault(buurt.wijk or "", []).append(buurt)
    return [Wijk(name, buurten) for name, buurten in wijken.items()]


class _FileRefused(Exception):
    def __init__(self, message: str):
        self.message = message


def _read_boundary(storage) -> dict:
    """The uploaded boundary file as GeoJSON, within the area upload's size limit."""
    limit = current_app.config["AREA_UPLOAD_MAX_BYTES"]
    data = storage.read(limit + 1)
    if len(data) > limit:
        raise _FileRefused(
            _(
                "Het bestand is groter dan %(kb)d kB. Vereenvoudig de vormen of kies CBS-buurten uit de lijst.",
                kb=limit // 1000,
            )
        )
    try:
        document = load_json(data, limit)
    except AreaValidationError as error:
        raise _FileRefused(" ".join(p.message for p in error.problems)) from None
    if not isinstance(document, dict):
        raise _FileRefused(_("Het bestand is geen GeoJSON FeatureCollection. Kies een ander bestand."))
    return document


@bp.route("/nieuw", methods=["GET", "POST"])
@require(can_manage_neighbourhoods)
def new():
    """Add a neighbourhood from ticked CBS buurten or a boundary file; refused: the form again, nothing stored."""
    catalogue = hoods.cbs_catalogue()
    taken = _taken()
    form = NeighbourhoodAddForm(taken=taken)
    form.buurten.choices = [SelectChoice(b.code, f"{b.code} {b.name}") for b in catalogue]
    status = 200
    if request.method == "POST":
        status = 422
        try:
            added = _add(form)
        finally:
            for upload in request.files.values():
                upload.close()  # a large upload is spooled to a temporary file; also when it was not read
        if added is not None:
            count = len(groups_of(added))
            flash(
                ngettext(
                    "%(name)s is toegevoegd, met %(num)d groep.",
                    "%(name)s is toegevoegd, met %(num)d groepen.",
                    count,
                    name=added.name,
                ),
                "info",
            )
            return redirect(url_for("neighbourhoods.edit", slug=added.slug))
    page = render_template(
        "neighbourhoods/new.html",
        form=form,
        wijken=_wijken(catalogue),
        taken=taken,
        chosen=set(form.buurten.data or ()),
    )
    return page, status


def _add(form: NeighbourhoodAddForm) -> Neighbourhood | None:
    """The neighbourhood the form adds, or None (the form then carries the Dutch reason)."""
    if not form.validate_on_submit():
        return None
    try:
        boundary = _read_boundary(form.boundary.data) if not form.buurten.data else None
        spec = hoods.NeighbourhoodSpec(
            name=form.name.data.strip(),
            slug=form.slug.data or None,
            buurten=tuple(form.buurten.data or ()),
            boundary=boundary,
            groups=form.groups_choice(),
            capacity=form.capacity.data,
            contact_email=(form.contact_email.data or "").strip() or None,
            routing_only=bool(form.routing_only.data),
            signup_url=form.signup_url.data or None,
        )
        return hoods.add_neighbourhood(spec, user_id=current_user.id)
    except (hoods.NeighbourhoodRefused, _FileRefused) as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return None


# --- one neighbourhood ------------------------------------------------------------------------------


@bp.route("/<slug>", methods=["GET", "POST"])
@require(is_coordinator)
def edit(slug: str):
    """One neighbourhood: its settings, its groups (each with a link to its settings) and its areas."""
    hood = _hood(slug)
    check(coordinates(current_user, hood.id))
    gemeente = can_manage_neighbourhoods(current_user)
    form = NeighbourhoodSettingsForm(obj=hood if request.method == "GET" else None)
    if not gemeente:
        del form.sort_order  # the order of the gemeente page is the gemeente's
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            changes = {
                "name": form.name.data.strip(),
                "contact_email": (form.contact_email.data or "").strip() or None,
                "routing_only": bool(form.routing_only.data),
                "signup_url": form.signup_url.data or None,
            }
            if gemeente and form.sort_order.data is not None:
                changes["sort_order"] = form.sort_order.data
            try:
                hoods.update_neighbourhood(hood, user_id=current_user.id, **changes)
            except hoods.NeighbourhoodRefused as error:
                db.session.rollback()
                form.form_errors.append(error.message)
            else:
                flash(_("De instellingen van %(name)s zijn opgeslagen.", name=hood.name), "info")
                return redirect(url_for("neighbourhoods.edit", slug=hood.slug))
    generation = files.current_generation(hood)
    areas = list(generation.areas) if generation is not None else []
    page = render_template(
        "neighbourhoods/edit.html",
        hood=hood,
        form=form,
        summary=_summaries([hood])[0],
        areas=areas,
        generation=generation,
    )
    return page, status
