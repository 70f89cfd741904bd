"""Incidents: reporting (residents' link, beheerders), the wijkagent's exact map, and the public picture."""

from __future__ import annotations

import shapely
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from shapely.geometry import shape
from wtforms.fields.choices import SelectChoice

from buurt import audit, bounds
from buurt.areas.services import current_areas
from buurt.auth.forms import EmptyForm
from buurt.auth.permissions import (
    can_export_incidents,
    can_report_incident,
    can_view_incidents_exact,
    check,
    require,
)
from buurt.csp import map_document_response
from buurt.extensions import db, limiter
from buurt.incidents import charts, exports, labels, maps, photos, queries, reports, scope
from buurt.incidents import public as public_picture
from buurt.incidents.errors import IncidentError, InvalidReportLink
from buurt.incidents.forms import (
    IncidentCorrectForm,
    IncidentFilterForm,
    IncidentMergeForm,
    IncidentReportForm,
)
from buurt.models import Incident, IncidentCategory, utcnow
from buurt.neighbourhoods import all_neighbourhoods, current_neighbourhood, per_neighbourhood
from buurt.once import AlreadySubmitted
from buurt.once import previous as previous_once
from buurt.personal_links import is_opening, posted_token, render_open_page
from buurt.photostore import PhotoStoreUnavailable, photo_store
from buurt.times import local_now, local_to_utc, to_local
from buurt.urls import personal_link

bp = Blueprint("incidents", __name__)


def _report_limit() -> str:
    return current_app.config["RATELIMIT_INCIDENT_REPORT"]


# --- the shared filter ---------------------------------------------------------------------------------------


def _filter_form() -> tuple[IncidentFilterForm, queries.IncidentFilter]:
    """The filter form from the query string, and the IncidentFilter it stands for (bad parts ignored).

    Only the neighbourhoods the user sees are offered; with ``buurt`` (a slug) the groups and areas
    are those of that neighbourhood.
    """
    options = queries.filter_options(current_user)
    form = IncidentFilterForm(formdata=request.args)
    form.buurt.choices = [SelectChoice("", _("Alle buurten"))] + [
        SelectChoice(o.neighbourhood.slug, o.neighbourhood.name) for o in options
    ]
    chosen = next((o for o in options if o.neighbourhood.slug == form.buurt.data), None)
    offered = [chosen] if chosen else options
    groups = [g for o in offered for g in o.groups]
    areas = [a for o in offered for a in o.areas]
    form.groep.choices = [SelectChoice("", _("Alle groepen"))] + [SelectChoice(str(g.id), g.name) for g in groups]
    form.gebied.choices = [SelectChoice("", _("Alle gebieden"))] + [SelectChoice(str(a.id), a.name) for a in areas]
    form.periode.choices = [SelectChoice(k, v) for k, v in labels.period_labels().items()]
    if not form.periode.data or form.periode.data not in labels.PERIODS:
        form.periode.data = "30d"
    form.validate()
    valid = {c.value: c for c in labels.CATEGORIES}
    categories = tuple(valid[c] for c in (form.categorie.data or []) if c in valid)
    group_ids, area_ids = {g.id for g in groups}, {a.id for a in areas}
    group_id, area_id = bounds.parse_id(form.groep.data), bounds.parse_id(form.gebied.data)
    group_id = group_id if group_id in group_ids else None
    area_id = area_id if area_id in area_ids else None
    period = form.periode.data
    date_from = form.van.data if not form.van.errors else None
    date_to = form.tot.data if not form.tot.errors else None
    if period == "range" and date_from and date_to and date_to < date_from:
        date_from, date_to = date_to, date_from
    if chosen is None:
        form.buurt.data = ""
    form.offered = offered  # the select's option groups (one per neighbourhood), for the template
    hood = chosen.neighbourhood if chosen else None
    return form, queries.IncidentFilter(
        categories,
        group_id,
        area_id,
        period,
        date_from,
        date_to,
        neighbourhood_id=hood.id if hood else None,
        neighbourhood_slug=hood.slug if hood else None,
        visible=scope.incident_neighbourhood_ids(current_user),
    )


def _filter_summary(form: IncidentFilterForm, f: queries.IncidentFilter) -> list[tuple[str, str]]:
    """The filter in words ("Periode: ...", "Soorten: ..."): above the map, and on paper when printed."""
    offered = form.offered
    groups = [g for o in offered for g in o.groups]
    areas = [a for o in offered for a in o.areas]
    names = labels.category_labels()
    if f.period == "range":
        end = f.date_to.strftime("%d-%m-%Y") if f.date_to else _("vandaag")
        if f.date_from:
            period = _("%(a)s tot en met %(b)s", a=f.date_from.strftime("%d-%m-%Y"), b=end)
        else:
            period = _("tot en met %(b)s", b=end)
    else:
        period = labels.period_labels()[f.period]
    kinds = ", ".join(names[c] for c in labels.CATEGORIES if c in f.categories) if f.categories else _("alle")
    group = next((g.name for g in groups if g.id == f.group_id), _("alle"))
    area = next((a.name for a in areas if a.id == f.area_id), _("alle"))
    summary = [(_("Periode"), period), (_("Soorten"), kinds), (_("Groep"), group), (_("Gebied"), area)]
    if len(form.buurt.choices) > 2 or f.neighbourhood_id:  # more than one neighbourhood to choose from
        hood = next((o.neighbourhood.name for o in offered if o.neighbourhood.id == f.neighbourhood_id), _("alle"))
        summary.insert(2, (_("Buurt"), hood))
    return summary


@bp.get("/")
@require(can_view_incidents_exact)
def index():
    """The wijkagent's incident map with filters, table, chart and exports."""
    form, f = _filter_form()
    now = utcnow()
    page = queries.filtered_page(f, now, bounds.arg_int("pagina", 1))
    counts = queries.monthly_counts(queries.filtered_count_rows(f, now), f, now)
    names = labels.category_labels()
    category_chart = charts.stacked_bar(
        _("Incidenten per maand, per soort"),
        _(
            "Staafdiagram: aantal incidenten per maand, opgedeeld naar soort. "
            "Dezelfde aantallen staan in de tabel eronder."
        ),
        counts.month_labels,
        [(names[c], labels.category_colour(c), v) for c, v in counts.by_category.items() if any(v)],
        chart_id="per-soort",
    )
    area_chart = charts.stacked_bar(
        _("Incidenten per maand, per gebied"),
        _(
            "Staafdiagram: aantal incidenten per maand, opgedeeld naar gebied. "
            "Dezelfde aantallen staan in de tabel eronder."
        ),
        counts.month_labels,
        [(name, charts.PALETTE[k % len(charts.PALETTE)], v) for k, (name, v) in enumerate(counts.by_area.items())],
        chart_id="per-gebied",
    )
    args = f.as_args()
    window = f.window(now)
    return render_template(
        "incidents/index.html",
        form=form,
        filter=f,
        page=page,
        counts=counts,
        names=names,
        category_chart=category_chart,
        area_chart=area_chart,
        args=args,
        map_url=url_for("incidents.map_document", **args),
        IncidentCategory=IncidentCategory,
        window=window,
        summary=_filter_summary(form, f),
        area_labels=queries.area_labels(f.neighbourhood_ids),
        group_items=lambda o: o.groups,
        area_items=lambda o: o.areas,
        total_text=ngettext("%(num)d incident", "%(num)d incidenten", counts.total),
    )


@bp.get("/kaart")
@require(can_view_incidents_exact)
def map_document():
    """The exact incident map (same filters as the page) as a document for the iframe."""
    _form, f = _filter_form()
    response = map_document_response(maps.map_document(f, utcnow()), top_navigation=True)  # "open" links
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/export.<fmt>")
@require(can_export_incidents)
def export(fmt: str):
    """The filtered incidents as CSV or GeoJSON (exactly the rows of the table), logged."""
    if fmt not in ("csv", "geojson"):
        return render_template("errors/error.html", code=404, message=_("Dit exportformaat bestaat niet.")), 404
    _form, f = _filter_form()
    body, _count = exports.export(f, fmt, utcnow())
    mimetype = "text/csv" if fmt == "csv" else "application/geo+json"
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="incidenten-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- one incident -----------------------------------------------------------------------------------------------


def _load(incident_id: int) -> Incident:
    """The incident (404), if the user sees its neighbourhood (403)."""
    incident = db.get_or_404(Incident, incident_id)
    check(scope.can_view_incident(current_user, incident))
    return incident


def _may_moderate(incident: Incident) -> bool:
    return scope.can_moderate(current_user, incident)


def _correct_form(incident: Incident) -> IncidentCorrectForm:
    local = to_local(incident.occurred_at)
    return IncidentCorrectForm(
        formdata=None,
        category=IncidentCategory(incident.category).value,
        occurred_date=local.date(),
        occurred_time=local.time().replace(second=0, microsecond=0),
        description=incident.description,
    )


def _render_detail(incident: Incident, correct_form=None, merge_form=None, status=200):
    duplicates = reports.possible_duplicates(incident) if incident.status == "visible" else []
    duplicates = [(other, d) for other, d in duplicates if scope.can_view_incident(current_user, other)]
    return render_template(
        "incidents/detail.html",
        incident=incident,
        names=labels.category_labels(),
        duplicates=duplicates,
        correct_form=correct_form or _correct_form(incident),
        merge_form=merge_form or IncidentMergeForm(),
        empty_form=EmptyForm(),
        IncidentCategory=IncidentCategory,
        may_moderate=_may_moderate,
        neighbourhood_name=_neighbourhood_name(incident),
    ), status


def _neighbourhood_name(incident: Incident) -> str | None:
    """The incident's neighbourhood, named on its page when the site has more than one."""
    hoods = all_neighbourhoods()
    if len(hoods) < 2:
        return None
    nid = scope.incident_neighbourhood_id(incident)
    return next((h.name for h in hoods if h.id == nid), None)


@bp.get("/<int:incident_id>")
@require(can_view_incidents_exact)
def detail(incident_id: int):
    """One incident with its details, possible duplicates and (for beheerders) corrections."""
    incident = _load(incident_id)
    audit.record("incidents.view", "incident", incident.id, commit=True)
    return _render_detail(incident)


@bp.get("/<int:incident_id>/foto")
@require(can_view_incidents_exact)
def photo(incident_id: int):
    """The photo of an incident: beheerders and wijkagenten only, never cached."""
    incident = _load(incident_id)
    try:
        data = photo_store(current_app).read(incident.photo_filename or "")
    except PhotoStoreUnavailable:
        message = _("De foto kan nu niet worden geladen. Probeer het over een paar minuten opnieuw.")
        return render_template("errors/error.html", code=503, message=message), 503
    if data is None:
        return render_template("errors/error.html", code=404, message=_("Bij dit incident hoort geen foto.")), 404
    audit.record("incidents.photo", "incident", incident.id, commit=True)
    response = Response(data, mimetype=incident.photo_mime or "application/octet-stream")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/<int:incident_id>/corrigeren")
@require(can_view_incidents_exact)
def correct(incident_id: int):
    """Correct category, time, description or location."""
    incident = _load(incident_id)
    check(_may_moderate(incident))
    form = IncidentCorrectForm()
    if not form.validate():
        return _render_detail(incident, correct_form=form, status=200)
    try:
        change = reports.Correction(
            IncidentCategory(form.category.data),
            local_to_utc(form.occurred_date.data, form.occurred_time.data),
            form.description.data or "",
            _float(form.lat.data),
            _float(form.lon.data),
            form.address.data or "",
        )
        changed = reports.correct_incident(incident, change)
    except IncidentError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render_detail(incident, correct_form=form, status=200)
    flash(_("Correctie opgeslagen.") if changed else _("Er was niets veranderd."), "success")
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.post("/<int:incident_id>/samenvoegen")
@require(can_view_incidents_exact)
def merge(incident_id: int):
    """Merge this report into another (the other one stays)."""
    incident = _load(incident_id)
    check(_may_moderate(incident))
    form = IncidentMergeForm()
    if not form.validate():
        return _render_detail(incident, merge_form=form, status=200)
    keep = db.session.get(Incident, form.keep_id.data)
    if keep is None:
        form.keep_id.errors.append(_("Er is geen incident met dit nummer."))
        return _render_detail(incident, merge_form=form, status=200)
    check(_may_moderate(keep))
    try:
        reports.merge_incident(incident, keep)
    except IncidentError as error:
        form.form_errors.append(error.message)
        return _render_detail(incident, merge_form=form, status=200)
    flash(_("Incident #%(a)d is samengevoegd met #%(b)d.", a=incident.id, b=keep.id), "success")
    return redirect(url_for("incidents.detail", incident_id=keep.id))


@bp.post("/<int:incident_id>/verbergen")
@require(can_view_incidents_exact)
def hide(incident_id: int):
    """Hide a report (it stays in the database, out of maps, counts and exports)."""
    incident = _load(incident_id)
    check(_may_moderate(incident))
    if not EmptyForm().validate():
        return _render_detail(incident, status=200)
    try:
        reports.hide_incident(incident)
    except IncidentError as error:
        flash(error.message, "error")
    else:
        flash(_("Incident verborgen."), "success")
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.post("/<int:incident_id>/herstellen")
@require(can_view_incidents_exact)
def restore(incident_id: int):
    """Make a hidden or merged report visible again."""
    incident = _load(incident_id)
    check(_may_moderate(incident))
    if not EmptyForm().validate():
        return _render_detail(incident, status=200)
    reports.restore_incident(incident)
    flash(_("Het incident is weer zichtbaar."), "success")
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.post("/<int:incident_id>/verwijderen")
@require(can_view_incidents_exact)
def delete(incident_id: int):
    """Delete a report for good, with its photo (hiding keeps it; this does not)."""
    from buurt.retention.forget import delete_incident_by_staff

    incident = _load(incident_id)
    check(_may_moderate(incident))
    if not EmptyForm().validate():
        return _render_detail(incident, status=200)
    delete_incident_by_staff(incident)
    flash(_("Incident #%(id)d is verwijderd.", id=incident_id), "success")
    return redirect(url_for("incidents.index"))


# --- reporting ----------------------------------------------------------------------------------------------------


def _staff_hood_ids() -> frozenset[int] | None:
    """Where a logged-in reporter's map opens: their neighbourhoods (gemeente-wide: the whole gemeente)."""
    ids = scope.incident_neighbourhood_ids(current_user)
    return ids or None


def _report_map(neighbourhood_ids: frozenset[int] | None) -> dict:
    """The report map's opening view: the middle of these neighbourhoods' areas (None: of every area).

    The point chosen may lie in any neighbourhood: the report is placed over all of them.
    """
    shapes = [
        a.geometry for a in current_areas().areas if not neighbourhood_ids or a.neighbourhood_id in neighbourhood_ids
    ]
    if not shapes:
        return {"map_centre": "52.2118,4.4235", "map_zoom": 15}  # Rijnsoever, where the site began
    min_lon, min_lat, max_lon, max_lat = shapely.GeometryCollection([shape(g) for g in shapes]).bounds
    wide = max(max_lon - min_lon, (max_lat - min_lat) * 1.6)
    zoom = 15 if wide < 0.03 else 14 if wide < 0.06 else 13 if wide < 0.12 else 12
    return {"map_centre": f"{(min_lat + max_lat) / 2:.5f},{(min_lon + max_lon) / 2:.5f}", "map_zoom": zoom}


def _float(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _new_report_form() -> IncidentReportForm:
    form = IncidentReportForm()
    if request.method == "GET":
        now = local_now()
        form.occurred_date.data = now.date()
        form.occurred_time.data = now.time()
    return form


def _handle_report(form: IncidentReportForm, *, resident=None):
    """Validate and store; returns an Incident or None (errors are on the form).

    Raises AlreadySubmitted when this form was posted before (a double tap, a resubmit).
    """
    if not form.validate_on_submit():
        return None
    first = previous_once(form.once.data, reports.REPORT_FORM_PURPOSE)
    if first is not None:  # answer early: no second photo check or address lookup
        raise AlreadySubmitted(first)
    upload = form.photo.data
    data = None
    if upload and getattr(upload, "filename", ""):
        try:
            data = photos.read_limited(upload.stream, current_app.config["UPLOAD_MAX_BYTES"])
        except photos.PhotoRejected as error:
            form.photo.errors = [error.message]
            return None
    try:
        report = reports.ReportInput(
            category=IncidentCategory(form.category.data),
            occurred_at=local_to_utc(form.occurred_date.data, form.occurred_time.data),
            description=form.description.data or "",
            police_called=form.police_called.data == "ja",
            lat=_float(form.lat.data),
            lon=_float(form.lon.data),
            address=form.address.data or "",
            details=form.details(),
            photo=data,
        )
        return reports.report_incident(
            report, user=None if resident else current_user, resident=resident, once=form.once.data
        )
    except IncidentError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return None


@bp.route("/melden", methods=["GET", "POST"])
@require(can_report_incident)
@limiter.limit(_report_limit, methods=["POST"])
def report():
    """A beheerder or coordinator logs an incident (also what was reported in the WhatsApp group)."""
    form = _new_report_form()
    try:
        incident = _handle_report(form)
    except AlreadySubmitted as submitted:  # the same answer as the first post
        incident_id = (submitted.outcome or {}).get("incident_id")
        if not incident_id:
            return redirect(url_for("incidents.report"))
        flash(_("Incident #%(id)d opgeslagen.", id=incident_id), "success")
        return redirect(url_for("incidents.detail", incident_id=incident_id))
    if incident is not None:
        flash(_("Incident #%(id)d opgeslagen.", id=incident.id), "success")
        return redirect(url_for("incidents.detail", incident_id=incident.id))
    # A form shown again with its errors is a normal page (200), as browsers and screen readers expect.
    return render_template(
        "incidents/report.html", form=form, resident=None, outside_allowed=True, **_report_map(_staff_hood_ids())
    )


# Report links already given out carry the token in the path (before issue 13; they live a year).
# They still work: the old path answers with a redirect to the new link, the token after '#'. That
# one request is in the access log with its token, as it was before; nothing after it is
# (buurt.personal_links).


@bp.get("/melden/<token>")
@bp.get("/melden/<token>/bedankt")
def report_old_link(token: str):
    """An old report link (token in the path): on to the same link with the token after '#'."""
    return redirect(personal_link("incidents.report_resident", token, external=False))


@bp.route("/melden/bewoner", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"], exempt_when=is_opening)
def report_resident():
    """A signed-up resident reports an incident with their personal link (the token in the post body).

    The thank-you page is this post's answer, not a redirect: that would need the token in its URL.
    A resubmit (reload, double tap) stores nothing new and thanks again (buurt.once).
    """
    if request.method == "GET":
        return render_open_page(_("Incident melden"))
    token = posted_token()
    try:
        resident = reports.resident_for_report(token)
    except InvalidReportLink as error:
        return render_template("incidents/link_invalid.html", message=error.message), 403
    if is_opening():
        form = IncidentReportForm(formdata=None)
        now = local_now()
        form.occurred_date.data, form.occurred_time.data = now.date(), now.time()
        return _resident_report_page(form, resident, token)
    form = _new_report_form()
    try:
        incident = _handle_report(form, resident=resident)
    except AlreadySubmitted:  # the same answer as the first post
        incident = True
    if incident is not None:
        return _private(render_template("incidents/thanks.html", token=token))
    return _resident_report_page(form, resident, token)


def _resident_report_page(form: IncidentReportForm, resident, token: str):
    hood_ids = frozenset({resident.group.neighbourhood_id}) if resident.group is not None else None
    page = render_template(
        "incidents/report.html",
        form=form,
        resident=resident,
        outside_allowed=False,
        token=token,
        **_report_map(hood_ids),
    )
    return _private(page)


def _private(page):
    """A page that carries a personal token: never cached, never sent on as a referrer."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- the public picture ------------------------------------------------------------------------------------------


def _public_period() -> str:
    return bounds.arg_choice("periode", labels.PUBLIC_PERIODS, "3m")


@bp.get("/openbaar")
@per_neighbourhood
def public():
    """The public, blurred picture: counts per area and category, and a coarse grid map."""
    hood = current_neighbourhood()
    picture = public_picture.public_picture(map_period=_public_period(), neighbourhood=hood)
    return render_template(
        "incidents/public.html",
        hood=hood,
        picture=picture,
        names=labels.category_labels(),
        categories=labels.CATEGORIES,
        period_names=labels.period_labels(),
    )


@bp.get("/openbaar/kaart")
@per_neighbourhood
def public_map():
    """The public grid map as a document for the iframe (cells and counts only)."""
    response = map_document_response(
        maps.cached_public_map_document(_public_period(), neighbourhood=current_neighbourhood())
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/openbaar.json")
@per_neighbourhood
def public_json():
    """The public summary as JSON: counts per area/category and blurred cells; never exact places or text."""
    hood = current_neighbourhood()
    picture = public_picture.public_picture(map_period=_public_period(), neighbourhood=hood)
    response = current_app.json.response(public_picture.public_json(picture, hood))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
