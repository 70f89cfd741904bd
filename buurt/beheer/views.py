"""The beheerders' console: groups, queue, members, exports, coverage maps, areas, audit log."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from buurt import audit, bounds
from buurt.areas import files, proposals, restore
from buurt.areas.impact import impact_of
from buurt.areas.imports import NEW_GROUP, ImportChoices, ProposalGone, plan_import
from buurt.areas.occupancy import occupancy_of
from buurt.areas.split import SplitImpossible, split_proposal
from buurt.auth.forms import EmptyForm
from buurt.auth.permissions import (
    can_assign_beheerders,
    can_edit_group,
    can_manage_areas,
    can_manage_group,
    can_read_audit,
    can_use_console,
    can_view_area_history,
    can_view_coverage,
    can_view_overview,
    check,
    require,
)
from buurt.beheer import console as consoles
from buurt.beheer import coverage, editor, exports, maps, queue, scope
from buurt.beheer import settings as group_settings
from buurt.beheer.audit_log import audit_page
from buurt.beheer.forms import (
    AreaUploadForm,
    GroupSettingsForm,
    MemberSearchForm,
    ProposalChoicesForm,
    ProposalConfirmForm,
    ResidentRemoveForm,
    TaskUndoForm,
)
from buurt.csp import map_document_response
from buurt.extensions import db
from buurt.geo.polygons import AreaValidationError, area_m2
from buurt.models import BoundaryGeneration, Group, Resident, ResidentStatus
from buurt.residents import lifecycle
from buurt.tokens import InvalidToken, make_token, read_token

bp = Blueprint("beheer", __name__)


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _group(group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    return group


def _map(html: str) -> Response:
    return map_document_response(html)


# --- overview -----------------------------------------------------------------------------------------


@bp.get("/")
@require(can_use_console)
def index():
    """The groups this user manages, with counts and warnings."""
    sections = consoles.visible_sections(current_user)
    return render_template("beheer/index.html", sections=sections, summaries=[s for _h, ss in sections for s in ss])


@bp.get("/overzicht")
@require(can_view_overview)
def overview():
    """All groups of the neighbourhoods this user may see, a table per neighbourhood, and one map (counts only)."""
    data = coverage.coverage_data(current_user, scope.viewable_neighbourhoods(current_user))
    return render_template("beheer/overview.html", data=data)


def _coverage_choices(hood) -> list:
    """The neighbourhoods the coverage page may switch to (only when there is a choice)."""
    hoods = scope.viewable_neighbourhoods(current_user)
    return hoods if len(hoods) > 1 else []


@bp.get("/dekking")
@require(can_view_coverage)
def coverage_page():
    """Coverage map of one neighbourhood (?buurt=<slug>) with fill, participation, member density and open
    sign-ups, and the same numbers as a table."""
    hood = scope.requested_neighbourhood(current_user, can_view_coverage)
    data = coverage.coverage_data(current_user, hood)
    return render_template(
        "beheer/coverage.html", data=data, focus=None, hood=hood, choices=_coverage_choices(hood), arg=scope.ARG
    )


@bp.get("/groep/<int:group_id>/dekking")
@require(can_view_coverage)
def group_coverage(group_id: int):
    """Coverage of one group: its area highlighted, density and sign-ups of that group only."""
    group = _group(group_id)
    check(can_view_coverage(current_user, group.neighbourhood_id))
    data = coverage.coverage_data(current_user, group.neighbourhood, focus=group)
    return render_template("beheer/coverage.html", data=data, focus=group, hood=group.neighbourhood, choices=[])


@bp.get("/dekking/kaart")
@require(can_view_coverage)
def coverage_map():
    """The coverage map as a standalone document for an iframe: of one neighbourhood (?buurt=<slug>),
    focused on one group (?groep=<id>), or of every neighbourhood this user may see (?alle=1, the overview)."""
    if request.args.get("groep"):
        focus = _group(bounds.arg_id("groep") or 0)  # not an id that can exist: 404
        check(can_view_coverage(current_user, focus.neighbourhood_id))
        data = coverage.coverage_data(current_user, focus.neighbourhood, focus=focus)
    elif request.args.get("alle"):
        data = coverage.coverage_data(current_user, scope.viewable_neighbourhoods(current_user))
    else:
        data = coverage.coverage_data(current_user, scope.requested_neighbourhood(current_user, can_view_coverage))
    return _map(coverage.coverage_document(data))


# --- the console of one group --------------------------------------------------------------------------


#: the session key of the last "Toegevoegd" this user can undo: ids only, never personal data
UNDO_KEY = "beheer.undo"
TASK_UNDO_PURPOSE = "beheer-task-undo"


def _console_page(group: Group, *, query: str = "", status: int = 200, **extra):
    """Render the console of one group (page ?pagina=N of the members, or a name search)."""
    console = consoles.console(group, page=bounds.arg_int("pagina", 1), query=query)
    undo = session.pop(UNDO_KEY, None)
    undo_resident = None
    if isinstance(undo, dict) and undo.get("g") == group.id:
        found = db.session.get(Resident, undo.get("r") or 0)
        if found is not None and found.group_id == group.id and found.status == ResidentStatus.ADDED:
            undo_resident = found
    page = render_template(
        "beheer/group.html",
        search_form=extra.pop("search_form", None) or MemberSearchForm(formdata=None, q=query),
        c=console,
        wa_link=consoles.wa_link,
        welcome=consoles.welcome_text(group),
        waited_days=consoles.waited_days,
        promised_days=consoles.PROMISED_DAYS,
        reason_label=lifecycle.reason_label,
        shown_link=extra.pop("shown_link", None),
        undo_resident=undo_resident,
        undo_task=extra.pop("undo_task", None),
        **extra,
    )
    return page, status


@bp.get("/groep/<int:group_id>")
@require(can_use_console)
def group(group_id: int):
    """The console of one group: queue (oldest first), border sign-ups, waitlist, tasks and a page of members."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    return _console_page(group)


@bp.post("/groep/<int:group_id>/leden/zoeken")
@require(can_use_console)
def search_members(group_id: int):
    """Members whose name contains the text (a POST: a name never lands in a URL or an access log)."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    form = MemberSearchForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            flash(_("Het formulier was verlopen. Probeer het nog eens."), "error")
            return redirect(url_for("beheer.group", group_id=group.id) + "#leden")
        return _console_page(group, search_form=form, status=422)
    return _console_page(group, query=form.q.data or "", search_form=form)


ACTIONS = {
    "toegevoegd": (queue.mark_added, lambda: _("Genoteerd als lid van de WhatsApp-groep.")),
    "niet-bereikbaar": (queue.mark_not_reachable, lambda: _("Genoteerd: niet bereikbaar.")),
    "opnieuw": (queue.requeue, lambda: _("De aanmelding staat weer in de wachtrij.")),
    "doorschuiven": (queue.move_up, lambda: _("De aanmelding is van de wachtlijst naar de wachtrij gegaan.")),
    "grens-goedkeuren": (queue.approve_border, lambda: _("De aanmelding blijft in deze groep.")),
}


@bp.post("/groep/<int:group_id>/bewoner/<int:resident_id>/<action>")
@require(can_use_console)
def resident_action(group_id: int, resident_id: int, action: str):
    """One queue action on one sign-up (POST with CSRF); a second click by someone else has no effect."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    anchor = bounds.safe_fragment(request.form.get("anchor"), "wachtrij")  # never CR/LF into the Location header
    target = url_for("beheer.group", group_id=group.id) + "#" + anchor
    if action != "verwijderen" and not EmptyForm().validate_on_submit():
        flash(_("Het formulier was verlopen. Probeer het nog eens."), "error")
        return redirect(target)
    try:
        if action in ACTIONS:
            function, message = ACTIONS[action]
            done = function(group, resident_id, current_user)
            flash(
                message() if done else _("Dit was al verwerkt (door u of een andere beheerder)."),
                "info" if done else "warning",
            )
            if done and action == "toegevoegd":
                session[UNDO_KEY] = {"g": group.id, "r": resident_id}
        elif action == "ongedaan-maken":
            queue.undo_added(group, resident_id, current_user)
            flash(_("Ongedaan gemaakt: de aanmelding staat weer in de wachtrij."), "info")
        elif action == "verwijderen":
            form = ResidentRemoveForm()
            if not form.validate_on_submit():
                flash(_("Kies een reden om iemand te verwijderen."), "error")
                return redirect(target)
            done = queue.remove(group, resident_id, form.reason.data, form.note.data or "", current_user)
            flash(
                _("De aanmelding is verwijderd.") if done else _("Dit was al verwerkt."), "info" if done else "warning"
            )
        elif action == "naar-buurgroep":
            other = queue.move_to_neighbour(group, resident_id, current_user)
            flash(_("De aanmelding is verplaatst naar %(group)s.", group=other.name), "info")
        elif action == "mijn-gegevens":
            link = queue.my_data_link_for(group, resident_id)
            return _console_page(group, shown_link=(resident_id, link))
        else:
            abort(404)
    except queue.ActionRefused as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(target)


@bp.get("/groep/<int:group_id>/bewoner/<int:resident_id>/verwijderen")
@require(can_use_console)
def remove_form(group_id: int, resident_id: int):
    """Ask for the reason before someone is removed from the group."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.group_id != group.id:
        abort(404)
    audit.record("resident.view", "resident", resident.id, group=group.id)
    db.session.commit()
    return render_template("beheer/remove.html", group=group, r=resident, form=ResidentRemoveForm())


@bp.post("/groep/<int:group_id>/taak/<int:task_id>/klaar")
@require(can_use_console)
def task_done(group_id: int, task_id: int):
    """Mark a WhatsApp task done; the name and number it carried are erased (the page offers an undo)."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    if not EmptyForm().validate_on_submit():
        flash(_("Het formulier was verlopen. Probeer het nog eens."), "error")
        return redirect(url_for("beheer.group", group_id=group.id) + "#taken")
    done = queue.complete_task_undoable(group, task_id, current_user)
    if done is None:
        flash(_("Deze taak was al afgerond."), "warning")
        return redirect(url_for("beheer.group", group_id=group.id) + "#taken")
    # The erased name and number travel only in this page's signed undo form (not in the session
    # cookie, not in the database): the page is the answer to the POST.
    flash(_("Taak afgerond."), "info")
    token = make_token(TASK_UNDO_PURPOSE, {"g": group.id, **done.as_token_data()})
    return _console_page(group, undo_task=(done, token))


@bp.post("/groep/<int:group_id>/taak/ongedaan-maken")
@require(can_use_console)
def task_undo(group_id: int):
    """Undo a mistaken "Gedaan" within BEHEER_UNDO_MINUTES: the task is open again with its name and number."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    target = url_for("beheer.group", group_id=group.id) + "#taken"
    form = TaskUndoForm()
    if not form.validate_on_submit():
        flash(_("Het formulier was verlopen. Probeer het nog eens."), "error")
        return redirect(target)
    max_age = current_app.config["BEHEER_UNDO_MINUTES"] * 60 + 60
    try:
        data = read_token(TASK_UNDO_PURPOSE, form.undo.data, max_age)
        if not isinstance(data, dict) or data.get("g") != group.id:
            raise InvalidToken()
        done = queue.DoneTask.from_token_data(data)
    except (InvalidToken, KeyError, TypeError, ValueError) as error:
        expired = isinstance(error, InvalidToken) and error.expired
        flash(
            _("Die tijd is voorbij; de taak blijft afgerond.")
            if expired
            else _("Dit kan niet ongedaan worden gemaakt. Ververs de pagina."),
            "error",
        )
        return redirect(target)
    try:
        queue.undo_task(group, done, current_user)
        flash(_("Ongedaan gemaakt: de taak staat weer open."), "info")
    except queue.ActionRefused as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(target)


@bp.get("/groep/<int:group_id>/leden.vcf")
@require(can_use_console)
def export_vcard(group_id: int):
    """The members as vCards (3.0, or 4.0 with ?versie=4.0) for the phone's contacts."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    version = "4.0" if request.args.get("versie") == "4.0" else "3.0"
    text, _count = exports.export_vcard(group, version)
    return _vcard_response(text, f"leden-{group.slug}.vcf")


def _vcard_response(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/vcard",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/groep/<int:group_id>/wachtrij.vcf")
@require(can_use_console)
def export_queue_vcard(group_id: int):
    """Everyone in the queue as vCards, to save them as contacts at once (WhatsApp adds saved contacts only)."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    text, _count = exports.export_queue_vcard(group)
    return _vcard_response(text, f"wachtrij-{group.slug}.vcf")


@bp.get("/groep/<int:group_id>/bewoner/<int:resident_id>.vcf")
@require(can_use_console)
def export_resident_vcard(group_id: int, resident_id: int):
    """One person's vCard ("Contact opslaan"); the file name holds a number, not their name."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    text = exports.export_resident_vcard(group, resident_id)
    if text is None:
        abort(404)
    return _vcard_response(text, f"aanmelding-{resident_id}.vcf")


@bp.get("/groep/<int:group_id>/leden.csv")
@require(can_use_console)
def export_csv(group_id: int):
    """The members as a CSV file (semicolons, UTF-8) for a spreadsheet."""
    group = _group(group_id)
    check(can_manage_group(current_user, group))
    text, _count = exports.export_csv(group)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="leden-{group.slug}.csv"'},
    )


@bp.route("/groep/<int:group_id>/instellingen", methods=["GET", "POST"])
@require(can_use_console)
def settings(group_id: int):
    """Name, capacity, WhatsApp invite link and beheerders of a group."""
    group = _group(group_id)
    check(can_edit_group(current_user, group))
    from buurt.auth.services import beheerder_choices

    form = GroupSettingsForm(obj=group if request.method == "GET" else None)
    assign = can_assign_beheerders(current_user, group)
    candidates = beheerder_choices()
    form.beheerders.choices = [SelectChoice(u.id, f"{u.name} ({u.email})") for u in candidates]
    if request.method == "GET":
        form.beheerders.data = [u.id for u in group.beheerders]
    if form.validate_on_submit():
        group_settings.update_settings(
            group,
            name=form.name.data,
            capacity=form.capacity.data,
            invite_link=form.invite_link.data,
            beheerder_ids=form.beheerders.data if assign else None,
        )
        members = occupancy_of(group.id).members
        if members > group.capacity:
            flash(_("Let op: de groep heeft nu meer leden (%(m)d) dan de capaciteit.", m=members), "warning")
        flash(_("De instellingen van %(name)s zijn opgeslagen.", name=group.name), "info")
        return redirect(url_for("beheer.group", group_id=group.id))
    return render_template("beheer/settings.html", group=group, form=form, assign=assign)


# --- areas ----------------------------------------------------------------------------------------------


@bp.get("/gebieden")
@require(can_view_area_history)
def areas():
    """The boundary generations of one neighbourhood (?buurt=<slug>): the current one and the old ones (read-only)."""
    hood = scope.requested_neighbourhood(current_user, can_view_area_history)
    generations = list(
        db.session.scalars(
            db.select(BoundaryGeneration)
            .where(BoundaryGeneration.neighbourhood_id == hood.id, BoundaryGeneration.number.is_not(None))
            .order_by(BoundaryGeneration.number.desc())  # proposals have no number yet
        )
    )
    hoods = scope.viewable_neighbourhoods(current_user)
    return render_template(
        "beheer/areas.html", generations=generations, hood=hood, choices=hoods if len(hoods) > 1 else [], arg=scope.ARG
    )


def _generation(generation_id: int) -> BoundaryGeneration:
    """An activated generation (404 otherwise) of a neighbourhood whose history this user may read (403)."""
    generation = db.session.get(BoundaryGeneration, generation_id)
    if generation is None or generation.number is None:  # a proposal is not (yet) a generation
        abort(404)
    check(can_view_area_history(current_user, generation.neighbourhood_id))
    return generation


@bp.get("/gebieden/<int:generation_id>")
@require(can_view_area_history)
def generation(generation_id: int):
    """One boundary generation, read-only, with its map and a table of areas."""
    return render_template("beheer/generation.html", generation=_generation(generation_id))


@bp.get("/gebieden/<int:generation_id>/kaart")
@require(can_view_area_history)
def generation_map(generation_id: int):
    """Map document of one generation (current generation dashed for comparison)."""
    return _map(maps.generation_document(_generation(generation_id)))


@bp.get("/gebieden/<int:generation_id>.geojson")
@require(can_view_area_history)
def generation_export(generation_id: int):
    """A generation as GeoJSON (the same format the import reads)."""
    generation = _generation(generation_id)
    return Response(
        json.dumps(files.generation_collection(generation), ensure_ascii=False),
        mimetype="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="gebieden-generatie-{generation.number}.geojson"'},
    )


@bp.route("/gebieden/nieuw", methods=["GET", "POST"])
@require(can_manage_areas)
def area_upload():
    """Upload a GeoJSON of new areas for one neighbourhood (?buurt=<slug>, or the form's hidden field);
    it is checked and shown before anything changes."""
    hood = scope.requested_neighbourhood(current_user, can_manage_areas)
    form = AreaUploadForm()
    problems = []
    if form.validate_on_submit():
        limit = current_app.config["AREA_UPLOAD_MAX_BYTES"]
        try:
            data = form.file.data.read(limit + 1)
        finally:
            form.file.data.close()  # a large upload is spooled to a temporary file
        source = (form.file.data.filename or "upload.geojson")[:200]
        try:
            plan_import(data, neighbourhood=hood, source=source, max_bytes=limit)
        except AreaValidationError as error:
            problems = error.problems
            codes = {p.code for p in problems}
            if codes <= CHOOSABLE | ON_THE_MAP:  # the preview can show (on a map) or fix (a choice) these
                found = proposals.save_proposal(
                    data, neighbourhood=hood, source=source, user_id=current_user.id, note=form.note.data or ""
                )
                if codes <= CHOOSABLE:
                    flash(_("Kies hieronder welke eigenschappen de naam en de code van elk gebied geven."), "info")
                else:
                    flash(_("Er is niets veranderd. Hieronder staat op de kaart waar het bestand niet klopt."), "info")
                return redirect(url_for("beheer.proposal", proposal_id=found.id))
        else:
            found = proposals.save_proposal(
                data, neighbourhood=hood, source=source, user_id=current_user.id, note=form.note.data or ""
            )
            return redirect(url_for("beheer.proposal", proposal_id=found.id))
    return render_template("beheer/area_upload.html", form=form, problems=problems, hood=hood, arg=scope.ARG)


#: problems a choice of name/key property on the preview can fix: such an upload is kept as a proposal
CHOOSABLE = frozenset({"missing_name", "duplicate_name", "missing_key", "duplicate_key"})
#: overlaps and gaps too large to straighten (buurt.areas.cleaning): kept as a proposal too, so the
#: preview shows them on a map with what to do
ON_THE_MAP = frozenset({"overlap", "gap", "uncovered", "neighbourhood_overlap"})


def _proposal(proposal_id: int) -> BoundaryGeneration:
    """A waiting proposal (404 otherwise) of a neighbourhood this user coordinates (403)."""
    row = db.session.get(BoundaryGeneration, proposal_id)
    if row is None or not row.is_proposal:
        abort(404)
    check(can_manage_areas(current_user, row.neighbourhood_id))
    found = proposals.load_proposal(proposal_id, neighbourhood=row.neighbourhood)  # an expired one is gone
    if found is None:
        abort(404)
    return found


def _choices_form(found: BoundaryGeneration) -> ProposalChoicesForm:
    options = files.property_options(found.document)
    return ProposalChoicesForm(options.names, options.keys, files.FEATURE_ID)


@bp.get("/gebieden/voorstel/<int:proposal_id>")
@require(can_manage_areas)
def proposal(proposal_id: int):
    """Preview of new areas: old vs new on a map, and who would move to another group."""
    found = _proposal(proposal_id)
    chosen = proposals.choices_of(found)
    choices_form = _choices_form(found)
    choices_form.name_property.data = chosen.name_property or ""
    choices_form.key_property.data = chosen.key_property or ""
    page = {"proposal": found, "choices_form": choices_form, "chosen": chosen, "new_group": NEW_GROUP}
    try:
        plan = proposals.plan_proposal(found)
    except AreaValidationError as error:
        return render_template("beheer/proposal.html", plan=None, problems=error.problems, names={}, **page), 422
    names = proposals.moved_residents(plan)
    page["impact"] = impact_of(plan)
    if names:
        audit.record("residents.view", "area_proposal", found.id, count=len(plan.moves))
        db.session.commit()
    groups = list(
        db.session.scalars(
            db.select(Group).filter_by(neighbourhood_id=plan.neighbourhood_id).order_by(Group.sort_order)
        )
    )
    return render_template(
        "beheer/proposal.html",
        plan=plan,
        problems=[],
        names=names,
        form=ProposalConfirmForm(),
        discard_form=EmptyForm(),
        groups=groups,
        **page,
    )


@bp.post("/gebieden/voorstel/<int:proposal_id>/keuzes")
@require(can_manage_areas)
def proposal_choices(proposal_id: int):
    """Plan the proposal again with the chosen name/key properties and a group per area; keep them when usable."""
    found = _proposal(proposal_id)
    form = _choices_form(found)
    if not form.validate_on_submit():
        flash(_("Deze keuzes konden niet worden gebruikt. Kies uit de lijsten en probeer het opnieuw."), "error")
        return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
    before = proposals.choices_of(found)
    name, key = form.name_property.data or None, form.key_property.data or None
    groups: dict[str, str] = {}
    if key == before.key_property:  # the same keys: the selects (one per area, in order) belong to these areas
        limit = current_app.config["AREA_MAX_FEATURES"]
        pairs = zip(request.form.getlist("gebied")[:limit], request.form.getlist("groep")[:limit], strict=False)
        groups = {area_key[:80]: slug[:80] for area_key, slug in pairs if area_key and slug}
    choices = ImportChoices(name, key, groups)
    try:
        proposals.plan_proposal(found, choices)
    except AreaValidationError as error:
        flash(_("Met deze keuzes kan het bestand niet worden gebruikt; er is niets veranderd."), "error")
        for problem in error.problems[:10]:
            flash(problem.message, "error")
        return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
    proposals.set_choices(found, choices)
    return redirect(url_for("beheer.proposal", proposal_id=proposal_id))


@bp.get("/gebieden/voorstel/<int:proposal_id>/kaart")
@require(can_manage_areas)
def proposal_map(proposal_id: int):
    """Map document: new areas filled, current boundaries dashed; or the problems, highlighted."""
    found = _proposal(proposal_id)
    try:
        plan = proposals.plan_proposal(found)
    except AreaValidationError as error:
        return _map(maps.problem_document(found, error.problems))
    return _map(maps.proposal_document(plan))


@bp.post("/gebieden/voorstel/<int:proposal_id>/bevestigen")
@require(can_manage_areas)
def proposal_confirm(proposal_id: int):
    """Activate the proposal as the new boundary generation and reassign residents."""
    found = _proposal(proposal_id)
    form = ProposalConfirmForm()
    if not form.validate_on_submit():
        flash(_("Het formulier was verlopen. Bevestig nog een keer."), "error")
        return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
    confirm_moves = bool(form.confirm_moves.data)
    try:
        plan = proposals.plan_proposal(found)
    except AreaValidationError:
        plan = None  # confirm_proposal says so below
    if plan is not None and plan.needs_move_confirmation and not confirm_moves:
        flash(
            _(
                "Deze indeling verplaatst %(n)d van de %(m)d bewoners naar een andere groep. Zet het vinkje "
                "onder de lijst als dat de bedoeling is en bevestig opnieuw; er is niets veranderd.",
                n=len(plan.moves),
                m=plan.residents_counted,
            ),
            "error",
        )
        return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
    try:
        result = proposals.confirm_proposal(
            proposal_id, current_user.id, neighbourhood=found.neighbourhood, confirm_moves=confirm_moves
        )
    except ProposalGone:
        abort(404)
    except AreaValidationError:
        flash(_("De indeling kan niet (meer) worden opgeslagen; bekijk de problemen hieronder."), "error")
        return redirect(url_for("beheer.proposal", proposal_id=proposal_id))
    flash(
        " ".join(
            (
                _("Generatie %(n)d is opgeslagen en in gebruik.", n=result.number),
                ngettext(
                    "%(num)d bewoner is naar een andere groep verhuisd.",
                    "%(num)d bewoners zijn naar een andere groep verhuisd.",
                    result.moved,
                ),
                ngettext(
                    "%(num)d WhatsApp-taak staat bij de beheerders.",
                    "%(num)d WhatsApp-taken staan bij de beheerders.",
                    result.tasks,
                ),
            )
        ),
        "info",
    )
    return redirect(url_for("beheer.generation", generation_id=result.generation_id))


@bp.post("/gebieden/voorstel/<int:proposal_id>/annuleren")
@require(can_manage_areas)
def proposal_discard(proposal_id: int):
    """Throw a proposal away; nothing changes."""
    hood = _proposal(proposal_id).neighbourhood
    if EmptyForm().validate_on_submit():
        proposals.discard_proposal(proposal_id, neighbourhood=hood)
        flash(_("Het voorstel is weggegooid; er is niets veranderd."), "info")
    return redirect(url_for("beheer.areas", **{scope.ARG: hood.slug}))


@bp.get("/groep/<int:group_id>/splitsen")
@require(can_manage_areas)
def split(group_id: int):
    """Split proposal for a full group: two parts with about the same number of members; opens in the editor."""
    group = _group(group_id)
    check(can_manage_areas(current_user, group.neighbourhood_id))
    try:
        proposal_ = split_proposal(group)
    except SplitImpossible as error:
        flash(error.message, "error")
        return redirect(url_for("beheer.group", group_id=group.id))
    return render_template(
        "beheer/split.html",
        group=group,
        p=proposal_,
        area_a=area_m2(proposal_.result.part_a),
        area_b=area_m2(proposal_.result.part_b),
    )


@bp.get("/groep/<int:group_id>/splitsen/kaart")
@require(can_manage_areas)
def split_map(group_id: int):
    """Map document of the split proposal: the two parts with their counts, the old area dashed."""
    group = _group(group_id)
    check(can_manage_areas(current_user, group.neighbourhood_id))
    try:
        proposal_ = split_proposal(group)
    except SplitImpossible:
        abort(404)
    return _map(maps.split_document(group, proposal_))


# --- the map editor and undo (issue 17) -------------------------------------------------------------


@bp.route("/gebieden/bewerken", methods=["GET", "POST"])
@require(can_manage_areas)
def area_editor():
    """Edit the areas on the map: move a border, split an area, merge two; the result is a proposal."""
    return editor.editor_page()


@bp.get("/gebieden/bewerken/gebieden.geojson")
@require(can_manage_areas)
def editor_areas():
    """The editor's areas (the current generation, or ?voorstel=<id>'s) as GeoJSON."""
    return editor.editor_areas()


@bp.post("/gebieden/<int:generation_id>/terugzetten")
@require(can_manage_areas)
def generation_restore(generation_id: int):
    """Undo: a proposal equal to this (old) generation, shown in the preview before anything changes."""
    generation = _generation(generation_id)
    check(can_manage_areas(current_user, generation.neighbourhood_id))
    if not EmptyForm().validate_on_submit():
        flash(_("Het formulier was verlopen. Probeer het nog eens."), "error")
        return redirect(url_for("beheer.generation", generation_id=generation_id))
    try:
        found = restore.restore_proposal(generation, current_user.id)
    except restore.RestoreRefused as error:
        flash(error.message, "error")
        return redirect(url_for("beheer.generation", generation_id=generation_id))
    return redirect(url_for("beheer.proposal", proposal_id=found.id))


# --- audit log ----------------------------------------------------------------------------------------


@bp.get("/audit")
@require(can_read_audit)
def audit_log():
    """Who viewed or exported personal data, and who changed what (newest first)."""
    page = audit_page(bounds.arg_int("pagina", 1), request.args.get("actie", "")[:64] or None, user=current_user)
    return render_template("beheer/audit.html", p=page, action=request.args.get("actie") or "")
