"""Forms for the residents' pages: lookup, sign-up, confirmation, "Mijn gegevens"."""

from __future__ import annotations

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, StringField, SubmitField, TelField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from buurt.geo.addresses import InvalidAddress, normalize_postcode
from buurt.once import OnceForm
from buurt.residents import errors, phone
from buurt.residents import lookup as lookups
from buurt.residents import my_data as own_data
from buurt.residents import signup as signups

MAX_HOUSEHOLD = 10
#: The Toevoeging field's length (BAG: huisletter + huisnummertoevoeging, "A-12" at most). The
#: message below states this same number: the field and what it says about itself never differ.
ADDITION_MAX = 6


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


STRIP = [_strip]


class _AddressFields:
    """Validators shared by the forms that take an address."""

    def validate_postcode(self, field):
        if field.data:
            try:
                normalize_postcode(field.data)
            except InvalidAddress as error:
                raise ValidationError(error.message) from error

    def validate_house_number(self, field):
        if field.data:
            try:
                lookups.parse_house(field.data, self.addition.data)
            except InvalidAddress as error:
                raise ValidationError(error.message) from error

    def house(self):
        return lookups.parse_house(self.house_number.data, self.addition.data)


class AddressLookupForm(_AddressFields, FlaskForm):
    """Postcode + house number (+ addition), or street + house number."""

    postcode = StringField(
        _l("Postcode"),
        filters=STRIP,
        validators=[Optional(), Length(max=10, message=_l("Een postcode is korter."))],
        render_kw={"autocomplete": "postal-code", "inputmode": "text", "maxlength": 10},
    )
    street = StringField(
        _l("of straat"),
        filters=STRIP,
        validators=[Optional(), Length(max=120, message=_l("Een straatnaam heeft hoogstens 120 tekens."))],
        render_kw={"autocomplete": "address-line1", "maxlength": 120},
    )
    house_number = StringField(
        _l("Huisnummer"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul een huisnummer in, bijvoorbeeld 12.")),
            Length(max=12, message=_l("Een huisnummer is korter.")),
        ],
        render_kw={"inputmode": "numeric", "maxlength": 12},
    )
    addition = StringField(
        _l("Toevoeging (niet verplicht)"),
        filters=STRIP,
        validators=[
            Optional(),
            Length(max=ADDITION_MAX, message=_l("Een toevoeging heeft hoogstens %(n)d tekens.", n=ADDITION_MAX)),
        ],
        render_kw={"maxlength": ADDITION_MAX},
    )
    submit = SubmitField(_l("Zoek mijn groep"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.postcode.data or self.street.data):
            self.postcode.errors = [*self.postcode.errors, _l("Vul een postcode of een straatnaam in.")]
            ok = False
        return ok

    def query(self):
        return lookups.make_query(
            postcode=self.postcode.data,
            house_number=self.house_number.data,
            addition=self.addition.data,
            street=self.street.data,
        )


def _rules_and_age_label():
    return _("Ik houd me aan de groepsregels en aan SAAR, en ik ben %(age)d jaar of ouder.", age=_minimum_age())


def _rules_and_age_error():
    return _(
        "Om mee te doen moet u zich aan de groepsregels (SAAR) houden en %(age)d jaar of ouder zijn.",
        age=_minimum_age(),
    )


def _minimum_age() -> int:
    return current_app.config["MINIMUM_AGE"]


class ResidentSignupForm(_AddressFields, OnceForm):
    """The sign-up form (aanmeldformulier); `once` is its one-time token (buurt.once)."""

    name = StringField(
        _l("Naam"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul uw naam in, zoals de beheerder u in WhatsApp kan herkennen.")),
            Length(max=120, message=_l("Uw naam mag hoogstens 120 tekens hebben.")),
        ],
        render_kw={"autocomplete": "name", "maxlength": 120},
    )
    postcode = StringField(
        _l("Postcode"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul uw postcode in, bijvoorbeeld 2221 AB.")),
            Length(max=10, message=_l("Een postcode is korter.")),
        ],
        render_kw={"autocomplete": "postal-code", "maxlength": 10},
    )
    house_number = StringField(
        _l("Huisnummer"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul uw huisnummer in, bijvoorbeeld 12.")),
            Length(max=12, message=_l("Een huisnummer is korter.")),
        ],
        render_kw={"inputmode": "numeric", "maxlength": 12},
    )
    addition = StringField(
        _l("Toevoeging (niet verplicht)"),
        filters=STRIP,
        validators=[
            Optional(),
            Length(max=ADDITION_MAX, message=_l("Een toevoeging heeft hoogstens %(n)d tekens.", n=ADDITION_MAX)),
        ],
        render_kw={"maxlength": ADDITION_MAX},
    )
    phone = TelField(
        _l("Mobiel nummer voor WhatsApp"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul uw mobiele nummer in, bijvoorbeeld 06 12345678.")),
            Length(max=20, message=_l("Een telefoonnummer heeft hoogstens 20 tekens.")),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )
    email = EmailField(
        _l("E-mailadres (niet verplicht)"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            Optional(),
            Length(max=254, message=_l("Een e-mailadres heeft hoogstens 254 tekens.")),
            Email(_l("Dit is geen geldig e-mailadres. Schrijf het als naam@voorbeeld.nl, of laat het leeg.")),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )
    household_size = IntegerField(
        _l("Hoeveel mensen op uw adres willen meedoen?"),
        default=1,
        validators=[
            InputRequired(_l("Vul een aantal in, bijvoorbeeld 1.")),
            NumberRange(min=1, max=MAX_HOUSEHOLD, message=_l("Vul een aantal van 1 tot en met 10 in.")),
        ],
        render_kw={"min": 1, "max": MAX_HOUSEHOLD, "inputmode": "numeric"},
    )
    consent_privacy = BooleanField(
        _l("Ik heb de privacyverklaring gelezen en ga akkoord met het bewaren van mijn gegevens."),
        validators=[DataRequired(_l("Zonder uw toestemming voor de privacyverklaring kunnen we u niet aanmelden."))],
    )
    # Two statements in one tick (issue 15: home to signed up in at most 9 taps): keeping the rules and
    # the minimum age are conditions for taking part, not consent under the AVG. The consent to the
    # privacy statement stays a tick of its own (AVG art. 7(2): distinguishable from other matters).
    consent_rules = BooleanField("", validators=[DataRequired(LazyString(lambda: _rules_and_age_error()))])
    # Honeypot: hidden from people (class "hp"), bots fill it in.
    website = StringField(
        _l("Laat dit veld leeg"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )
    pick_lat = HiddenField()
    pick_lon = HiddenField()
    # A point tapped on the map is only taken after "yes, that is my house" (issue 15, point 8):
    # one stray tap must not sign someone up for another group.
    pick_confirmed = BooleanField(_l("Ja, dit is de plek van mijn huis."))
    submit = SubmitField(_l("Aanmelden"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_rules.label.text = _rules_and_age_label()

    def validate_phone(self, field):
        try:
            self.phone_e164 = phone.normalize_mobile(field.data)
        except errors.ResidentError as error:
            raise ValidationError(error.message) from error

    def picked_point(self) -> tuple[float, float] | None:
        """The point clicked on the fallback map, if any and plausible (in the Netherlands)."""
        try:
            lat, lon = float(self.pick_lat.data), float(self.pick_lon.data)
        except (TypeError, ValueError):
            return None
        if not (50.7 <= lat <= 53.7 and 3.2 <= lon <= 7.3):
            return None
        return lat, lon

    def to_data(self) -> signups.SignupData:
        point = self.picked_point()
        return signups.SignupData(
            name=self.name.data,
            postcode=normalize_postcode(self.postcode.data),
            house=self.house(),
            phone_e164=self.phone_e164,
            email=(self.email.data or None),
            household_size=self.household_size.data,
            pick_lat=point[0] if point else None,
            pick_lon=point[1] if point else None,
            pick_confirmed=bool(point and self.pick_confirmed.data),
        )


class SignupConfirmForm(FlaskForm):
    """One button: confirm the e-mail address (a POST, so link scanners do not confirm)."""

    submit = SubmitField(_l("Ja, bevestig mijn aanmelding"))


class MyDataRequestForm(FlaskForm):
    """Ask for a link to one's own data."""

    contact = StringField(
        _l("Uw mobiele nummer of e-mailadres"),
        filters=STRIP,
        validators=[
            DataRequired(_l("Vul het mobiele nummer of e-mailadres in waarmee u zich aanmeldde.")),
            Length(max=254, message=_l("Dit is te lang voor een telefoonnummer of e-mailadres.")),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )
    submit = SubmitField(_l("Stuur mij een link"))


class MyDataCorrectForm(_AddressFields, FlaskForm):
    """Correct one's own data."""

    name = ResidentSignupForm.name
    phone = ResidentSignupForm.phone
    email = ResidentSignupForm.email
    postcode = ResidentSignupForm.postcode
    house_number = ResidentSignupForm.house_number
    addition = ResidentSignupForm.addition
    household_size = ResidentSignupForm.household_size
    submit = SubmitField(_l("Wijzigingen opslaan"))

    validate_phone = ResidentSignupForm.validate_phone

    def to_correction(self) -> own_data.Correction:
        return own_data.Correction(
            name=self.name.data,
            phone_e164=self.phone_e164,
            email=self.email.data or None,
            postcode=normalize_postcode(self.postcode.data),
            house=self.house(),
            household_size=self.household_size.data,
        )


class MyDataDeleteForm(FlaskForm):
    """Delete one's own data, after ticking a confirmation."""

    confirm = BooleanField(
        _l("Ja, verwijder al mijn gegevens. Ik begrijp dat ik dan uit de WhatsApp-groep word gehaald."),
        validators=[DataRequired(_l("Vink aan dat u uw gegevens echt wilt laten verwijderen."))],
    )
    submit = SubmitField(_l("Verwijder mijn gegevens"))
