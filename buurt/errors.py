"""Error pages in the site's style. They render without the database and never show exception text.

An unexpected exception rolls the session back and is logged with what a developer needs: its
type, the types it was raised from, the tracebacks, the method and the endpoint. Never its message
and never the URL: database errors carry SQL and bound values (phone numbers, addresses; the engine
hides bound values, but PostgreSQL's own message quotes the key of a unique violation) and URLs
carry postcodes and tokens. When even the error page cannot be rendered (the database is down and
a logged-in user's account cannot be loaded, say), a static page answers with the same status.

The same holds for what Flask, gunicorn and Flask-Limiter log themselves (issue 13): an exception
that escapes the handlers (an after-request hook that fails, a failing error page's finishing
touches) is logged by Flask with the URL and the exception's text, and gunicorn logs the URL of a
request that failed outside the app. ExceptionTypesOnly, on their loggers, turns such a record into
the types and frames of describe(), without its arguments.
"""

import logging
import traceback

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError, SQLAlchemyError
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
    503: lambda: _("Het is nu erg druk op de site. Er is niets opgeslagen; probeer het over een minuut opnieuw."),
}
#: How long a client should wait before trying again after a busy database (Retry-After, seconds).
BUSY_RETRY_AFTER = 30
#: What a database says when it is too busy for this request (lower case): SQLite's busy_timeout ran
#: out; PostgreSQL's lock or statement timeout, or no connection slot left.
BUSY_SIGNS = (
    "database is locked",
    "lock timeout",
    "statement timeout",
    "too many clients",
    "remaining connection slots",
)

# The last resort: no template, no translation, no database. Styled like the site (colours of
# static/css/site.css), self-contained so it shows even when static files do not.
FALLBACK_PAGE = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Er ging iets mis · BuurtWhatsApp Rijnsoever</title>
<style>
body { margin: 0; font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f23; background: #f6f7f9; }
header { background: #0b6e4f; color: #fff; padding: .75rem 1rem; font-weight: 700; font-size: 1.15rem; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin-top: 0; }
a { color: #0b6e4f; }
footer { color: #57606a; font-size: .9rem; }
</style>
</head>
<body>
<header>BuurtWhatsApp Rijnsoever</header>
<main>
<section>
<h1>Er ging iets mis</h1>
<p>Deze pagina kan nu niet worden getoond. Er is niets half opgeslagen; probeer het over een paar minuten opnieuw.</p>
<p><a href="$home">Naar de startpagina</a></p>
<p lang="en">Something went wrong on our side. Please try again in a few minutes.</p>
</section>
<footer><p>Ziet u iets verdachts? Bel eerst <a href="tel:112">112</a>, meld het daarna in de groep.</p></footer>
</main>
</body>
</html>
"""


def wants_json() -> bool:
    return request.path.startswith("/api/")


def type_name(error: BaseException) -> str:
    """'sqlalchemy.exc.OperationalError', or 'KeyError' for a built-in."""
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def exception_chain(error: BaseException) -> list[BaseException]:
    """`error` and the exceptions it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def describe(error: BaseException) -> str:
    """The type and frames (file, line, function) of `error` and of each in its chain; never message text."""
    lines = []
    for link in exception_chain(error):
        lines.append(f"{type_name(link)}, most recent call last:")
        lines += [
            f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(link.__traceback__)
        ]
    return "\n".join(lines)


class ExceptionTypesOnly(logging.Filter):
    """A record that carries an exception keeps its message format, not its arguments (a URL, the
    exception) and gets the exception's types and frames (describe) instead of its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            chain = ", ".join(type_name(link) for link in exception_chain(error))
            said = record.msg if isinstance(record.msg, str) else "(message not logged)"  # logger.exception(err)
            record.msg = f"{said} [arguments not logged]: {chain}\n{describe(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


#: loggers of other libraries that log an exception with its text: Flask's app logger (the app's
#: name, "buurt"), gunicorn's error log (a request that failed outside the app), Flask-Limiter
#: (a failing rate-limit store). Our own modules log types only and need no filter.
FILTERED_LOGGERS = ("buurt", "gunicorn.error", "flask-limiter")


def hide_exception_text(names=FILTERED_LOGGERS) -> None:
    """Put ExceptionTypesOnly on the named loggers (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExceptionTypesOnly) for f in logger.filters):
            logger.addFilter(ExceptionTypesOnly())


def busy_message() -> str:
    return MESSAGES[503]()


def is_busy(error: BaseException) -> bool:
    """The database was too busy for this request (BUSY_SIGNS): nothing was stored, and trying
    again later will work."""
    if not isinstance(error, OperationalError):
        return False
    text = str(error.orig).lower()
    return any(sign in text for sign in BUSY_SIGNS)


def rollback() -> None:
    """Drop what a failed request left in the session; a broken connection must not stop the page."""
    try:
        db.session.rollback()
    except SQLAlchemyError as error:
        log.warning("rolling back after an error failed too: %s", type_name(error))


def fallback_page(code: int):
    """The static page (plain JSON under /api/), with the status the error page would have had."""
    if wants_json():
        return {"error": "Er ging bij ons iets mis.", "status": code}, code
    home = escape(request.script_root) + "/"
    return FALLBACK_PAGE.replace("$home", home), code, {"Content-Type": "text/html; charset=utf-8"}


def render_error(code: int, message: str | None = None):
    """The error page (JSON under /api/) with status `code`; the static page if rendering fails."""
    try:
        message = message or MESSAGES.get(code, MESSAGES[500])()
        if wants_json():
            return jsonify(error=message, status=code), code
        # error_page=True keeps the database out of base.html (no demo banner check)
        return render_template("errors/error.html", code=code, message=message, error_page=True), code
    except Exception as error:  # the last resort must answer, whatever went wrong
        rollback()
        chain = ", ".join(type_name(link) for link in exception_chain(error))
        log.error("the %d page could not be rendered: %s\n%s", code, chain, describe(error))
        return fallback_page(code)


def init_app(app) -> None:
    """Register the handlers for HTTP errors and for anything unexpected."""
    hide_exception_text()

    def log_exception(exc_info) -> None:
        """Flask's own log of an exception its handlers did not catch: type and frames, no URL or text."""
        error = exc_info[1]
        chain = ", ".join(type_name(link) for link in exception_chain(error))
        log.error("unhandled %s on %s %s\n%s", chain, request.method, request.endpoint, describe(error))

    app.log_exception = log_exception  # instead of Flask's, which logs request.path and the traceback's text

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, CSRFError):
            return render_error(400, _("Het formulier was verlopen. Vul het opnieuw in; er is niets opgeslagen."))
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        if not is_busy(error):
            return unexpected_error(error)
        rollback()
        log.warning("database busy on %s %s: %s", request.method, request.endpoint, type_name(error.orig))
        response = app.make_response(render_error(503))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        rollback()
        chain = ", ".join(type_name(link) for link in exception_chain(error))
        log.error("unexpected %s on %s %s\n%s", chain, request.method, request.endpoint, describe(error))
        return render_error(500)
