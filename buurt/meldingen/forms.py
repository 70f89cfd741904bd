"""Forms for entering, closing and filtering meldingen."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from buurt.bounds import DateInRange
from buurt.meldingen.services import CATEGORY_LABELS, RESULT_LABELS
from buurt.meldingen.texts import MAX_TEXT_LENGTH
from buurt.once import OnceForm
from buurt.times import local_now

MIN_RADIUS_M = 100
MAX_RADIUS_M = 5000
MAX_NOTE_LENGTH = 1000


def _float_or_none(value):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _default_radius() -> int:
    return int(current_app.config["MELDING_DEFAULT_RADIUS_M"])


class MeldingCreateForm(OnceForm):
    """The received text, category, time, location and radius of a new melding (posted once)."""

    received_text = TextAreaField(
        _l("Tekst van de politie"),
        validators=[
            DataRequired(_l("Plak de tekst van de melding.")),
            Length(max=MAX_TEXT_LENGTH, message=_l("De tekst is te lang (maximaal %(max)d tekens).")),
        ],
    )
    category = SelectField(
        _l("Soort melding"),
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[InputRequired(_l("Kies de soort melding."))],
    )
    occurred_at = DateTimeLocalField(
        _l("Tijdstip"),
        format="%Y-%m-%dT%H:%M",
        default=local_now,
        validators=[InputRequired(_l("Vul het tijdstip in, bijvoorbeeld 14:05 vandaag.")), DateInRange()],
    )
    location = StringField(
        _l("Locatie: adres of straat"),
        validators=[Optional(), Length(max=200, message=_l("Dat is te lang voor een adres (maximaal 200 tekens)."))],
    )
    lat = HiddenField(filters=[_float_or_none])
    lon = HiddenField(filters=[_float_or_none])
    radius_m = IntegerField(
        _l("Straal in meters"),
        default=_default_radius,
        validators=[
            InputRequired(_l("Vul de straal in meters in.")),
            NumberRange(MIN_RADIUS_M, MAX_RADIUS_M, message=_l("Kies een straal tussen %(min)s en %(max)s meter.")),
        ],
    )

    def validate_occurred_at(self, field):
        if field.data is not None and field.data > local_now() + timedelta(hours=1):
            raise ValidationError(_l("Dit tijdstip ligt in de toekomst. Controleer datum en tijd."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Not an inline validator: Optional() stops the chain on an empty location field.
        if not (self.location.data or "").strip() and (self.lat.data is None or self.lon.data is None):
            self.location.errors = [*self.location.errors, _l("Vul een adres of straat in, of klik op de kaart.")]
            return False
        return valid


class MeldingCloseForm(OnceForm):
    """Afmelden: the result and an optional note (posted once)."""

    result = RadioField(
        _l("Resultaat"),
        choices=[SelectChoice(r.value, label) for r, label in RESULT_LABELS.items()],
        validators=[InputRequired(_l("Kies het resultaat."))],
    )
    note = TextAreaField(
        _l("Toelichting (komt in de afmelding)"),
        validators=[
            Optional(),
            Length(max=MAX_NOTE_LENGTH, message=_l("De toelichting is te lang (maximaal %(max)d tekens).")),
        ],
    )


class MeldingFilterForm(FlaskForm):
    """Filters for the list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    since = DateField(_l("Vanaf"), validators=[Optional(), DateInRange()])
    until = DateField(_l("Tot en met"), validators=[Optional(), DateInRange()])
    category = SelectField(
        _l("Soort"),
        choices=[SelectChoice("", _l("Alle soorten"))]
        + [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[Optional()],
    )
    buurt = SelectField(_l("Buurt"), choices=[SelectChoice("", _l("Alle buurten"))], validators=[Optional()])
    group = SelectField(_l("Groep"), choices=[SelectChoice("", _l("Alle groepen"))], validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Open en afgemeld")),
            SelectChoice("open", _l("Open")),
            SelectChoice("closed", _l("Afgemeld")),
        ],
        validators=[Optional()],
    )

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("De einddatum ligt vóór de begindatum."))


__all__ = ["MAX_RADIUS_M", "MIN_RADIUS_M", "MeldingCloseForm", "MeldingCreateForm", "MeldingFilterForm"]
