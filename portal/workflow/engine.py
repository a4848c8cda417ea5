"""transition(): the one way any status changes.

It checks the machine, the actor's role and access, runs the guards, writes the status and its
timestamp columns (only if the row still has the status that was checked), writes the
StatusChange row and publishes the event, all in the caller's transaction. A refused transition
raises a translated DomainError before writing anything; one that lost a race to a concurrent
change raises it too, and the caller's rollback undoes the rest.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, union_all, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value
from uuid6 import uuid7

from portal.core.clock import utcnow
from portal.core.errors import (
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationError,
    changed_meanwhile,
)
from portal.core.rows import insert_now
from portal.extensions import db
from portal.workflow import events, origin
from portal.workflow.actors import actor_kind, is_system
from portal.workflow.machines import SYSTEM_ROLE, Machine, Transition, machine_for
from portal.workflow.models import StatusChange


@dataclass
class Tally:
    """What one top-level transition caused, cascades included (the API reports it)."""

    notifications_sent: int = 0
    workflow_actions_triggered: list[str] = field(default_factory=list)


_tally: contextvars.ContextVar[Tally | None] = contextvars.ContextVar(
    "workflow_tally", default=None
)


def current_tally() -> Tally | None:
    return _tally.get()


def count_notification(n: int = 1) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.notifications_sent += n


def count_workflow_action(kind: str) -> None:
    tally = _tally.get()
    if tally is not None:
        tally.workflow_actions_triggered.append(kind)


@dataclass
class TransitionResult:
    entity: object
    old_status: str | None
    new_status: str
    updated_at: datetime
    change_id: uuid.UUID
    notifications_sent: int = 0
    workflow_actions_triggered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Attempt:
    """What guards and effects receive."""

    machine: Machine
    entity: object
    source: str | None
    target: str
    actor: object
    reason: str | None
    context: dict
    now: datetime


def state_label(machine: Machine, state: str | None) -> str:
    if state is None:
        return "—"
    return str(machine.states.get(state, state))


_CURRENT = object()


def check(entity, to: str, *, actor, machine: Machine | None = None, source=_CURRENT) -> Transition:
    """The transition the actor would take from the entity's status (or from `source`, a step
    further along a path), or the DomainError saying why not."""
    machine = machine or machine_for(entity)
    current = getattr(entity, machine.status_attr) if source is _CURRENT else source
    if to not in machine.states:  # bad input (422), not a move refused from this status (409)
        raise ValidationError(
            _("“%(status)s” is not a status of this item.", status=to),
            details={"new_status": _("Unknown status.")},
        )
    if not is_system(actor):
        if machine.visible is not None and not machine.visible(actor, entity):
            raise NotFound(_("Not found."))
        if actor.role not in machine.roles_reaching(to):
            raise Forbidden(
                _("Your role cannot set this status: %(status)s.", status=state_label(machine, to))
            )
        if machine.may_act is not None and not machine.may_act(actor, entity):
            raise Forbidden(_("You cannot change the status of this item."))
    found = machine.find(current, to)
    role = SYSTEM_ROLE if is_system(actor) else actor.role
    if found is None or (role not in found.roles and not is_system(actor)):
        raise InvalidTransition(
            _(
                "Cannot change from %(old)s to %(new)s.",
                old=state_label(machine, current),
                new=state_label(machine, to),
            ),
            details={"old_status": current, "new_status": to},
        )
    return found


def transition(
    entity,
    to: str,
    *,
    actor,
    reason: str | None = None,
    context: dict | None = None,
    now: datetime | None = None,
    columns: dict | None = None,
    via: tuple[str, ...] = (),
) -> TransitionResult:
    """Move `entity` to `to`. `columns` are other attributes of the entity written in the same
    UPDATE as the status (what a service records with the change, e.g. a provider's id).

    `via` names statuses the entity passes through on its way to `to` at the same moment (a
    message sent and delivered by one call). Each step must be an allowed transition of its
    own, with its guards, effects, history row and event, in order; the row is written once,
    with the final status and every step's timestamp, in the same statement as the history."""
    machine = machine_for(entity)
    now = now or utcnow()
    context = dict(context or {})
    current = getattr(entity, machine.status_attr)
    path = (*via, to)
    sources = (current, *via)
    steps = [  # each step's transition, and what its guards and effects receive
        (
            check(entity, target, actor=actor, machine=machine, source=source),
            Attempt(machine, entity, source, target, actor, reason, context, now),
        )
        for source, target in zip(sources, path, strict=True)
    ]
    if machine.lock is not None:
        machine.lock(steps[0][1])  # before any guard reads what it locks
    for found, attempt in steps:
        for guard in found.guards:
            guard(attempt)  # raises a DomainError to refuse

    outer = _tally.get()
    token = _tally.set(Tally()) if outer is None else None
    try:
        values = {**(columns or {}), machine.status_attr: to}
        for target in path:
            column = machine.timestamps.get(target)
            if column:
                values[column] = now
        for stamp in ("status_changed_at", "updated_at"):
            if hasattr(entity, stamp):
                values[stamp] = now
        created = getattr(entity, "id", None) is None
        if created:
            for name, value in values.items():
                setattr(entity, name, value)
            db.session.add(entity)
            db.session.flush()
        cause = origin.current()
        history = [
            _history_row(
                entity,
                machine,
                old=attempt.source,
                new=attempt.target,
                actor=actor,
                reason=reason,
                context=context,
                now=now,
                cause=cause,
            )
            for _found, attempt in steps
        ]
        _chain(history, cause)
        if created:
            insert_now(_INSERT_CHANGE, history)
        else:
            _write_status(entity, machine, current, values, history)
        tally = _tally.get()
        # Cascades and the handlers of these events belong to this change's chain.
        with origin.changes_from(cause.origin, history[0]["cause_id"]):
            for (found, attempt), row in zip(steps, history, strict=True):
                for effect in found.effects:
                    effect(attempt)
                _publish(attempt, row)
        return TransitionResult(
            entity=entity,
            old_status=current,
            new_status=to,
            updated_at=now,
            change_id=history[-1]["id"],
            notifications_sent=tally.notifications_sent,
            workflow_actions_triggered=list(tally.workflow_actions_triggered),
        )
    finally:
        if token is not None:
            _tally.reset(token)


def _publish(attempt: Attempt, row: dict, name: str | None = None) -> None:
    entity, actor = attempt.entity, attempt.actor
    event = events.Event(
        name=name or f"{attempt.machine.name}_{attempt.target}",
        machine=attempt.machine.name,
        entity_id=str(entity.id),
        organisation_id=str(entity.organisation_id)
        if getattr(entity, "organisation_id", None)
        else None,
        old_status=attempt.source,
        new_status=attempt.target,
        actor_id=None if is_system(actor) else str(actor.id),
        actor_kind=actor_kind(actor),
        reason=attempt.reason,
        occurred_at=attempt.now.isoformat(),
        context=_json_safe(attempt.context),
        change_id=str(row["id"]),
        cause_id=str(row["cause_id"]),
        origin=row["origin"],
    )
    events.publish(event, entity)


def create(
    entity,
    *,
    actor,
    reason: str | None = None,
    context: dict | None = None,
    now: datetime | None = None,
) -> TransitionResult:
    """Bring a new item into being in its current (initial) status: a change from nothing.
    Inserts it if it is not yet, writes its first history row and publishes
    `<machine>_created`, whose handlers run like those of any change (in the transaction, or
    after commit through the outbox)."""
    machine = machine_for(entity)
    now = now or utcnow()
    context = dict(context or {})
    if getattr(entity, "id", None) is None or entity not in db.session:
        db.session.add(entity)
    db.session.flush()
    status = getattr(entity, machine.status_attr)
    cause = origin.current()
    row = _history_row(
        entity,
        machine,
        old=None,
        new=status,
        actor=actor,
        reason=reason,
        context=context,
        now=now,
        cause=cause,
    )
    _chain([row], cause)
    insert_now(_INSERT_CHANGE, row)
    outer = _tally.get()
    token = _tally.set(Tally()) if outer is None else None
    try:
        attempt = Attempt(machine, entity, None, status, actor, reason, context, now)
        with origin.changes_from(cause.origin, row["cause_id"]):
            _publish(attempt, row, name=created_event(machine.name))
        tally = _tally.get()
        return TransitionResult(
            entity=entity,
            old_status=None,
            new_status=status,
            updated_at=now,
            change_id=row["id"],
            notifications_sent=tally.notifications_sent,
            workflow_actions_triggered=list(tally.workflow_actions_triggered),
        )
    finally:
        if token is not None:
            _tally.reset(token)


def created_event(machine_name: str) -> str:
    return f"{machine_name}_created"


_STATUS_UPDATES: dict[tuple, object] = {}


def _write_status(entity, machine: Machine, current: str | None, values: dict, history: list):
    """UPDATE the status columns now, only if the row still has the status this transition
    was checked against (two people changing the same item at once cannot both win), and
    INSERT the history rows: one statement on PostgreSQL, two elsewhere."""
    connection = db.session.connection()
    combined = connection.dialect.name == "postgresql"
    steps = len(history) if combined else None
    key = (type(entity), machine.status_attr, current is None, tuple(values), steps)
    statement = _STATUS_UPDATES.get(key)
    if statement is None:
        statement = _status_update(type(entity), machine, current is None, values, steps)
        _STATUS_UPDATES[key] = statement
    params = {"entity_id": entity.id, "current_status": current}
    params.update({f"new_{name}": value for name, value in values.items()})
    if combined:
        for step, row in enumerate(history):
            params.update({f"history_{step}_{name}": value for name, value in row.items()})
        won = insert_now(statement, params).rowcount == len(history)
    else:
        won = connection.execute(statement, params).rowcount == 1
        if won:
            insert_now(_INSERT_CHANGE, history)
    if not won:
        raise changed_meanwhile({"old_status": current})
    for name, value in values.items():  # the row is written: nothing left for the flush
        set_committed_value(entity, name, value)


def _status_update(model, machine: Machine, from_nothing: bool, values: dict, steps: int | None):
    """Built once per kind of change. With `steps`, the UPDATE … RETURNING feeds the INSERT of
    that many history rows, written only if the UPDATE matched: the row count says who won."""
    mapper = sa_inspect(model)
    table = mapper.local_table
    row_id = mapper.get_property("id").columns[0]
    status = mapper.get_property(machine.status_attr).columns[0]
    guard = status.is_(None) if from_nothing else status == bindparam("current_status")
    statement = (
        update(table)
        .where(row_id == bindparam("entity_id"), guard)
        .values(
            {mapper.get_property(name).columns[0].key: bindparam(f"new_{name}") for name in values}
        )
    )
    if not steps:
        return statement
    moved = statement.returning(row_id).cte("moved")
    history = StatusChange.__table__
    names = [column.key for column in history.columns]
    rows = [
        select(
            *(
                moved.c[row_id.key]
                if name == "entity_id"
                else bindparam(f"history_{step}_{name}", type_=history.c[name].type)
                for name in names
            )
        ).select_from(moved)
        for step in range(steps)
    ]
    source = rows[0] if steps == 1 else union_all(*rows)
    # The statement reads like one returning rows (its CTE does); its row count is what we need.
    return insert(history).from_select(names, source).execution_options(preserve_rowcount=True)


# One prepared INSERT for every history row (see portal.core.rows).
_INSERT_CHANGE = insert(StatusChange.__table__)


def _history_row(
    entity, machine: Machine, *, old, new, actor, reason, context, now, cause: origin.Cause
) -> dict:
    return {
        "id": uuid7(),
        "organisation_id": getattr(entity, "organisation_id", None),
        "entity_type": machine.name,
        "entity_id": entity.id,
        "old_status": old,
        "new_status": new,
        "actor_id": None if is_system(actor) else actor.id,
        "actor_kind": actor_kind(actor),
        "reason": reason,
        "context": _json_safe(context) or None,
        "created_at": now,
        "origin": cause.origin,
        "cause_id": cause.change_id,
    }


def _chain(history: list[dict], cause: origin.Cause) -> None:
    """A change with no chain to join starts one: its first row is the cause of them all (and
    of the later changes of the same unit of work)."""
    if cause.change_id is None:
        first = origin.started(history[0]["id"])
        for row in history:
            row["cause_id"] = first


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


__all__ = ["DomainError", "TransitionResult", "check", "create", "transition"]
