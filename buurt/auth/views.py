"""Login and logout."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from urllib.parse import urlsplit

from buurt.auth import services
from buurt.auth.forms import EmptyForm, LoginForm
from buurt.extensions import db, limiter, login_manager
from buurt.models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("beheer.index")


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(lambda: __import__("flask").current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Log in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Dit e-mailadres en wachtwoord horen niet bij elkaar, of het account staat uit."))
        else:
            login_user(user)
            from flask import session

            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/uitloggen")
def logout():
    """Log out (a POST with CSRF, so no other site can log you out)."""
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("main.home"))
