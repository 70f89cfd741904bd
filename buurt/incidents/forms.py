"""Forms: report an incident, correct / merge one, and the (GET) filter of the wijkagent's page."""

from __future__ import annotations

import math

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from buurt.bounds import MAX_ID, DateInRange
from buurt.incidents import labels
from buurt.once import OnceForm


def category_choices():
    names = labels.category_labels()
    return [SelectChoice(c.value, names[c]) for c in labels.CATEGORIES]


def _coordinate(form, field) -> None:
    if field.data in (None, ""):
        return
    try:
        number = float(field.data)
    except ValueError as error:
        raise ValidationError(_l("Klik opnieuw op de kaart.")) from error
    if not math.isfinite(number):  # "nan", "inf" and "1e309" are floats too
        raise ValidationError(_l("Klik opnieuw op de kaart."))


class _DescriptionLength:
    """Length cap from config (INCIDENT_DESCRIPTION_MAX)."""

    def __call__(self, form, field):
        limit = current_app.config["INCIDENT_DESCRIPTION_MAX"]
        if field.data and len(field.data) > limit:
            raise ValidationError(_l("Maximaal %(n)d tekens; houd het kort en concreet.", n=limit))


class _LocationForm(FlaskForm):
    address = StringField(
        _l("Adres (straat en huisnummer, of postcode en huisnummer)"), validators=[Optional(), Length(max=120)]
    )
    lat = HiddenField(validators=[_coordinate])
    lon = HiddenField(validators=[_coordinate])


class IncidentReportForm(_LocationForm, OnceForm):
    """A resident or beheerder reports what happened (posted once: a resubmit stores nothing new)."""

    category = SelectField(_l("Wat is er gebeurd?"), choices=category_choices, validators=[DataRequired()])
    occurred_date = DateField(_l("Datum"), validators=[InputRequired(_l("Vul de datum in.")), DateInRange()])
    occurred_time = TimeField(_l("Tijd (ongeveer)"), validators=[InputRequired(_l("Vul de tijd in."))])
    description = TextAreaField(_l("Wat zag of hoorde u?"), validators=[Optional(), _DescriptionLength()])
    police_called = RadioField(
        _l("Is 112 of de politie gebeld?"),
        choices=[
            SelectChoice("ja", _l("Ja")),
            SelectChoice("nee", _l("Nee")),
            SelectChoice("weet_niet", _l("Weet ik niet")),
        ],
        default="nee",
        validators=[DataRequired(_l("Kies een antwoord."))],
    )
    # Description helper: concrete details, not appearance alone
    person_top = StringField(_l("Kleding boven (kleur, soort)"), validators=[Optional(), Length(max=120)])
    person_bottom = StringField(_l("Kleding onder (kleur, soort)"), validators=[Optional(), Length(max=120)])
    person_height = StringField(_l("Lengte (ongeveer)"), validators=[Optional(), Length(max=120)])
    person_build = StringField(_l("Postuur"), validators=[Optional(), Length(max=120)])
    person_direction = StringField(
        _l("Looprichting (welke straat, welke kant op)"), validators=[Optional(), Length(max=120)]
    )
    person_other = StringField(_l("Opvallend (tas, fiets, hond, tatoeage)"), validators=[Optional(), Length(max=120)])
    vehicle_make = StringField(_l("Merk"), validators=[Optional(), Length(max=120)])
    vehicle_model = StringField(_l("Type"), validators=[Optional(), Length(max=120)])
    vehicle_colour = StringField(_l("Kleur"), validators=[Optional(), Length(max=120)])
    vehicle_plate = StringField(_l("Kenteken (ook een deel helpt)"), validators=[Optional(), Length(max=120)])
    vehicle_direction = StringField(_l("Rijrichting"), validators=[Optional(), Length(max=120)])
    vehicle_other = StringField(_l("Opvallend (schade, stickers)"), validators=[Optional(), Length(max=120)])
    photo = FileField(_l("Foto (optioneel)"))
    submit = SubmitField(_l("Incident versturen"))

    def details(self) -> dict:
        return {
            kind: {key: getattr(self, f"{kind}_{key}").data for key in keys}
            for kind, keys in {
                "person": ("top", "bottom", "height", "build", "direction", "other"),
                "vehicle": ("make", "model", "colour", "plate", "direction", "other"),
            }.items()
        }


class IncidentCorrectForm(_LocationForm):
    """A beheerder corrects category, time, description or location."""

    category = SelectField(_l("Soort"), choices=category_choices, validators=[DataRequired()])
    occurred_date = DateField(_l("Datum"), validators=[InputRequired(_l("Vul de datum in.")), DateInRange()])
    occurred_time = TimeField(_l("Tijd"), validators=[InputRequired(_l("Vul de tijd in."))])
    description = TextAreaField(_l("Omschrijving"), validators=[Optional(), _DescriptionLength()])
    submit = SubmitField(_l("Correctie opslaan"))


class IncidentMergeForm(FlaskForm):
    """Merge this report into another one (the kept one)."""

    keep_id = IntegerField(
        _l("Nummer van het incident dat blijft"), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)]
    )
    submit = SubmitField(_l("Samenvoegen"))


class _MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IncidentFilterForm(FlaskForm):
    """The filters of the wijkagent's page (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    categorie = _MultiCheckbox(_l("Soort"), choices=category_choices, validate_choice=False)
    buurt = SelectField(_l("Buurt"), coerce=str, validate_choice=False)  # a neighbourhood's slug
    groep = SelectField(_l("Groep"), coerce=str, validate_choice=False)
    gebied = SelectField(_l("Gebied"), coerce=str, validate_choice=False)
    periode = SelectField(_l("Periode"), validate_choice=False)
    van = DateField(_l("Van"), validators=[Optional(), DateInRange()])
    tot = DateField(_l("Tot en met"), validators=[Optional(), DateInRange()])
    submit = SubmitField(_l("Toon"))

    def validate_tot(self, field) -> None:
        if self.periode.data == "range" and self.van.data and field.data and field.data < self.van.data:
            raise ValidationError(_l("De einddatum ligt vóór de begindatum."))
