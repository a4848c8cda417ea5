"""Browser forms for login, profile, tokens and user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.config import LOCALES
from portal.core.i18n import LANGUAGE_NAMES, ROLE_LABELS, timezone_names
from portal.core.permissions import ROLES

LANGUAGE_CHOICES = [
    SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code}) for code in LOCALES
]


def _timezone_choices():
    return [SelectChoice(name, name.replace("_", " ")) for name in timezone_names()]


def _role_choices():
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Required."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Required."))])


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Required.")), Length(max=200)]
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Timezone"), choices=[])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _timezone_choices()


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(message=_l("Required."))]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(message=_l("Required."))]
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"), validators=[DataRequired(message=_l("Required."))]
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[Optional(), Length(max=100)])


class UserCreateForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Required.")), Length(max=200)]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Required."))])
    role = SelectField(_l("Role"), choices=[])
    password = PasswordField(_l("Initial password"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Timezone"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()
        self.timezone.choices = _timezone_choices()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()


class LanguageForm(FlaskForm):
    """The language switch shown to people who are not logged in."""

    lang = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
