"""Residents' mobile numbers: typed in any common way, stored as E.164, shown as people write them."""

from __future__ import annotations

import phonenumbers
from flask_babel import gettext as _

from buurt.residents.errors import ResidentError


def normalize_mobile(text: str, region: str = "NL") -> str:
    """E.164 form of a mobile number typed by a resident; raises ResidentError with a sentence."""
    raw = (text or "").strip()
    if not raw:
        raise ResidentError(_("Vul uw mobiele nummer in, bijvoorbeeld 06 12345678."))
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ResidentError(
            _("Dit is geen telefoonnummer dat we begrijpen. Schrijf het bijvoorbeeld als 06 12345678.")
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ResidentError(_("Dit telefoonnummer bestaat niet. Controleer de cijfers, bijvoorbeeld 06 12345678."))
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ResidentError(
            _(
                "Dit lijkt een vast nummer. Vul het mobiele nummer in waarop u WhatsApp gebruikt, "
                "bijvoorbeeld 06 12345678."
            )
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """A stored number as people write it (06 12345678 for Dutch numbers)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 31:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
