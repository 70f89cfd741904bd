"""Forms for logging in and out, password reset and password change."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul uw e-mailadres in.")),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=254),
        ],
    )
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul uw wachtwoord in.")), Length(max=200)])
    submit = SubmitField(_l("Inloggen"))


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link by e-mail."""

    email = EmailField(
        _l("E-mailadres"),
        validators=[
            DataRequired(_l("Vul uw e-mailadres in.")),
            Email(_l("Dit is geen geldig e-mailadres.")),
            Length(max=254),
        ],
    )
    submit = SubmitField(_l("Stuur mij een link"))


class PasswordSetForm(FlaskForm):
    """Choose a new password (from a reset link)."""

    password = PasswordField(
        _l("Nieuw wachtwoord"), validators=[DataRequired(_l("Kies een wachtwoord.")), Length(max=200)]
    )
    confirm = PasswordField(
        _l("Nieuw wachtwoord nog een keer"),
        validators=[
            DataRequired(_l("Typ het wachtwoord nog een keer.")),
            EqualTo("password", _l("De wachtwoorden verschillen.")),
            Length(max=200),
        ],
    )
    submit = SubmitField(_l("Wachtwoord opslaan"))


class PasswordChangeForm(PasswordSetForm):
    """Change the password while logged in: the current one first."""

    current = PasswordField(
        _l("Huidig wachtwoord"), validators=[DataRequired(_l("Vul uw huidige wachtwoord in.")), Length(max=200)]
    )


class EmptyForm(FlaskForm):
    """Carries only the CSRF token, for one-button POST actions."""
