"""The map editor's pages (issue 17, point 1): the editor page, its areas as GeoJSON, an edit posted.

The routes are in :mod:`buurt.beheer.views` (``beheer.area_editor``, ``beheer.editor_areas``, both
for coordinators only); the work is :mod:`buurt.areas.editor`. A GET shows the current
generation's areas, or a waiting proposal's (``?voorstel=<id>``), or opens with a group's split
proposal drawn as a line (``?splits=<group_id>``). A POST runs the edit and redirects to the
proposal's preview; a refused edit shows the page again (422) with the Dutch reason and every
input kept, and stores nothing.
"""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from buurt import bounds
from buurt.areas import editor as service
from buurt.areas.split import SplitImpossible
from buurt.auth.permissions import can_manage_areas, check
from buurt.beheer import scope
from buurt.beheer.maps import PALETTE
from buurt.extensions import db
from buurt.models import BoundaryGeneration, Group, Neighbourhood


class AreaEditForm(FlaskForm):
    """One edit on the map: move a border, split an area, or merge two (the line as text rows)."""

    bewerking = RadioField(
        _l("Wat wilt u doen?"),
        choices=[
            SelectChoice(service.GRENS, _l("De grens tussen twee gebieden verleggen")),
            SelectChoice(service.SPLITSEN, _l("Een gebied in tweeën splitsen")),
            SelectChoice(service.SAMENVOEGEN, _l("Twee gebieden samenvoegen")),
        ],
        default=service.GRENS,
        validate_choice=False,  # the service refuses an unknown edit with a Dutch sentence
    )
    gebied_a = SelectField(_l("Eerste gebied"), choices=[], validate_choice=False)
    gebied_b = SelectField(_l("Tweede gebied"), choices=[], validate_choice=False)
    lijn = TextAreaField(
        _l("De lijn (één punt per regel: breedtegraad, lengtegraad)"),
        validators=[Optional()],
    )
    nieuwe_naam = StringField(
        _l("Naam van het nieuwe deel (bij splitsen)"),
        validators=[Optional(), Length(max=service.MAX_NAME, message=_l("Een naam van hoogstens 80 tekens."))],
    )
    nieuwe_groep = SelectField(_l("Groep van het nieuwe deel (bij splitsen)"), choices=[], validate_choice=False)
    voorstel = HiddenField()

    def set_choices(self, base: service.EditBase | None) -> None:
        """The selects' options from the base (areas, and the groups a new part can join)."""
        areas = base.areas if base is not None else []
        area_choices = [SelectChoice("", _("— kies een gebied —"))] + [
            SelectChoice(a.key, f"{a.name} ({a.group_name})") for a in areas
        ]
        self.gebied_a.choices = area_choices
        self.gebied_b.choices = area_choices
        groups = base.group_options() if base is not None else []
        self.nieuwe_groep.choices = [SelectChoice("", _("een nieuwe groep"))] + [
            SelectChoice(slug, name) for slug, name, _id in groups
        ]


class _AreaRow:
    """One row of the editor's area list (key, name, group name, map colour)."""

    __slots__ = ("colour", "group_name", "group_slug", "key", "name")

    def __init__(self, area: service.EditArea, colour: str):
        self.key = area.key
        self.name = area.name
        self.group_name = area.group_name
        self.group_slug = area.group_slug
        self.colour = colour


def _base_label(base: service.EditBase | None) -> str:
    if base is None:
        return _("geen indeling")
    if base.proposal is not None:
        return _("het voorstel dat nog niet is bevestigd (%(source)s)", source=base.proposal.source or "")
    if base.generation is not None and base.generation.number is not None:
        return _("de huidige indeling (generatie %(n)d)", n=base.generation.number)
    return _("de huidige indeling")


def _render(
    form: AreaEditForm,
    base: service.EditBase | None,
    hood: Neighbourhood,
    error: str | None = None,
    status: int = 200,
):
    proposal_id = base.proposal.id if base is not None and base.proposal is not None else None
    form.voorstel.data = str(proposal_id) if proposal_id else ""
    areas = [_AreaRow(a, PALETTE[i % len(PALETTE)]) for i, a in enumerate(base.areas if base else [])]
    if proposal_id:
        areas_url = url_for("beheer.editor_areas", voorstel=proposal_id)
    else:
        areas_url = url_for("beheer.editor_areas", **{scope.ARG: hood.slug})
    page = render_template(
        "beheer/editor.html",
        hood=hood,
        form=form,
        areas=areas,
        areas_url=areas_url,
        base_label=_base_label(base),
        proposal_id=proposal_id,
        error=error,
        snap_m=current_app.config["AREA_EDIT_SNAP_M"],
    )
    return page, status


def _proposal_arg() -> int | None:
    """``?voorstel=``: None when absent; 404 when it is no id."""
    raw = request.args.get("voorstel")
    if raw is None or raw == "":
        return None
    found = bounds.parse_id(raw)
    if found is None:
        abort(404)
    return found


def _hood_of_proposal(proposal_id: int) -> Neighbourhood:
    """The neighbourhood of a waiting proposal (404 when there is none by that id; 403 unless this
    user coordinates it): a proposal is edited against its own neighbourhood's areas, whatever ?buurt= says."""
    row = db.session.get(BoundaryGeneration, proposal_id)
    if row is None or not row.is_proposal:
        abort(404)
    check(can_manage_areas(current_user, row.neighbourhood_id))
    return row.neighbourhood


def _page_hood(proposal_id: int | None) -> Neighbourhood:
    """The neighbourhood the editor works on: the proposal's, else ?buurt= (or the form's field), else
    the user's own."""
    if proposal_id is not None:
        return _hood_of_proposal(proposal_id)
    return scope.requested_neighbourhood(current_user, can_manage_areas)


def editor_page():
    """GET/POST /beheer/gebieden/bewerken."""
    if request.method == "POST":
        return _post()
    proposal_id = _proposal_arg()
    splits = request.args.get("splits")
    group = None
    if splits is not None and proposal_id is None:  # the split of one group: its neighbourhood
        group_id = bounds.parse_id(splits)
        group = db.session.get(Group, group_id) if group_id is not None else None
        if group is None:
            abort(404)
        check(can_manage_areas(current_user, group.neighbourhood_id))
        hood = group.neighbourhood
    else:
        hood = _page_hood(proposal_id)
    try:
        base = service.load_base(proposal_id, neighbourhood=hood)
    except service.ProposalGone:
        abort(404)
    except service.EditRefused as refused:
        if proposal_id is not None:  # the preview shows the proposal's problems
            flash(refused.message, "error")
            return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
        form = AreaEditForm()
        form.set_choices(None)
        return _render(form, None, hood, refused.message)
    form = AreaEditForm()
    if group is not None:
        try:
            prefill = service.split_prefill(group)
        except SplitImpossible as error:
            flash(error.message, "error")
            return redirect(url_for("beheer.group", group_id=group.id))
        form = AreaEditForm(
            bewerking=service.SPLITSEN,
            gebied_a=prefill.area_key,
            gebied_b="",
            lijn=prefill.text,
            nieuwe_naam=prefill.new_name,
            nieuwe_groep="",
        )
    form.set_choices(base)
    return _render(form, base, hood)


def _post():
    form = AreaEditForm()
    raw = (form.voorstel.data or "").strip()
    proposal_id = bounds.parse_id(raw) if raw else None
    row = db.session.get(BoundaryGeneration, proposal_id) if proposal_id is not None else None
    if row is not None and row.is_proposal:
        hood = _hood_of_proposal(row.id)
    else:  # no proposal (any more): the neighbourhood the form was shown for
        hood = scope.requested_neighbourhood(current_user, can_manage_areas)
    try:
        if raw and proposal_id is None:  # a tampered hidden field: no proposal by that name
            raise service.ProposalGone(raw)
        base = service.load_base(proposal_id, neighbourhood=hood)
    except (service.ProposalGone, service.EditRefused) as gone:
        try:
            base = service.load_base(None, neighbourhood=hood)
        except service.EditRefused as refused:
            form.set_choices(None)
            return _render(form, None, hood, refused.message, 422)
        form.set_choices(base)
        message = (
            _(
                "Het voorstel dat u bewerkte is er niet meer (bevestigd, weggegooid of verlopen). Hieronder staat "
                "de huidige indeling; er is niets opgeslagen."
            )
            if isinstance(gone, service.ProposalGone)
            else gone.message
        )
        return _render(form, base, hood, message, 422)
    form.set_choices(base)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            message = _("Het formulier was verlopen. Probeer het nog eens; er is niets opgeslagen.")
        else:
            message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _render(form, base, hood, message, 422)
    edit = service.Edit(
        operation=(form.bewerking.data or "").strip(),
        a=(form.gebied_a.data or "").strip(),
        b=(form.gebied_b.data or "").strip(),
        line=form.lijn.data or "",
        new_name=form.nieuwe_naam.data or "",
        new_group=(form.nieuwe_groep.data or "").strip(),
    )
    try:
        found = service.apply_edit(base, edit, user_id=current_user.id)
    except service.EditRefused as refused:
        db.session.rollback()
        return _render(form, base, hood, refused.message, 422)
    return redirect(url_for("beheer.proposal", proposal_id=found.id))


def editor_areas():
    """GET /beheer/gebieden/bewerken/gebieden.geojson."""
    proposal_id = _proposal_arg()
    hood = _page_hood(proposal_id)
    try:
        base = service.load_base(proposal_id, neighbourhood=hood)
    except service.ProposalGone:
        abort(404)
    except service.EditRefused:
        if proposal_id is not None:
            abort(404)
        base = None
    if base is None:
        document = {"type": "FeatureCollection", "features": [], "buitenrand": None}
    else:
        document = service.base_collection(base, list(PALETTE))
    return Response(json.dumps(document, ensure_ascii=False), mimetype="application/geo+json")
