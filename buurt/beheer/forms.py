"""Forms of the beheerders' console: one per action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from buurt.beheer.settings import INVITE_LINK
from buurt.residents.lifecycle import BEHEERDER_REASONS, reason_label


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


class ProposalChoicesForm(FlaskForm):
    """Which properties of the uploaded file name and key its areas ("" = the default).

    The group per area comes as ``groep-<n>`` fields the view reads against the plan (their number
    depends on the file).
    """

    name_property = SelectField(_l("Naam van elk gebied uit eigenschap"))
    key_property = SelectField(_l("Vaste code (sleutel) van elk gebied uit"))
    submit = SubmitField(_l("Opnieuw bekijken met deze keuzes"))

    def __init__(self, names=(), keys=(), feature_id="", *args, **kwargs):
        super().__init__(*args, **kwargs)
        automatic = [("", _l("automatisch"))]
        self.name_property.choices = automatic + [(n, n) for n in names]
        self.key_property.choices = automatic + [(k, _l("id (van het object)") if k == feature_id else k) for k in keys]


class ProposalConfirmForm(FlaskForm):
    """Confirm a proposal; the box is the extra "yes" for a plan that moves many residents."""

    confirm_moves = BooleanField(_l("Ja, ik weet dat deze indeling veel bewoners naar een andere groep verplaatst."))
    submit = SubmitField(_l("Bevestigen: deze indeling in gebruik nemen"))


class MemberSearchForm(FlaskForm):
    """Find members by (part of) their name: a POST, so a name never lands in a URL or an access log."""

    q = StringField(
        _l("Zoek een lid op naam"), validators=[Optional(), Length(max=60, message=_l("Typ hoogstens 60 tekens."))]
    )


class TaskUndoForm(FlaskForm):
    """Undo a mistaken "Gedaan": carries the signed token the page got right after the click."""

    undo = HiddenField(validators=[DataRequired(), Length(max=2000)])
