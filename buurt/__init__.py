"""buurt: the website behind BuurtWhatsApp Rijnsoever (Katwijk)."""

import os
from pathlib import Path

import click
from flask import Flask

from buurt.config import DEV_SECRET_KEY, Defaults

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then BUURT_* environment variables."""
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("BUURT_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BUURT")
        if os.environ.get("SQLALCHEMY_DATABASE_URI"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SQLALCHEMY_DATABASE_URI"]
    else:
        app.config.update(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "buurt.sqlite")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a local file never drops the connection: skip the ping before every checkout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"
        }
    # database errors must not carry bound values (phone numbers, addresses) into logs; only an
    # explicit hide_parameters=False in the instance config shows them
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    _refuse_dev_secret(app, from_tests=test_config is not None)

    from buurt import caching, csp, errors, extensions, map_chrome, outbox, ratelimit, security, web
    from buurt.ops import logs, metrics
    from buurt.residents import geocode_later

    logs.init_app(app)  # LOG_FORMAT/LOG_LEVEL; request id and access record (first: before the rate limiter)
    metrics.init_app(app)  # request counts and latency for /metrics
    extensions.init_app(app)
    ratelimit.init_app(app)  # ProxyFix when TRUSTED_PROXIES > 0 (the limiter itself is in extensions)
    caching.init_app(app)
    errors.init_app(app)
    from buurt import bounds

    bounds.init_app(app)  # ids past MAX_ID are a 404 in every <int:...> route; before web adds the rules
    web.init_app(app)
    security.init_app(app)  # headers, cache rules and cookie flags for every response
    csp.init_app(app)  # Content-Security-Policy: site-wide, map documents their own (buurt.csp)
    map_chrome.init_app(app)  # map documents: language, title and Leaflet's words of the request
    outbox.init_app(app)  # the mail sender thread starts in a worker, on its first request
    geocode_later.init_app(app)  # places TO_GEOCODE sign-ups from a thread in each worker
    from buurt.retention import schedule as purge_schedule

    purge_schedule.init_app(app)  # the daily retention purge (PURGE_THREAD), a thread in each worker
    return app


def _refuse_dev_secret(app: Flask, *, from_tests: bool) -> None:
    """Serving with the public development key would let anyone forge sessions and links.

    The `flask` command line may load the app with it (that is how `flask buurt init` writes a
    real key to instance/config.py, and `make dev` runs `flask --debug run`), and so may tests,
    which pass their configuration to create_app. Nothing else may: not even with DEBUG or
    TESTING switched on, as FLASK_DEBUG, BUURT_DEBUG or BUURT_TESTING do from the environment of
    a WSGI server, where they used to switch the refusal off.
    """
    in_cli = click.get_current_context(silent=True) is not None
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (from_tests or in_cli):
        raise RuntimeError(
            "Refusing to start with the development SECRET_KEY. Run `flask --app app buurt init` "
            "(it writes a random key to instance/config.py) or set BUURT_SECRET_KEY."
        )
