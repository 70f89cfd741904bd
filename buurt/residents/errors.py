"""What can go wrong for a resident, as sentences for the resident (buurt.exceptions.UserError)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from buurt.exceptions import UserError

if TYPE_CHECKING:
    from buurt.residents.lookup import LookupResult


class ResidentError(UserError):
    """A domain error; `message` is a sentence for the resident (in the page's language)."""


class DuplicatePhone(ResidentError):
    """This mobile number already has an active sign-up (we do not say where)."""


class AddressNotFound(ResidentError):
    """No geocoder knows the address: check it, or pick the house on the map."""


class OutsideCoverage(ResidentError):
    """The address lies outside every group's area; `lookup` says what is nearest."""

    def __init__(self, message: str, lookup: LookupResult):
        super().__init__(message)
        self.lookup = lookup


class PickNotConfirmed(ResidentError):
    """A point tapped on the map without "yes, that is my house": nothing is stored; the message
    names the area and group the point lies in, so the resident can check it."""


class LookupUnavailable(ResidentError):
    """The geocoder could not answer (only for corrections; sign-ups are kept as TO_GEOCODE)."""


class SignupElsewhere(ResidentError):
    """The address's group belongs to a routing-only neighbourhood: its residents sign up at that
    neighbourhood's own sign-up (`lookup.neighbourhood.signup_url`); nothing is stored here."""

    def __init__(self, message: str, lookup: LookupResult):
        super().__init__(message)
        self.lookup = lookup
