"""Forms of the neighbourhoods admin pages: one per action (add a neighbourhood, change its settings)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from buurt.beheer.forms import MultiCheckboxField, WholeNumberField
from buurt.neighbourhoods import SLUG_PATTERN

SLUG = re.compile(rf"^{SLUG_PATTERN}$")
#: how many groups "N groepen" may ask for (a neighbourhood of 42 buurten is the whole gemeente)
MAX_GROUPS = 50
GROUPS_ONE, GROUPS_PER_BUURT, GROUPS_N = "one", "per-buurt", "n"


def _signup_url_field():
    return StringField(
        _l("Aanmeldlink van de buurt zelf"),
        validators=[Optional(), Length(max=300, message=_l("Een link van hoogstens 300 tekens."))],
    )


def _check_signup_url(form) -> bool:
    """A routing-only neighbourhood needs its own sign-up link (or a contact); a link is http(s) with a host."""
    value = (form.signup_url.data or "").strip()
    form.signup_url.data = value or None
    if value:
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
        ):
            form.signup_url.errors.append(
                _l(
                    "Geef een webadres dat begint met https:// (of http://): "
                    "het adres van de aanmeldpagina van de buurt."
                )
            )
            return False
    if form.routing_only.data and not value and not (form.contact_email.data or "").strip():
        form.signup_url.errors.append(
            _l(
                "Een buurt die alleen doorstuurt heeft een eigen aanmeldlink (of een contactadres) nodig: "
                "daar verwijst haar pagina bewoners naar."
            )
        )
        return False
    return True


def _email_field():
    return StringField(
        _l("Contact (e-mailadres van de buurt)"),
        validators=[
            Optional(),
            Length(max=254, message=_l("Een e-mailadres van hoogstens 254 tekens.")),
            Email(_l("Dit is geen geldig e-mailadres. Schrijf het als naam@voorbeeld.nl, of laat het leeg.")),
        ],
    )


def _name_field():
    return StringField(
        _l("Naam van de buurt"),
        validators=[DataRequired(_l("Geef de buurt een naam.")), Length(max=120, message=_l("Hoogstens 120 tekens."))],
    )


class NeighbourhoodAddForm(FlaskForm):
    """A new neighbourhood: from CBS buurten (ticked) or from a boundary file, with its groups.

    ``buurten`` choices are set by the view (every CBS buurt of the gemeente; taken ones are
    refused here with the neighbourhood that has them: ``taken`` maps code to its name).
    """

    name = _name_field()
    slug = StringField(
        _l("Adres op de site (optioneel)"),
        validators=[Optional(), Length(max=60, message=_l("Hoogstens 60 tekens."))],
    )
    buurten = MultiCheckboxField(_l("CBS-buurten"), validate_choice=False)
    boundary = FileField(
        _l("Of: een bestand met de grenzen (GeoJSON)"),
        validators=[Optional(), FileAllowed(["geojson", "json"], _l("Kies een .geojson- of .json-bestand."))],
    )
    groups = RadioField(
        _l("Groepen"),
        choices=[
            SelectChoice(GROUPS_ONE, _l("Eén groep voor de hele buurt")),
            SelectChoice(GROUPS_PER_BUURT, _l("Eén groep per CBS-buurt (of per gebied in het bestand)")),
            SelectChoice(GROUPS_N, _l("Een aantal groepen van ongeveer even veel huishoudens")),
        ],
        default=GROUPS_ONE,
        validators=[DataRequired(_l("Kies hoe de buurt in groepen wordt verdeeld."))],
    )
    group_count = WholeNumberField(
        _l("Aantal groepen"),
        validators=[
            Optional(),
            NumberRange(min=2, max=MAX_GROUPS, message=_l("Kies 2 tot en met %(n)d groepen.", n=MAX_GROUPS)),
        ],
    )
    capacity = WholeNumberField(
        _l("Capaciteit per groep (leden)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=1024, message=_l("Kies een capaciteit van 1 tot en met 1024 (het maximum van WhatsApp).")
            ),
        ],
    )
    contact_email = _email_field()
    routing_only = BooleanField(_l("Alleen doorsturen: de groepen van deze buurt staan niet op deze site"))
    signup_url = _signup_url_field()

    def __init__(self, *args, taken: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.taken = taken or {}

    def validate_slug(self, field):
        value = (field.data or "").strip().lower()
        field.data = value or None
        if value and not SLUG.match(value):
            raise ValidationError(
                _l(
                    "Gebruik alleen kleine letters, cijfers en streepjes, zoals ‘katwijk-aan-zee’ "
                    "(hoogstens 60 tekens)."
                )
            )

    def validate_buurten(self, field):
        known = {choice.value for choice in field.choices or []}
        unknown = [code for code in field.data or [] if code not in known]
        if unknown:
            raise ValidationError(_l("Kies buurten uit de lijst."))
        taken = [f"{code} ({self.taken[code]})" for code in field.data or [] if code in self.taken]
        if taken:
            raise ValidationError(_l("Deze buurten horen al bij een andere buurt: %(list)s.", list=", ".join(taken)))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        has_file = bool(self.boundary.data and getattr(self.boundary.data, "filename", ""))
        if not self.buurten.data and not has_file:
            self.buurten.errors = [
                *self.buurten.errors,
                _l("Vink een of meer CBS-buurten aan, of kies een bestand met de grenzen."),
            ]
            valid = False
        elif self.buurten.data and has_file:
            self.buurten.errors = [*self.buurten.errors, _l("Kies óf CBS-buurten óf een bestand, niet allebei.")]
            valid = False
        if self.groups.data == GROUPS_N and self.group_count.data is None and not self.group_count.errors:
            self.group_count.errors = [*self.group_count.errors, _l("Vul in hoeveel groepen (2 of meer).")]
            valid = False
        return _check_signup_url(self) and valid

    def groups_choice(self) -> str | int:
        """What NeighbourhoodSpec.groups takes: "one", "per-buurt" or the number of groups."""
        if self.groups.data == GROUPS_N:
            return int(self.group_count.data)
        return self.groups.data


class NeighbourhoodSettingsForm(FlaskForm):
    """Name, contact, routing only with its sign-up link, and (gemeente-wide) the order on the gemeente page."""

    name = _name_field()
    contact_email = _email_field()
    routing_only = BooleanField(_l("Alleen doorsturen: de groepen van deze buurt staan niet op deze site"))
    signup_url = _signup_url_field()
    sort_order = WholeNumberField(
        _l("Volgorde op de gemeentepagina"),
        validators=[Optional(), NumberRange(min=0, max=9999, message=_l("Kies een getal van 0 tot en met 9999."))],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return _check_signup_url(self) and valid
