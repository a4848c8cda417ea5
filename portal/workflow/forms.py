"""Filters of the recent-changes feed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional


class ChangeFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    machine = SelectField(_l("Item type"), choices=[], validators=[Optional()])
    actor_kind = SelectField(_l("Changed by"), choices=[], validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
