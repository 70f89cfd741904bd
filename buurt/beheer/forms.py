"""Forms of the beheerders' console: one per action."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from buurt.residents.lifecycle import BEHEERDER_REASONS, reason_label

INVITE_LINK = re.compile(r"^https://chat\.whatsapp\.com/(invite/)?[A-Za-z0-9]{10,40}/?$")


class ResidentRemoveForm(FlaskForm):
    """Remove someone from the group, with a reason (stored as its code, buurt.models.RemovalReason)."""

    reason = SelectField(_l("Reden"), validators=[DataRequired(_l("Kies een reden."))])
    note = StringField(_l("Toelichting (optioneel, geen persoonsgegevens)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Verwijderen"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [(r.value, _capitalised(reason_label(r))) for r in BEHEERDER_REASONS]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class WholeNumberField(IntegerField):
    """An integer with a Dutch message when the input is not a whole number."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Vul een heel getal in.")) from None


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class GroupSettingsForm(FlaskForm):
    """Name, capacity, WhatsApp invite link and (coordinators) the beheerders of a group."""

    name = StringField(
        _l("Naam van de groep"), validators=[DataRequired(_l("Geef de groep een naam.")), Length(max=120)]
    )
    capacity = WholeNumberField(
        _l("Capaciteit (leden)"),
        validators=[
            InputRequired(_l("Vul de capaciteit in (een heel getal).")),
            NumberRange(
                min=1, max=1024, message=_l("Kies een capaciteit van 1 tot en met 1024 (het maximum van WhatsApp).")
            ),
        ],
    )
    invite_link = StringField(
        _l("WhatsApp-uitnodigingslink"),
        validators=[Optional(), Length(max=300)],
        description=_l("Begint met https://chat.whatsapp.com/"),
    )
    beheerders = MultiCheckboxField(_l("Beheerders"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Opslaan"))

    def validate_invite_link(self, field):
        value = (field.data or "").strip()
        if value and not INVITE_LINK.match(value):
            raise ValidationError(
                _l("Dit is geen WhatsApp-uitnodigingslink. Kopieer de link uit WhatsApp: https://chat.whatsapp.com/…")
            )


class AreaUploadForm(FlaskForm):
    """Upload a GeoJSON file with new areas."""

    file = FileField(
        _l("GeoJSON-bestand met de nieuwe gebieden"),
        validators=[
            FileRequired(_l("Kies een bestand.")),
            FileAllowed(["geojson", "json"], _l("Kies een .geojson- of .json-bestand.")),
        ],
    )
    note = TextAreaField(_l("Toelichting (waarom deze indeling?)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Controleren en voorbeeld tonen"))
