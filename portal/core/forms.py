"""Bridging service validation errors back onto WTForms fields."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.core.errors import ValidationError


def apply_errors(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's field errors beside the fields; the rest as form-level errors."""
    form.form_errors = list(getattr(form, "form_errors", []))
    for field_name, message in error.details.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), message]
        else:
            form.form_errors.append(message)
    if not error.details:
        form.form_errors.append(error.message)
