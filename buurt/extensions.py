"""Flask extensions, created unbound here and bound to the app in create_app."""

from flask import has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from buurt.ratelimit import AppLimiter, client_key

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# a keyed hash of the client's address (the peer, or with TRUSTED_PROXIES what ProxyFix took from
# X-Forwarded-For): no IP address in any counter key
limiter = AppLimiter(key_func=client_key)
babel = Babel()


def select_locale() -> str:
    """Dutch first; English when asked for with ?lang=en (kept in the session)."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line, mail sent from a job: Dutch
        return languages[0]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if session.get("lang") in languages:
        return session["lang"]
    return languages[0]  # Dutch first, whatever the browser says: the site is for Rijnsoever


def init_app(app) -> None:
    """Bind every extension to the app; no database or network work happens here."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    db.init_app(app)
    from buurt import ROOT

    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # No Flask-Login session protection: "strong" was silently only a freshness flag with permanent
    # sessions, and tying a login to an IP address logs out phones. A login is a server-side row
    # instead, ended by logout, password change and timeouts (buurt.auth.sessions).
    login_manager.session_protection = None
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")

    if not getattr(init_app, "_sqlite_pragmas", False):

        @event.listens_for(Engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            """WAL for concurrent readers under gunicorn; foreign keys on; wait instead of failing."""
            if isinstance(dbapi_connection, sqlite3.Connection):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                # deleted and overwritten values are zeroed in the file, not left in free pages: "delete
                # means delete" also for someone who copies the database file (issue 13)
                cursor.execute("PRAGMA secure_delete=ON")
                # a writer waits up to 15 s for the write lock (launch night: 50 sign-ups at once on a
                # loaded machine took > 5 s for the unluckiest); after that a Dutch 503, never a 500
                cursor.execute("PRAGMA busy_timeout=15000")
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("memory",):
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.close()

        init_app._sqlite_pragmas = True
