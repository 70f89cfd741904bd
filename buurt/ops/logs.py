"""Logs an operator can read and a machine can parse, without personal data (issue 16).

LOG_FORMAT="json" writes one JSON object per line on stderr: ``ts``, ``level``, ``logger``,
``message`` and, inside a request, ``request_id``. LOG_FORMAT="text" (the default) keeps Flask's
line, ``[time] LEVEL in module: message``. Either way every request ends with one access record
(logger ``buurt.access``, INFO): request id, method, route, endpoint, status, duration.

What an access record never holds, and why (the AVG, and issue 13's rule that logs hold no
resident's data):

* the path: personal links carry a token in it (mailed before issue 13), and lookups and street
  pages carry a postcode or street and number. ``route`` is the URL rule's template instead
  ("/beheer/groep/<int:group_id>"), ``(none)`` when no rule matched (a 404);
* the query string, the body, form values and headers: whatever a client typed;
* the client's IP address. Behind the proxy it is a resident's home connection tied to the time
  they signed up: personal data under the AVG that we would have to justify and guard. Abuse is
  handled by the rate limiter, which keeps counters, not logs; the proxy (Caddy, nginx) has its own
  access log for an incident, off by default in deploy/.

The request id comes from an incoming X-Request-ID when it looks like one (``SAFE_REQUEST_ID``: a
proxy's id, so its log and ours can be joined), else it is made here; the response carries it back
as X-Request-ID, so a beheerder who reports "it went wrong at 21:04" can be asked for it.

gunicorn's own log gets the same JSON through gunicorn.conf.py (``logconfig_dict``, which names
:class:`JsonFormatter`); this module must therefore import without the app (no buurt imports at
module level).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
import traceback
from datetime import UTC, datetime

from flask import g, has_request_context, request

#: an incoming X-Request-ID is kept only when it is this (no spaces, quotes or control characters to
#: break a log line, no room for a postcode-and-name sentence)
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HEADER = "X-Request-ID"
ACCESS_LOGGER = "buurt.access"
NO_ROUTE = "(none)"
#: the access record's fields, in the order a JSON line shows them
ACCESS_FIELDS = ("request_id", "method", "route", "endpoint", "status", "duration_ms")
#: methods a route may name; any other (a client may send "FOO") is "OTHER" (a bounded label)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger(ACCESS_LOGGER)


def request_id() -> str | None:
    """The current request's id (None outside a request, or before it was set)."""
    return g.get("request_id") if has_request_context() else None


def incoming_request_id(value: str | None) -> str:
    """`value` when it is a safe id (SAFE_REQUEST_ID), else a new random one."""
    if value and SAFE_REQUEST_ID.fullmatch(value):
        return value
    return secrets.token_hex(16)


def route() -> str:
    """The matched URL rule's template, never the path (which may hold a token or a postcode)."""
    rule = request.url_rule
    return rule.rule if rule is not None else NO_ROUTE


def method() -> str:
    return request.method if request.method in METHODS else "OTHER"


def describe_exception(error: BaseException) -> str:
    """Type and frames of `error` (file, line, function), never its text: a database error quotes
    bound values, a geopy error the URL it asked. (buurt.errors does the same for whole chains; this
    module stays importable without the app.)"""
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    frames = [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(error.__traceback__)]
    return "\n".join([f"{name}, most recent call last:", *frames])


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ts (UTC, ms), level, logger, message, request_id
    when in a request, the access fields on access records, the exception's type and frames."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update((name, access.get(name)) for name in ACCESS_FIELDS)
        else:
            rid = request_id()
            if rid:
                line["request_id"] = rid
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = describe_exception(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False, default=str)


def _json_handler_reachable(logger: logging.Logger) -> bool:
    """True when a record of `logger` already meets a JsonFormatter (gunicorn's logconfig_dict puts
    one on the root logger): another handler would print every line twice."""
    current: logging.Logger | None = logger
    while current is not None:
        if any(isinstance(h.formatter, JsonFormatter) for h in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False


def configure(app) -> None:
    """The `buurt` loggers' level and format (LOG_LEVEL, LOG_FORMAT)."""
    from flask.logging import default_handler

    buurt = logging.getLogger("buurt")
    buurt.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("geopy").setLevel(logging.WARNING)  # it logs error bodies (may hold addresses) at INFO
    if app.config.get("LOG_FORMAT", "text") == "json":
        buurt.removeHandler(default_handler)  # Flask's text line
        if not _json_handler_reachable(buurt):
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonFormatter())
            buurt.addHandler(handler)
    elif not any(isinstance(h.formatter, JsonFormatter) for h in buurt.handlers):
        # Flask's own handler on the `buurt` logger, from the start: before, buurt.* records below
        # WARNING were lost until something first touched app.logger
        app.logger  # noqa: B018 - Flask adds its default handler on first access


def start_request() -> None:
    """The request's id and start time, first thing (before the rate limiter may answer 429)."""
    g.request_id = incoming_request_id(request.headers.get(HEADER))
    g.request_started = time.perf_counter()


def finish_request(response):
    """Send the id back and write the access record."""
    rid = g.get("request_id") or incoming_request_id(None)
    response.headers[HEADER] = rid
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    fields = {
        "request_id": rid,
        "method": method(),
        "route": route(),
        "endpoint": request.endpoint or NO_ROUTE,
        "status": response.status_code,
        "duration_ms": duration_ms,
    }
    access_log.info(
        "%s %s %s %s ms (%s, id %s)",
        fields["method"],
        fields["route"],
        fields["status"],
        duration_ms,
        fields["endpoint"],
        rid,
        extra={"access": fields},
    )
    return response


def init_app(app) -> None:
    """Log format and level; the request id and access record of every request."""
    configure(app)
    app.before_request(start_request)
    app.after_request(finish_request)
