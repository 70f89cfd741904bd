"""Police alerts (meldingen): enter, route to groups, forward, close, and the history."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from shapely.geometry import shape

from buurt import bounds
from buurt.areas.services import current_areas, gemeente_outline, in_gemeente
from buurt.auth.forms import EmptyForm
from buurt.auth.permissions import (
    can_close_melding,
    can_enter_melding,
    can_forward_to,
    can_open_melding,
    can_view_meldingen,
    check,
    is_coordinator,
    melding_scope,
    require,
)
from buurt.csp import map_document_response
from buurt.extensions import db
from buurt.meldingen import history, services
from buurt.meldingen.errors import MeldingError
from buurt.meldingen.forms import MeldingCloseForm, MeldingCreateForm, MeldingFilterForm
from buurt.meldingen.location import Suggestion, resolve_location, suggest_locations
from buurt.meldingen.maps import melding_map_document
from buurt.meldingen.routing import format_distance, melding_no_target_message, outside_gemeente_message
from buurt.models import Melding, MeldingCategory
from buurt.once import AlreadySubmitted
from buurt.once import claim as claim_once
from buurt.once import previous as previous_once
from buurt.once import record as record_once

bp = Blueprint("meldingen", __name__)


def _filters(form: MeldingFilterForm, hood_ids: dict[str, int]) -> history.MeldingFilter:
    form.validate()
    valid = not (form.since.errors or form.until.errors)  # a stray group or buurt value keeps the dates
    category = form.category.data if form.category.data in {c.value for c in MeldingCategory} else None
    group = form.group.data if form.group.data in {value for value, _label in form.group.choices[1:]} else None
    status = form.status.data if form.status.data in ("open", "closed") else None
    return history.MeldingFilter(
        since=form.since.data if valid else None,
        until=form.until.data if valid else None,
        category=MeldingCategory(category) if category else None,
        group_id=int(group) if group else None,
        status=status,
        neighbourhood_id=hood_ids.get(form.buurt.data) if isinstance(form.buurt.data, str) else None,
    )


@bp.get("/")
@require(can_view_meldingen)
def index():
    """The meldingen this user may see, with filters on period, category, neighbourhood, group and status."""
    form = MeldingFilterForm(request.args)
    label = services.group_labels()
    form.group.choices = [("", _("Alle groepen"))] + [
        (str(g.id), label(g)) for g in history.filter_groups(current_user)
    ]
    hoods = history.filter_neighbourhoods(current_user)
    form.buurt.choices = [("", _("Alle buurten"))] + [(h.slug, h.name) for h in hoods]
    page = bounds.arg_int("pagina", 1)
    filters = _filters(form, {h.slug: h.id for h in hoods} if len(hoods) > 1 else {})
    pagination = history.list_meldingen(current_user, filters, page=max(page, 1))
    args = {k: v for k, v in request.args.items() if k != "pagina" and v}
    return render_template(
        "meldingen/index.html",
        form=form,
        pagination=pagination,
        args=args,
        services=services,
        group_label=label,
        several_hoods=len(hoods) > 1,
    )


def _already_saved(outcome: dict | None):
    """The answer to a second post of the same entry form: the melding the first post stored."""
    flash(_("Deze melding was al opgeslagen."), "warning")
    melding_id = (outcome or {}).get("melding_id")
    return redirect(url_for(".detail", melding_id=melding_id) if melding_id else url_for(".index"))


def _suggestions(form: MeldingCreateForm) -> list[Suggestion]:
    if (form.location.data or "").strip() or form.lat.data is not None:
        return []
    return suggest_locations(form.received_text.data or "")


def _picker_view() -> tuple[float, float, int]:
    """Where the point picker opens (lat, lon, zoom): over the areas of this person's neighbourhoods
    (a beheerder's groups', a coordinator's), over every neighbourhood's areas for those who see all,
    or over the gemeente when there are none. Any point can still be picked: they enter meldingen anywhere."""
    scope = melding_scope(current_user)
    hoods = None
    if scope is not None and not scope.everything:
        hoods = set(scope.neighbourhood_ids) | {g.neighbourhood_id for g in current_user.groups}
    boxes = [shape(a.geometry).bounds for a in current_areas().areas if hoods is None or a.neighbourhood_id in hoods]
    if boxes:
        min_lon, min_lat = min(b[0] for b in boxes), min(b[1] for b in boxes)
        max_lon, max_lat = max(b[2] for b in boxes), max(b[3] for b in boxes)
    else:
        min_lon, min_lat, max_lon, max_lat = gemeente_outline().bounds
    extent_m = max((max_lat - min_lat) * 111_000, (max_lon - min_lon) * 68_000)  # ~52° N
    zoom = 14 if extent_m < 3000 else 13 if extent_m < 6000 else 12
    return (min_lat + max_lat) / 2, (min_lon + max_lon) / 2, zoom


def _render_new(form: MeldingCreateForm, suggestions: list[Suggestion], status: int = 200):
    return render_template("meldingen/new.html", form=form, suggestions=suggestions, picker=_picker_view()), status


@bp.route("/nieuw", methods=["GET", "POST"])
@require(can_enter_melding)
def new():
    """Enter a melding: the text as received, category, time, location and radius."""
    form = MeldingCreateForm()
    chosen = request.form.get("use_location")
    if chosen:  # a suggestion taken without JavaScript: fill it in and show the form again
        form.location.data = chosen[:200]
        form.lat.data = form.lon.data = None
        return _render_new(form, [])
    if request.form.get("action") == "suggest":
        suggestions = suggest_locations(form.received_text.data or "")
        if not suggestions:
            flash(_("In de tekst staat geen straat uit het adresregister. Vul de locatie zelf in."), "warning")
        return _render_new(form, suggestions)
    if form.validate_on_submit():
        first = previous_once(form.once.data, services.MELDING_CREATE)
        if first is not None:  # a double tap or a resubmit: no second geocoding, no second melding
            return _already_saved(first)
        try:
            location = resolve_location(
                form.location.data, form.lat.data, form.lon.data, received_text=form.received_text.data
            )
            melding = services.create_melding(
                user=current_user,
                received_text=form.received_text.data,
                category=form.category.data,
                occurred_at=form.occurred_at.data,
                location=location,
                radius_m=form.radius_m.data,
                once=form.once.data,
            )
        except AlreadySubmitted as submitted:
            return _already_saved(submitted.outcome)
        except MeldingError as error:
            db.session.rollback()
            form.location.errors = [*form.location.errors, error.message]
        else:
            flash(_("De melding is opgeslagen. Stuur de tekst door naar de groepen hieronder."), "success")
            return redirect(url_for(".detail", melding_id=melding.id))
    status = 200 if request.method == "GET" else 422
    return _render_new(form, _suggestions(form), status)


@bp.post("/locatie-voorstel")
@require(can_enter_melding)
def suggest():
    """Streets and addresses from the register that a pasted police text mentions (JSON)."""
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) and isinstance(data.get("text"), str) else ""
    suggestions = suggest_locations(text[:4000])
    return jsonify(suggestions=[{"value": s.value, "label": s.label} for s in suggestions])


def _load(melding_id: int) -> Melding:
    melding = db.get_or_404(Melding, melding_id)
    check(can_open_melding(current_user, melding))
    return melding


def _load_target(melding: Melding, group_id: int):
    target = services.get_target(melding, group_id)
    if target is None:
        abort(404)
    check(can_forward_to(current_user, target.group))
    return target


@bp.get("/<int:melding_id>")
@require(can_view_meldingen)
def detail(melding_id: int):
    """One melding: the map and list of groups, a text per group, who forwarded it, and the timeline."""
    melding = _load(melding_id)
    return _render_detail(melding, MeldingCloseForm())


def _render_detail(melding: Melding, close_form: MeldingCloseForm, status: int = 200):
    """The detail page: this person's own groups' texts first (routing order), then the map and the rest."""
    own, others = services.own_first(
        services.forward_texts(melding), lambda target: can_forward_to(current_user, target.group)
    )
    label = services.group_labels()
    return render_template(
        "meldingen/detail.html",
        melding=melding,
        services=services,
        group_label=label,
        targets_per_hood=services.per_neighbourhood(t for t in melding.targets if not t.is_neighbour),
        neighbours_per_hood=services.per_neighbourhood(t for t in melding.targets if t.is_neighbour),
        outside_gemeente=None if in_gemeente(melding.lat, melding.lon) else outside_gemeente_message(),
        format_distance=format_distance,
        own_texts=own,
        other_texts=others,
        coordinator=is_coordinator(current_user),
        closing_texts=services.closing_texts(melding) if status == 200 else [],
        waiting=services.waiting_groups(melding),
        timeline=history.timeline(melding, label),
        no_target=melding_no_target_message(melding),
        close_form=close_form,
        action_form=EmptyForm(),
        mail=services.mail_summary(melding),
        closing_mail=services.mail_summary(melding, closing=True),
    ), status


@bp.get("/<int:melding_id>/kaart")
@require(can_view_meldingen)
def map_document(melding_id: int):
    """The result map of one melding as a document for an iframe."""
    melding = _load(melding_id)
    return map_document_response(melding_map_document(melding))


@bp.post("/<int:melding_id>/doorgestuurd/<int:group_id>")
@require(can_view_meldingen)
def forward(melding_id: int, group_id: int):
    """Mark the melding as forwarded into one group."""
    melding = _load(melding_id)
    target = _load_target(melding, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changed = services.mark_forwarded(melding, target, current_user)
    except MeldingError as error:
        flash(error.message, "warning")
    else:
        if changed:
            done = _("Gemarkeerd: doorgestuurd naar %(group)s.", group=services.group_labels()(target.group))
            flash(f"{done} {services.undo_hint(target.forwarded_at) or ''}".strip(), "success")
        else:
            flash(
                _("%(group)s was al gemarkeerd als doorgestuurd.", group=services.group_labels()(target.group)),
                "warning",
            )
    return redirect(url_for(".detail", melding_id=melding.id) + f"#groep-{group_id}")


@bp.post("/<int:melding_id>/afmelden")
@require(can_view_meldingen)
def close(melding_id: int):
    """Close the melding with a result; the closing texts per group follow."""
    melding = _load(melding_id)
    check(can_close_melding(current_user, melding))
    form = MeldingCloseForm()
    if form.validate_on_submit():
        try:
            # the form's token first: the same form posted twice closes once (the second waits, then stops here)
            record_once(claim_once(form.once.data, services.MELDING_CLOSE), melding_id=melding.id)
            services.close_melding(melding, current_user, form.result.data, form.note.data)
        except AlreadySubmitted:
            flash(_("Deze melding is al afgemeld."), "warning")
        except MeldingError as error:
            db.session.rollback()
            flash(error.message, "warning")
        else:
            flash(_("De melding is afgemeld. Stuur de afmelding door naar de groepen."), "success")
        return redirect(url_for(".detail", melding_id=melding.id) + "#afmelding")
    return _render_detail(melding, form, 422)


@bp.post("/<int:melding_id>/afmelding-doorgestuurd/<int:group_id>")
@require(can_view_meldingen)
def close_forward(melding_id: int, group_id: int):
    """Mark the closing text as forwarded into one group."""
    melding = _load(melding_id)
    target = _load_target(melding, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        changed = services.mark_close_forwarded(melding, target, current_user)
    except MeldingError as error:
        flash(error.message, "warning")
    else:
        if changed:
            done = _("Gemarkeerd: afmelding doorgestuurd naar %(group)s.", group=services.group_labels()(target.group))
            flash(f"{done} {services.undo_hint(target.close_forwarded_at) or ''}".strip(), "success")
        else:
            flash(
                _("De afmelding voor %(group)s was al gemarkeerd.", group=services.group_labels()(target.group)),
                "warning",
            )
    return redirect(url_for(".detail", melding_id=melding.id) + f"#afmelding-{group_id}")


@bp.post("/<int:melding_id>/doorgestuurd/<int:group_id>/ongedaan")
@require(can_view_meldingen)
def undo_forward(melding_id: int, group_id: int):
    """Take back a mistaken "Doorgestuurd" for one group, within MELDING_UNDO_MINUTES."""
    return _undo(melding_id, group_id, closing=False)


@bp.post("/<int:melding_id>/afmelding-doorgestuurd/<int:group_id>/ongedaan")
@require(can_view_meldingen)
def undo_close_forward(melding_id: int, group_id: int):
    """Take back a mistaken "Afmelding doorgestuurd" for one group, within MELDING_UNDO_MINUTES."""
    return _undo(melding_id, group_id, closing=True)


def _undo(melding_id: int, group_id: int, *, closing: bool):
    melding = _load(melding_id)
    target = _load_target(melding, group_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    name = services.group_labels()(target.group)
    try:
        changed = services.undo_forwarded(melding, target, current_user, closing=closing)
    except MeldingError as error:
        flash(error.message, "warning")
    else:
        if changed and closing:
            flash(_("Teruggezet: afmelding nog niet doorgestuurd naar %(group)s.", group=name), "success")
        elif changed:
            flash(_("Teruggezet: nog niet doorgestuurd naar %(group)s.", group=name), "success")
        else:
            flash(_("Voor %(group)s stond niets als doorgestuurd.", group=name), "warning")
    if not can_open_melding(current_user, melding):  # it went to a neighbour group of theirs only
        return redirect(url_for(".index"))
    anchor = f"#afmelding-{group_id}" if closing else f"#groep-{group_id}"
    return redirect(url_for(".detail", melding_id=melding.id) + anchor)
