"""Blueprints, template helpers and CLI commands: how the features plug into the app."""

from urllib.parse import urlencode

from flask import request
from flask_login import current_user
from werkzeug.urls import iri_to_uri

from buurt import neighbourhoods
from buurt.auth import permissions
from buurt.times import format_local


def init_app(app) -> None:
    """Register every blueprint and the helpers templates rely on."""
    from buurt import cli
    from buurt.api.views import bp as api_bp
    from buurt.auth.views import bp as auth_bp
    from buurt.auth.views import landing_url
    from buurt.beheer.views import bp as beheer_bp
    from buurt.demo import demo_data_present
    from buurt.incidents.views import bp as incidents_bp
    from buurt.main.views import bp as main_bp
    from buurt.meldingen.views import bp as meldingen_bp
    from buurt.neighbourhoods.views import bp as neighbourhoods_bp
    from buurt.ops.views import bp as ops_bp
    from buurt.residents.views import bp as residents_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(residents_bp)
    app.register_blueprint(beheer_bp, url_prefix="/beheer")
    app.register_blueprint(neighbourhoods_bp, url_prefix="/beheer/buurten")
    app.register_blueprint(meldingen_bp, url_prefix="/meldingen")
    app.register_blueprint(incidents_bp, url_prefix="/incidenten")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    neighbourhoods.init_app(app)  # after the blueprints: it copies their per-neighbourhood rules
    cli.init_app(app)
    app.add_template_filter(format_local, "local")

    @app.context_processor
    def template_helpers():
        from flask_babel import get_locale

        return {
            **permissions.TEMPLATE_PREDICATES,
            "user": current_user,
            "demo_data_present": demo_data_present,
            "error_page": False,  # errors.render_error sets it: the error page never asks the database
            "current_locale": str(get_locale()),
            "language_url": language_url,
            "landing_url": landing_url,
            "current_neighbourhood": neighbourhoods.current_neighbourhood,
        }


def language_url(language: str) -> str:
    """This page's URL in `language`: its path and query string (filters, paging) kept, `lang` set."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return iri_to_uri(request.script_root + request.path) + "?" + urlencode([*args, ("lang", language)])
