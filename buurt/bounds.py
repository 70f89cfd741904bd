"""Bounds on what a request may carry: ids in URLs, numbers, dates and choices in query strings.

Python's int has no limit, but everything behind it has one: ids are 32-bit INTEGER columns on
PostgreSQL (64-bit on SQLite; past that a query raises OverflowError or DataError), `datetime`
stops at the years 1 and 9999 (0001-01-01 in local time is before the first UTC instant), and
`int()` refuses a string of more than 4,300 digits with a ValueError. Each gave a 500 (issue 12).
So every number, date and choice that comes in goes through one parser here, which answers an
out-of-range value the way a missing one is answered: the default, "no filter", or a 404.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

#: The largest id: ids are INTEGER columns, 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1
#: The last page a list offers; pages past the end show the last one or an empty one.
MAX_PAGE = 100_000
#: Dates the site has any use for (filters, when something happened); outside them: "no date".
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)

_INTEGER = re.compile(r"-?[0-9]{1,18}")  # ASCII digits only: "²".isdigit() is true, int("²") raises
_FRAGMENT = re.compile(r"[a-z][a-z0-9-]{0,29}")


class BoundedIntegerConverter(IntegerConverter):
    """werkzeug's ``int`` converter, with ASCII digits only and at most MAX_ID: a larger id is a 404.

    Registered as the app's ``int`` converter (init_app), so every ``<int:...>`` in every route is
    bounded without touching the routes.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def init_app(app) -> None:
    """Before any blueprint adds a rule: the rules take their converter when they are added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """A NUL byte belongs in no name, address, date or text of ours, and PostgreSQL refuses it in
    every text value (a DataError: a 500 on PostgreSQL only). In form fields it is dropped (a pasted
    police text keeps everything else: the form loses nothing a person typed); in the query
    string, the path or a JSON body, which no person types, the request is a 400 before any view."""
    if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        request.form = ImmutableMultiDict(
            (key.replace("\x00", ""), value.replace("\x00", "")) for key, value in request.form.items(multi=True)
        )
    texts = [text for pair in request.args.items(multi=True) for text in pair]
    texts += [value for value in (request.view_args or {}).values() if isinstance(value, str)]
    if any("\x00" in text for text in texts) or (request.is_json and b"\\u0000" in request.get_data()):
        abort(400)


# --- plain values (no request): for form data and anything else that arrives as text -------------


def parse_int(text: str | None, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits within [low, high], else None."""
    text = (text or "").strip()
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def parse_id(text: str | None) -> int | None:
    """An id (1..MAX_ID) written as digits, else None."""
    return parse_int(text, 1, MAX_ID)


def parse_date(text: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) between FIRST_DATE and LAST_DATE, else None."""
    try:
        day = date.fromisoformat((text or "").strip()[:10]) if len((text or "").strip()) == 10 else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DATE <= day <= LAST_DATE else None


def safe_fragment(value: str | None, default: str) -> str:
    """A URL fragment (``#wachtrij``) as our pages name them, or the default: never CR/LF or quotes."""
    return value if value and _FRAGMENT.fullmatch(value) else default


# --- the query string ---------------------------------------------------------------------------


def arg_int(name: str, default: int, *, low: int = 1, high: int = MAX_PAGE) -> int:
    """``?name=`` as a whole number, clamped into [low, high]; the default when absent or not a number."""
    text = request.args.get(name, "").strip()
    if not _INTEGER.fullmatch(text):
        return default
    return min(max(int(text), low), high)


def arg_id(name: str) -> int | None:
    """``?name=`` as an id (1..MAX_ID), or None: absent, not a number, or no such id can exist."""
    return parse_id(request.args.get(name))


def arg_date(name: str) -> date | None:
    """``?name=`` as a date between FIRST_DATE and LAST_DATE, or None."""
    return parse_date(request.args.get(name))


def arg_choice(name: str, choices, default: str) -> str:
    """``?name=`` when it is one of ``choices``, else the default."""
    value = request.args.get(name)
    return value if value in choices else default


# --- WTForms ------------------------------------------------------------------------------------


class DateInRange:
    """Validator for DateField / DateTimeLocalField: between FIRST_DATE and LAST_DATE.

    A date outside them cannot be right on this site, and the time-zone arithmetic behind it
    (local to UTC) overflows at the ends of the calendar.
    """

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        if not FIRST_DATE <= day <= LAST_DATE:
            raise ValidationError(
                _l("Kies een datum tussen %(first)d en %(last)d.", first=FIRST_DATE.year, last=LAST_DATE.year)
            )
