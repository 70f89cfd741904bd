"""Residents: which group covers my address, the street lists, signing up, and "Mijn gegevens"."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import OperationalError

from buurt.auth.forms import EmptyForm
from buurt.csp import allow_embedded_map
from buurt.errors import busy_message, is_busy
from buurt.extensions import db, limiter
from buurt.geo.geocoding import HouseChoiceNeeded
from buurt.neighbourhoods import current_neighbourhood, is_default, per_neighbourhood
from buurt.once import AlreadySubmitted
from buurt.personal_links import is_opening, posted_token, render_open_page
from buurt.residents import errors, forms, links, maps, phone
from buurt.residents import lookup as lookups
from buurt.residents import my_data as own_data
from buurt.residents import signup as signups
from buurt.tokens import InvalidToken
from buurt.urls import personal_link

bp = Blueprint("residents", __name__)

#: The receipt of the last sign-up from this browser: codes only (SignupReceipt), no personal data.
#: The address of a lookup is never kept in the session (a signed, not encrypted, cookie that the next
#: person on a shared computer would inherit): the answer page posts it to the form (PREFILL_BUTTON).
LAST_SIGNUP = "residents.last_signup"
#: Name of the answer page's "Aanmelden" button: a POST that fills in the form and stores nothing.
PREFILL_BUTTON = "prefill"
#: Its value on the "unknown address" answer: the form opens with the map to point at the house.
PREFILL_MAP = "map"


def _lookup_limit() -> str:
    return current_app.config["RATELIMIT_LOOKUP"]


def _signup_limit() -> str:
    return current_app.config["RATELIMIT_SIGNUP"]


def _private(response):
    """Pages with someone's own data: never cached, never sent on as a referrer."""
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_error(error: InvalidToken, *, purpose: str):
    """A Dutch page for a broken or expired link, with a way forward."""
    if error.expired:
        message = _("Deze link is verlopen.")
    else:
        message = _("Deze link klopt niet (meer). Misschien is hij niet helemaal gekopieerd, of al gebruikt.")
    return render_template("residents/link_error.html", message=message, purpose=purpose), 400


@bp.route("/welke-groep", methods=["GET", "POST"])
@per_neighbourhood
@limiter.limit(_lookup_limit, methods=["POST"])
def lookup():
    """Which group covers my address: a text answer first, then a map of this answer only."""
    form = forms.AddressLookupForm()
    result = map_document = None
    if form.validate_on_submit():
        result = lookups.lookup_address(form.query())
        map_document = maps.lookup_map_document(result)
        allow_embedded_map(map_document)  # the srcdoc map runs under this page's policy
    response = render_template(
        "residents/lookup.html",
        form=form,
        result=result,
        map_document=map_document,
        prefill_form=EmptyForm(),  # the CSRF field of the answer's "Aanmelden" post
        typical=_typical_add_time(),
        result_choice=lookups.choice_view(result.choice) if result and result.choice else None,
        # the short sign-up under a "found" answer (its once token is new: nothing posted yet)
        signup_form=forms.ResidentSignupForm(formdata=None) if result and result.found else None,
    )
    return _private(response)


@bp.get("/welke-groep/straten")
@per_neighbourhood
def streets():
    """Which streets belong to which group, from the address register (text, no map)."""
    return render_template("residents/streets.html", groups=lookups.street_list())


def _is_prefill() -> bool:
    return request.method == "POST" and request.form.get("prefill") in ("1", PREFILL_MAP)  # PREFILL_BUTTON


@bp.route("/aanmelden", methods=["GET", "POST"])
@per_neighbourhood
# every post but the answer page's prefill: the answer must not say which ones stored a row
@limiter.limit(_signup_limit, methods=["POST"], exempt_when=_is_prefill)
def signup():
    """The sign-up form; on success a redirect to the receipt page (no double posts).

    The same answer whether or not the number is already signed up (buurt.residents.signup). A
    routing-only neighbourhood's page has no form: its residents sign up at its own sign-up.
    """
    hood = g.get("buurt_neighbourhood")  # set under a /<slug>/ prefix: no query on the default's busy form
    if hood is not None and hood.routing_only:  # nothing read from the post, nothing stored
        return _private(render_template("residents/signup.html", routing_only=True))
    form = forms.ResidentSignupForm()
    if _is_prefill():  # from the lookup answer: the address in the post body, never in the session
        form = forms.ResidentSignupForm(
            formdata=None,
            postcode=form.postcode.data,
            house_number=form.house_number.data,
            addition=form.addition.data,
        )
        # from the "unknown address" answer: straight to the map to point at the house
        show_pick = request.form.get("prefill") == PREFILL_MAP
        return _private(_signup_page(form, outside=None, show_pick=show_pick, status=200))
    outside = choosing = elsewhere_message = None
    status = 200
    show_pick = bool(form.picked_point())
    if form.validate_on_submit():
        if form.website.data:  # honeypot: say nothing, store nothing
            session.pop(LAST_SIGNUP, None)
            return redirect(url_for(".signup_done"))
        try:
            receipt = signups.sign_up(form.to_data(), once=form.once.data)
        except AlreadySubmitted as first:  # a double tap, or a resubmit after a timeout: the first result
            session[LAST_SIGNUP] = first.outcome or {}
            return redirect(url_for(".signup_done"))
        except OperationalError as error:
            if not is_busy(error):
                raise
            db.session.rollback()  # nothing stored; the form comes back with what they typed
            flash(busy_message(), "warning")
            status = 503
        except errors.AddressNotFound as error:
            form.house_number.errors.append(error.message)
            show_pick = True
        except errors.PickNotConfirmed as error:  # nothing stored: "is this your house?" first
            form.pick_confirmed.errors.append(error.message)
            show_pick = True
        except errors.OutsideCoverage as error:
            outside = error.lookup
        except errors.SignupElsewhere as error:  # a routing-only neighbourhood's address: its own sign-up
            outside, elsewhere_message = error.lookup, error.message
        except HouseChoiceNeeded as needed:  # nothing stored: the form comes back with the choice
            choosing = _offer_choice(form, needed)
        else:
            session[LAST_SIGNUP] = receipt.as_dict()
            return redirect(url_for(".signup_done"))
    return _private(
        _signup_page(
            form,
            outside=outside,
            show_pick=show_pick,
            status=status,
            choosing=choosing,
            elsewhere_message=elsewhere_message,
        )
    )


def _offer_choice(form, needed: HouseChoiceNeeded) -> lookups.ChoiceView:
    """The number has several addresses: the Toevoeging field becomes a choice of them, and the
    number field holds the bare number (a typed "7-4" would not combine with a chosen "1")."""
    form.house_number.data = str(needed.choice.number)
    form.addition.data = ""
    choosing = lookups.choice_view(needed.choice)
    # the choice's question goes in the form's error summary (the one announcement), linked to the choice
    form.addition.errors = [choosing.message]
    return choosing


def _signup_page(form, *, outside, show_pick: bool, status: int, choosing=None, elsewhere_message=None):
    point = form.picked_point() if show_pick else None
    response = render_template(
        "residents/signup.html",
        form=form,
        outside=outside,
        show_pick=show_pick,
        typical=_typical_add_time(),
        choosing=choosing,
        elsewhere_message=elsewhere_message,
        pick_question=signups.picked_place(*point) if point else None,
        pick_start=lookups.postcode_centre(form.postcode.data) if show_pick and not point else None,
        # another neighbourhood's form opens over it (the default's keeps its tested first view)
        pick_centre=lookups.neighbourhood_centre() if show_pick and not is_default(current_neighbourhood()) else None,
        pick_streets=lookups.street_extents() if show_pick else (),
    )
    return response, status


@bp.get("/aanmelden/ontvangen")
@per_neighbourhood
def signup_done():
    """The receipt of the sign-up just sent from this browser: group, room or waitlist, what next.

    From the receipt in the session (what the form said), not from a stored row: the page is the
    same whether or not the number was signed up already. Their status details are in Mijn gegevens.
    """
    receipt = signups.SignupReceipt.from_dict(session.get(LAST_SIGNUP))
    outcome = signups.outcome_of_receipt(receipt) if receipt else None
    response = render_template("residents/signup_done.html", outcome=outcome, typical=_typical_add_time())
    return _private(response)


# Links already mailed carry the token in the path (before issue 13). They still work: the old path
# answers with a redirect to the new link, the token after '#'. That one request is in the access
# log with its token, as it was before; nothing after it is (buurt.personal_links).


@bp.get("/aanmelden/bevestigen/<token>")
def confirm_old_link(token: str):
    """An old confirmation link (token in the path): on to the same link with the token after '#'."""
    return _private(redirect(personal_link("residents.confirm", token, external=False)))


@bp.route("/aanmelden/bevestigen", methods=["GET", "POST"])
def confirm():
    """Double opt-in: the link from the e-mail opens a page with a button; the button confirms."""
    if request.method == "GET":
        return _private(render_open_page(_("Aanmelding bevestigen")))
    token = posted_token()
    form = forms.SignupConfirmForm()
    try:
        if not is_opening() and form.validate_on_submit():
            outcome = signups.confirm_signup(token)
            return _private(render_template("residents/confirmed.html", outcome=outcome, typical=_typical_add_time()))
        resident = links.resident_for_confirmation(token)
    except InvalidToken as error:
        return _link_error(error, purpose="signup")
    confirm_form = forms.SignupConfirmForm(formdata=None)
    return _private(
        render_template("residents/confirm.html", form=confirm_form, token=token, already=resident.email_confirmed_at)
    )


@bp.route("/mijn-gegevens", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def my_data_request():
    """Ask for a signed link to one's own data; the answer is the same whether or not we know you."""
    form = forms.MyDataRequestForm()
    sent = False
    if form.validate_on_submit():
        own_data.request_my_data_link(form.contact.data)
        sent = True
    return render_template("residents/my_data_request.html", form=form, sent=sent)


def _my_data_page(token, resident, data, correct_form=None, delete_form=None, status=200, changed=False, choosing=None):
    if correct_form is None:
        correct_form = forms.MyDataCorrectForm(
            formdata=None,
            name=resident.name,
            phone=phone.display_phone(resident.phone_e164),
            email=resident.email,
            postcode=resident.postcode,
            house_number=str(resident.house_number or ""),
            addition=" ".join(p for p in (resident.house_letter, resident.house_addition) if p),
            household_size=resident.household_size,
        )
    response = render_template(
        "residents/my_data.html",
        token=token,
        resident=resident,
        data=data,
        correct_form=correct_form,
        delete_form=delete_form or forms.MyDataDeleteForm(formdata=None),
        changed=changed,
        status_label=own_data.status_label(resident.status),
        address=own_data.format_address_of(resident),
        phone=phone.display_phone(resident.phone_e164),
        report_link=_report_link(resident),
        choosing=choosing,
    )
    return _private((response, status))


def _report_link(resident) -> str | None:
    """The resident's personal link to report incidents, while they are signed up."""
    from buurt.incidents.reports import REPORTING_STATUSES, report_link

    return report_link(resident, external=False) if resident.status in REPORTING_STATUSES else None


@bp.get("/mijn-gegevens/<token>")
@bp.get("/mijn-gegevens/<token>/download")
def my_data_old_link(token: str):
    """An old "Mijn gegevens" link (token in the path): on to the same link with the token after '#'."""
    return _private(redirect(personal_link("residents.my_data", token, external=False)))


@bp.route("/mijn-gegevens/bekijken", methods=["GET", "POST"])
def my_data():
    """Everything we store about the holder of the link, with download, correct and delete forms."""
    if request.method == "GET":
        return _private(render_open_page(_("Mijn gegevens")))
    token = posted_token()
    try:
        resident, data = own_data.view_my_data(token)
    except InvalidToken as error:
        return _link_error(error, purpose="mydata")
    return _my_data_page(token, resident, data)


@bp.post("/mijn-gegevens/download")
def my_data_download():
    """The same data as a JSON file."""
    token = posted_token()
    try:
        resident, data = own_data.view_my_data(token, download=True)
    except InvalidToken as error:
        return _link_error(error, purpose="mydata")
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="mijn-gegevens-{resident.id}.json"'
    return _private(response)


@bp.post("/mijn-gegevens/wijzigen")
@limiter.limit(_signup_limit)  # a changed number says whether it is signed up elsewhere: not in bulk
def my_data_correct():
    """Correct one's own data; a new address is looked up again and may move you to another group.

    The answer is the page itself (no redirect: it would need the token in its URL).
    """
    token = posted_token()
    form = forms.MyDataCorrectForm()
    choosing = None
    try:
        if form.validate_on_submit():
            try:
                own_data.correct_my_data(token, form.to_correction())
            except errors.DuplicatePhone as error:
                form.phone.errors.append(error.message)
            except (
                errors.AddressNotFound,
                errors.LookupUnavailable,
                errors.OutsideCoverage,
                errors.SignupElsewhere,
            ) as error:
                form.house_number.errors.append(error.message)
            except HouseChoiceNeeded as needed:  # nothing changed: the form comes back with the choice
                choosing = _offer_choice(form, needed)
            else:
                resident, data = own_data.view_my_data(token)
                return _my_data_page(token, resident, data, changed=True)
        resident, data = own_data.view_my_data(token)
    except InvalidToken as error:
        return _link_error(error, purpose="mydata")
    return _my_data_page(token, resident, data, correct_form=form, status=400, choosing=choosing)


@bp.route("/mijn-gegevens/nieuw-adres", methods=["GET", "POST"])
def email_change():
    """The link mailed to a new address typed in Mijn gegevens: opening it makes that address theirs."""
    if request.method == "GET":
        return _private(render_open_page(_("E-mailadres bevestigen")))
    try:
        resident = own_data.confirm_email_change(posted_token())
    except InvalidToken as error:
        return _link_error(error, purpose="mydata")
    return _private(render_template("residents/email_confirmed.html", email=resident.email))


@bp.post("/mijn-gegevens/verwijderen")
def my_data_delete():
    """Delete one's own data (after ticking the confirmation)."""
    token = posted_token()
    form = forms.MyDataDeleteForm()
    try:
        if form.validate_on_submit():
            own_data.delete_my_data(token)
            session.pop(LAST_SIGNUP, None)
            return _private(render_template("residents/my_data_deleted.html"))
        resident, data = own_data.view_my_data(token)
    except InvalidToken as error:
        return _link_error(error, purpose="mydata")
    return _my_data_page(token, resident, data, delete_form=form, status=400)


def _typical_add_time() -> str:
    """'binnen 7 dagen' in the page's language, from config TYPICAL_ADD_DAYS."""
    days = current_app.config["TYPICAL_ADD_DAYS"]
    return ngettext("binnen %(num)d dag", "binnen %(num)d dagen", days)
