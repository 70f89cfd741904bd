"""What can go wrong with a melding, as sentences for the beheerder (buurt.exceptions.UserError)."""

from __future__ import annotations

from buurt.exceptions import UserError


class MeldingError(UserError):
    """A melding action that cannot be done; `message` is Dutch and safe to show."""


class LocationNotFound(MeldingError):
    """The location could not be turned into a point."""


class MeldingClosed(MeldingError):
    """The melding is already closed."""


class MeldingStillOpen(MeldingError):
    """Closing texts only exist once a melding is closed."""


class UndoTooLate(MeldingError):
    """A "Doorgestuurd" can only be taken back for a short while (MELDING_UNDO_MINUTES)."""
