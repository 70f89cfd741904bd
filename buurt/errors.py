"""Error pages in the site's style; a 500 rolls back the session and never shows exception text."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from buurt.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: lambda: _("Dat verzoek begrijpen we niet. Controleer wat u invulde en probeer het opnieuw."),
    403: lambda: _("U heeft geen toegang tot deze pagina. Log in met een account dat wel toegang heeft."),
    404: lambda: _("Deze pagina bestaat niet (meer). Ga terug naar de startpagina."),
    405: lambda: _("Deze actie kan zo niet worden uitgevoerd."),
    413: lambda: _("Het bestand is te groot. Kies een kleiner bestand en probeer het opnieuw."),
    429: lambda: _("U heeft dit te vaak geprobeerd. Wacht even en probeer het later opnieuw."),
    500: lambda: _("Er ging bij ons iets mis. Uw gegevens zijn niet half opgeslagen; probeer het zo nog eens."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if wants_json():
        return jsonify(error=message, status=code), code
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app) -> None:
    """Register the handlers for HTTP errors and for anything unexpected."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, CSRFError):
            return render_error(400, _("Het formulier was verlopen. Vul het opnieuw in; er is niets opgeslagen."))
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        log.error("unexpected error on %s %s", request.method, request.endpoint)
        return render_error(500)
