"""Admin pages: every machine as a diagram, an item's history as a timeline, recent changes."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from portal.core.errors import DomainError
from portal.core.htmx import render
from portal.core.navigation import registry
from portal.core.pagination import paginate, parse_window
from portal.core.permissions import roles_required
from portal.extensions import db
from portal.workflow import diagrams, machines, queries
from portal.workflow.forms import ChangeFilterForm

bp = Blueprint("workflow", __name__, url_prefix="/admin")

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
    try:
        limit, offset = parse_window(request.args.get("limit"), request.args.get("offset"))
    except DomainError:
        limit, offset = 50, 0
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
        machine_title=machine_title,
        machines_by_name={m.name: m for m in machines.all_machines()},
        actor_kinds=ACTOR_KINDS,
        status=200 if valid else 422,
    )


registry.add_nav(_l("Workflows"), "workflow.workflows", ("admin",), 80)
registry.add_nav(_l("Recent changes"), "workflow.changes", ("admin",), 81)
