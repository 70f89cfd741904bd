"""Login, logout, password reset by e-mail and password change."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from buurt.auth import services, sessions, throttle
from buurt.auth.forms import EmptyForm, LoginForm, PasswordChangeForm, PasswordSetForm, ResetRequestForm
from buurt.auth.permissions import can_use_console, can_view_incidents_exact, is_staff, require
from buurt.extensions import limiter, login_manager
from buurt.models import User
from buurt.personal_links import is_opening, posted_token, render_open_page
from buurt.urls import personal_link

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_account_key() -> str:
    """Reset requests counted per e-mail address (a keyed hash), from any client: mail to one
    beheerder cannot be flooded from many addresses."""
    return "reset:" + throttle.account_hash(request.form.get("email", "")[:254])


@login_manager.user_loader
def load_user(user_id: str):
    """A login counts while its server-side session is open and fresh (buurt.auth.sessions)."""
    return sessions.user_for_session(session.get(sessions.SESSION_KEY), user_id)


@bp.before_app_request
def load_login_first():
    """Check the login before any view runs: the check may commit (last seen, expiry), and must
    never commit half of a view's work, as it could when a template first asks for the user.
    Not for /static, and not for a URL without a view (404, 405): no view work to protect there, and
    the error page must not depend on the database."""
    if request.routing_exception is None and request.endpoint != "static" and sessions.SESSION_KEY in session:
        current_user._get_current_object()


def landing_url(user) -> str:
    """Where a user starts after logging in."""
    if can_use_console(user):
        return url_for("beheer.index")
    if can_view_incidents_exact(user):
        return url_for("incidents.index")
    return url_for("main.home")


def _safe_next(target: str | None, user) -> str:
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()  # no CR/LF (a 500 in the Location header), NUL or other controls
        and len(target) <= 2000
    ):
        return target
    return landing_url(user)


def _start_session(user: User) -> None:
    """A new login with a new server-side session; nothing of the visitor's session before it survives."""
    session.clear()
    token = sessions.start_session(user)
    login_user(user)
    session[sessions.SESSION_KEY] = token
    session.permanent = True  # the cookie outlives a browser restart; the server-side session decides


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        attempt = throttle.LoginAttempt.start(form.email.data)  # per account, beside the per-client limit
        if not attempt.allowed:
            form.password.errors.append(
                _("Te vaak een verkeerd wachtwoord voor dit e-mailadres. Probeer het later opnieuw.")
            )
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(
                _("Dit e-mailadres en wachtwoord horen niet bij elkaar, of het account staat uit.")
            )
        else:
            lang = session.get("lang")
            _start_session(user)
            if lang:
                session["lang"] = lang
            return attempt.succeeded(redirect(_safe_next(request.args.get("next"), user)), form.email.data)
    return render_template("auth/login.html", form=form)


@bp.post("/uitloggen")
def logout():
    """Log out (a POST with CSRF, so no other site can log you out)."""
    if EmptyForm().validate_on_submit():
        sessions.end_session(session.get(sessions.SESSION_KEY))  # every copy of the cookie stops working
        logout_user()
        session.clear()
        flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("main.home"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET_ACCOUNT"], key_func=_reset_account_key, methods=["POST"])
def reset_request():
    """Ask for a link to choose a new password."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.send_reset_mail(form.email.data)
        flash(
            _(
                "Als dit adres bij een account hoort, is er nu een mail met een link onderweg. "
                "Geen mail binnen 10 minuten? Kijk in de spammap of vraag de coördinator."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


# Reset links already mailed carry the token in the path (before issue 13). Within their two hours
# they still work: the old path answers with a redirect to the new link, the token after '#'. That
# one request is in the access log with its token, as it was before; nothing after it is
# (buurt.personal_links).


@bp.get("/wachtwoord-herstellen/<token>")
def reset_password_old_link(token: str):
    """An old reset link (token in the path): on to the same link with the token after '#'."""
    return redirect(personal_link("auth.reset_password", token, external=False))


@bp.route("/wachtwoord-herstellen", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], exempt_when=is_opening)
def reset_password():
    """Choose a new password through a link from the reset mail (the token in the post body)."""
    if request.method == "GET":
        return render_open_page(_("Nieuw wachtwoord kiezen"))
    token = posted_token()
    try:
        user = services.user_from_reset_token(token)
    except services.AccountError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.reset_request"))
    if is_opening():
        return render_template("auth/reset_password.html", form=PasswordSetForm(formdata=None), token=token)
    form = PasswordSetForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data)
        except services.AccountError as error:
            form.password.errors.append(error.message)
        else:
            _start_session(user)
            flash(_("Uw nieuwe wachtwoord is opgeslagen. U bent ingelogd."), "info")
            return redirect(landing_url(user))
    return render_template("auth/reset_password.html", form=form, token=token)


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@require(is_staff)
def change_password():
    """Change your own password; your other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except services.AccountError as error:
            target = form.current if isinstance(error, services.WrongPassword) else form.password
            target.errors.append(error.message)
        else:
            _start_session(current_user._get_current_object())
            flash(_("Uw wachtwoord is gewijzigd. Andere sessies zijn afgemeld."), "info")
            return redirect(landing_url(current_user))
    return render_template("auth/change_password.html", form=form)
