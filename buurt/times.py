"""Times: stored as aware UTC, typed and shown in the site's time zone (BABEL_DEFAULT_TIMEZONE).

The one place that converts. Templates use the ``|local`` filter (registered in buurt.web):
``{{ incident.occurred_at|local }}`` -> "04-06-2026 14:05"; ``|local("%d-%m-%Y")`` for a date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from flask import has_app_context

DEFAULT_ZONE = "Europe/Amsterdam"
DATETIME_FORMAT = "%d-%m-%Y %H:%M"
DATE_FORMAT = "%d-%m-%Y"
#: Dutch short names; texts that leave the site (WhatsApp, mail) are Dutch whatever the page language.
WEEKDAYS_NL = ("ma", "di", "wo", "do", "vr", "za", "zo")
MONTHS_NL = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def local_zone() -> tzinfo:
    """The site's zone: Flask-Babel's (BABEL_DEFAULT_TIMEZONE) inside the app, Amsterdam outside it."""
    if has_app_context():
        from flask_babel import get_timezone

        return _zone(str(get_timezone()))  # Flask-Babel may hand back pytz: never .replace() with that
    return _zone(DEFAULT_ZONE)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(moment: datetime) -> datetime:
    """An aware datetime in the site's zone."""
    return moment.astimezone(local_zone())


def local_to_utc(moment: datetime | date, clock: time | None = None) -> datetime:
    """A time as typed (naive, the site's zone) -> aware UTC. Accepts a datetime, or a date and a time."""
    if clock is not None or not isinstance(moment, datetime):
        moment = datetime.combine(moment, clock or time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(UTC)


def local_now() -> datetime:
    """Now in the site's zone, naive and to the minute: a form's default."""
    return datetime.now(local_zone()).replace(tzinfo=None, second=0, microsecond=0)


def local_midnight(day: date) -> datetime:
    """The start of a local day, aware."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def format_local(moment: datetime | None, fmt: str = DATETIME_FORMAT) -> str:
    """`moment` in the site's zone as text ("" for None); the ``|local`` template filter."""
    if moment is None:
        return ""
    return to_local(moment).strftime(fmt)


def format_short_nl(moment: datetime) -> str:
    """'di 4 jun 14:05' in the site's zone (for WhatsApp texts)."""
    local = to_local(moment)
    return f"{WEEKDAYS_NL[local.weekday()]} {local.day} {MONTHS_NL[local.month - 1]} {local:%H:%M}"


def month_label_nl(year: int, month: int) -> str:
    """'jun 2026'."""
    return f"{MONTHS_NL[month - 1]} {year}"
