"""The generic status endpoints of every registered machine:
PUT /{collection}/{id}/status and GET /{collection}/{id}/status-history."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.api.endpoints import current_api_user, endpoint
from portal.core.errors import NotFound, ValidationError
from portal.core.i18n import local_iso, utc_iso
from portal.core.pagination import paginate
from portal.extensions import db
from portal.workflow import machines, queries
from portal.workflow.engine import transition
from portal.workflow.schemas import HistoryQuery, StatusHistory, StatusUpdate, StatusUpdateResult


def change_json(change, tz_name: str) -> dict:
    return {
        "id": str(change.id),
        "entity_type": change.entity_type,
        "entity_id": str(change.entity_id),
        "old_status": change.old_status,
        "new_status": change.new_status,
        "status_reason": change.reason,
        "updated_by": change.actor_kind,
        "updated_by_user": (
            {"id": str(change.actor.id), "name": change.actor.name} if change.actor else None
        ),
        "context_data": change.context,
        "origin": change.origin,
        "cause_id": str(change.cause_id) if change.cause_id else None,
        "created_at": utc_iso(change.created_at),
        "created_at_local": local_iso(change.created_at, tz_name),
    }


def _collections() -> dict:
    """The `{collection}` of the status routes: one per registered machine that has one."""
    names = sorted(m.collection for m in machines.all_machines() if m.collection)
    return {"type": "string", "enum": names}


def _machine(collection: str):
    machine = machines.by_collection(collection)
    if machine is None:
        raise NotFound(_("Not found."))
    return machine


def _refuse_system_context(context: dict | None) -> None:
    reserved = sorted(set(context or ()) & machines.system_context_keys())
    if reserved:
        message = _("Set by Parcours itself; it cannot be sent.")
        raise ValidationError(
            _("Please check the form."),
            details={f"context_data.{key}": message for key in reserved},
        )


@endpoint(
    "/<collection>/<entity_id>/status",
    method="PUT",
    summary="Change the status of any item of a status machine",
    tag="workflow",
    body=StatusUpdate,
    response=StatusUpdateResult,
    errors=(403, 404, 409, 422),
    path_schemas={"collection": _collections},
)
def put_status(collection, entity_id, body: StatusUpdate):
    actor = current_api_user()
    machine = _machine(collection)
    entity = queries.get_entity(machine, entity_id, actor=actor)
    _refuse_system_context(body.context_data)
    result = transition(
        entity,
        body.new_status,
        actor=actor,
        reason=body.status_reason,
        context=body.context_data,
    )
    db.session.commit()
    return {
        "success": True,
        "old_status": result.old_status,
        "new_status": result.new_status,
        "updated_at": utc_iso(result.updated_at),
        "notifications_sent": result.notifications_sent,
        "workflow_actions_triggered": result.workflow_actions_triggered,
    }


@endpoint(
    "/<collection>/<entity_id>/status-history",
    summary="The status history of any item, oldest first",
    tag="workflow",
    query=HistoryQuery,
    response=StatusHistory,
    errors=(404,),
    path_schemas={"collection": _collections},
)
def get_status_history(collection, entity_id, query: HistoryQuery):
    actor = current_api_user()
    machine = _machine(collection)
    queries.get_entity(machine, entity_id, actor=actor)
    page = paginate(
        queries.list_history(
            machine,
            entity_id,
            date_from=query.date_from,
            date_to=query.date_to,
            tz_name=actor.timezone,
        ),
        query.limit,
        query.offset,
    )
    return {
        "status_changes": [change_json(c, actor.timezone) for c in page.items],
        "total_count": page.total_count,
    }
