"""Browser forms of the onboarding pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

REQUIRED = DataRequired(message=_l("Required."))


def priority_choices():
    return [
        SelectChoice("urgent", str(_l("Urgent"))),
        SelectChoice("high", str(_l("High"))),
        SelectChoice("medium", str(_l("Medium"))),
        SelectChoice("low", str(_l("Low"))),
    ]


class RequestForm(FlaskForm):
    client_id = SelectField(_l("Client"), choices=[], validators=[REQUIRED])
    program_id = SelectField(_l("Training program"), choices=[], validators=[REQUIRED])
    priority = SelectField(_l("Priority"), choices=[], default="medium")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = priority_choices()


class PriorityForm(FlaskForm):
    priority = SelectField(_l("Priority"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = priority_choices()


class AssignForm(FlaskForm):
    trainer_id = SelectField(_l("Trainer"), choices=[], validators=[REQUIRED])


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    stage_id = SelectField(_l("Stage"), choices=[], validators=[REQUIRED])
    day = DateField(_l("Date"), validators=[REQUIRED])
    start = TimeField(_l("Start time"), validators=[REQUIRED])
    end = TimeField(_l("End time"), validators=[REQUIRED])
    location_type = SelectField(_l("Format"), choices=[])
    meeting_link = StringField(_l("Meeting link"), validators=[Optional(), Length(max=500)])
    physical_location = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    attendee_ids = CheckboxesField(_l("Attendees"), choices=[])
    is_makeup = BooleanField(_l("Makeup session"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.location_type.choices = [
            SelectChoice("online", str(_l("Online"))),
            SelectChoice("onsite", str(_l("Onsite"))),
            SelectChoice("hybrid", str(_l("Hybrid"))),
        ]


class RescheduleForm(FlaskForm):
    day = DateField(_l("New date"), validators=[REQUIRED])
    start = TimeField(_l("Start time"), validators=[REQUIRED])
    end = TimeField(_l("End time"), validators=[REQUIRED])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class MaterialForm(FlaskForm):
    file = FileField(_l("File"), validators=[REQUIRED])
    material_type = SelectField(_l("Kind"), choices=[])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.material_type.choices = [
            SelectChoice("recording", str(_l("Recording"))),
            SelectChoice("slides", str(_l("Slides"))),
            SelectChoice("document", str(_l("Document"))),
            SelectChoice("other", str(_l("Other"))),
        ]


class ClientForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[REQUIRED, Length(max=200)])
    contacts = TextAreaField(
        _l("Contacts"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "One per line: name; email; Telegram chat id; phone (the last two are optional)."
        ),
    )


class ProgramForm(FlaskForm):
    name = StringField(_l("Program name"), validators=[REQUIRED, Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    stages = TextAreaField(
        _l("Stages"),
        validators=[REQUIRED, Length(max=20000)],
        description=_l("One stage per line, in order."),
    )
