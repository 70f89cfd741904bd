"""What can go wrong with an incident, as sentences for the person at the page (buurt.exceptions.UserError)."""

from __future__ import annotations

from buurt.exceptions import UserError


class IncidentError(UserError):
    """A use case refused; `message` is a sentence (in the page's language) that says what to do."""


class InvalidReportLink(IncidentError):
    """A resident's report link is expired, tampered with, or belongs to someone who may not report."""


class OutsideAreas(IncidentError):
    """A resident tried to report a place outside every area."""
