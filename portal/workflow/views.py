"""Admin pages: every machine as a diagram, an item's history as a timeline, recent changes."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal.core.errors import DomainError
from portal.core.htmx import render
from portal.core.navigation import registry
from portal.core.pagination import DEFAULT_LIMIT, page_asked, paginate
from portal.core.permissions import roles_required
from portal.extensions import db
from portal.workflow import diagrams, machines, queries
from portal.workflow.engine import transition
from portal.workflow.forms import ChangeFilterForm, StatusForm

bp = Blueprint("workflow", __name__, url_prefix="/admin")
status_bp = Blueprint("status", __name__)

ACTOR_KINDS = {
    "user": _l("A person"),
    "system": _l("The system"),
    "crm": _l("The CRM"),
    "chatbot": _l("The chatbot"),
    "partner": _l("A partner"),
}


def machine_title(machine) -> str:
    return str(machine.title or machine.name.replace("_", " "))


@bp.route("/workflows")
@roles_required("admin")
def workflows():
    drawn = [
        (machine, diagrams.svg(machine, title=machine_title(machine)))
        for machine in machines.all_machines()
    ]
    return render("workflow/workflows.html", drawn=drawn, machine_title=machine_title)


@bp.route("/history/<machine_name>/<entity_id>")
@roles_required("admin")
def history(machine_name, entity_id):
    machine = machines.by_name(machine_name)
    if machine is None:
        abort(404)
    try:
        entity = queries.get_entity(machine, entity_id, actor=current_user)
    except DomainError:
        abort(404)
    changes = list(db.session.scalars(queries.list_history(machine, entity_id)))
    return render(
        "workflow/history.html",
        machine=machine,
        entity=entity,
        item=queries.describe(machine, entity),
        changes=changes,
        machine_title=machine_title,
        actor_kinds=ACTOR_KINDS,
    )


@bp.route("/changes")
@roles_required("admin")
def changes():
    form = ChangeFilterForm(request.args)
    form.machine.choices = [SelectChoice("", str(_l("All item types")))] + [
        SelectChoice(m.name, machine_title(m)) for m in machines.all_machines()
    ]
    form.actor_kind.choices = [SelectChoice("", str(_l("Anyone")))] + [
        SelectChoice(kind, str(label)) for kind, label in ACTOR_KINDS.items()
    ]
    valid = form.validate()
    limit, offset, _carried = page_asked(request.args, default=DEFAULT_LIMIT)
    query = queries.list_recent_changes(
        organisation_id=current_user.organisation_id,
        machine=form.machine.data or None if valid else None,
        actor_kind=form.actor_kind.data or None if valid else None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        tz_name=current_user.timezone,
    )
    page = paginate(query, limit, offset)
    return render(
        "workflow/changes.html",
        block="change_rows",
        form=form,
        page=page,
        described=queries.describe_changes(
            page.items, organisation_id=current_user.organisation_id
        ),
        machine_title=machine_title,
        machines_by_name={m.name: m for m in machines.all_machines()},
        actor_kinds=ACTOR_KINDS,
        status=200 if valid else 422,
    )


# Context keys that carry the form's notes, per status, for the machines that store them.
NOTE_KEYS = {
    "completed": "completion_notes",
    "rejected": "rejection_reason",
    "cancelled": "cancellation_reason",
}


def _back(target: str | None) -> str:
    if target and target.startswith("/") and not urlsplit(target).netloc:
        return target
    return url_for("accounts.home")


@status_bp.route("/status/<machine_name>/<entity_id>", methods=["POST"])
@roles_required()
def change_status(machine_name, entity_id):
    """The button behind every status change on a page: same engine, same checks as the API."""
    machine = machines.by_name(machine_name)
    if machine is None:
        abort(404)
    try:
        entity = queries.get_entity(machine, entity_id, actor=current_user)
    except DomainError:
        abort(404)
    form = StatusForm()
    back = _back(form.next.data)
    if not form.validate_on_submit():
        flash(_l("The form was not understood. Please try again."), "error")
        return redirect(back)
    reason = (form.reason.data or "").strip() or None
    notes = (form.notes.data or "").strip() or None
    context = {"notes": notes} if notes else {}
    key = NOTE_KEYS.get(form.new_status.data)
    if key and (notes or reason):
        context[key] = notes or reason
    try:
        transition(
            entity,
            form.new_status.data,
            actor=current_user,
            reason=reason or notes,
            context=context,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_l("Status changed."), "success")
    return redirect(back)


registry.add_nav(_l("Workflows"), "workflow.workflows", ("admin",), 80)
registry.add_nav(_l("Recent changes"), "workflow.changes", ("admin",), 81)
