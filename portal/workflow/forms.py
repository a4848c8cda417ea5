"""Filters of the recent-changes feed, and the form behind every status button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ChangeFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    machine = SelectField(_l("Item type"), choices=[], validators=[Optional()])
    actor_kind = SelectField(_l("Changed by"), choices=[], validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class StatusForm(FlaskForm):
    """Any transition from a page: the new status, a reason, notes for the item."""

    new_status = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    next = HiddenField()
