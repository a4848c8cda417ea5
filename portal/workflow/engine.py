"""transition(): the one way any status changes.

It checks the machine, the actor's role and access, runs the guards, sets the status and its
timestamp column, writes the StatusChange row and publishes the event, all in the caller's
transaction. A refused transition raises a translated DomainError before writing anything.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from portal.core.clock import utcnow
from portal.core.errors import DomainError, Forbidden, InvalidTransition, NotFound
from portal.extensions import db
from portal.workflow import events
from portal.workflow.actors import actor_kind, is_system
from portal.workflow.machines import SYSTEM_ROLE, Machine, Transition, machine_for
from portal.workflow.models import StatusChange


@dataclass
class Tally:
    """What one top-level transition caused, cascades included (the API reports it)."""

    notifications_sent: int = 0
    workflow_actions_triggered: list[str] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)


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
    change: StatusChange
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


def check(entity, to: str, *, actor, machine: Machine | None = None) -> Transition:
    """The transition the actor would take, or the DomainError saying why not."""
    machine = machine or machine_for(entity)
    current = getattr(entity, machine.status_attr)
    if to not in machine.states:
        raise InvalidTransition(
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
) -> TransitionResult:
    machine = machine_for(entity)
    now = now or utcnow()
    context = dict(context or {})
    found = check(entity, to, actor=actor, machine=machine)
    current = getattr(entity, machine.status_attr)
    attempt = Attempt(machine, entity, current, to, actor, reason, context, now)
    for guard in found.guards:
        guard(attempt)  # raises a DomainError to refuse

    outer = _tally.get()
    token = _tally.set(Tally()) if outer is None else None
    try:
        setattr(entity, machine.status_attr, to)
        column = machine.timestamps.get(to)
        if column:
            setattr(entity, column, now)
        if hasattr(entity, "status_changed_at"):
            entity.status_changed_at = now
        if hasattr(entity, "updated_at"):
            entity.updated_at = now
        if getattr(entity, "id", None) is None:
            db.session.add(entity)
            db.session.flush()
        change = StatusChange(
            organisation_id=getattr(entity, "organisation_id", None),
            entity_type=machine.name,
            entity_id=entity.id,
            old_status=current,
            new_status=to,
            actor_id=None if is_system(actor) else actor.id,
            actor_kind=actor_kind(actor),
            reason=reason,
            context=_json_safe(context) or None,
            created_at=now,
        )
        db.session.add(change)
        tally = _tally.get()
        tally.changes.append(change)
        for effect in found.effects:
            effect(attempt)
        event = events.Event(
            name=f"{machine.name}_{to}",
            machine=machine.name,
            entity_id=str(entity.id),
            organisation_id=str(entity.organisation_id)
            if getattr(entity, "organisation_id", None)
            else None,
            old_status=current,
            new_status=to,
            actor_id=None if is_system(actor) else str(actor.id),
            actor_kind=actor_kind(actor),
            reason=reason,
            occurred_at=now.isoformat(),
            context=_json_safe(context),
        )
        events.publish(event, entity)
        # No flush here: rows of several transitions go out together at the next flush.
        return TransitionResult(
            entity=entity,
            old_status=current,
            new_status=to,
            updated_at=now,
            change=change,
            notifications_sent=tally.notifications_sent,
            workflow_actions_triggered=list(tally.workflow_actions_triggered),
        )
    finally:
        if token is not None:
            _tally.reset(token)


def record_creation(entity, *, actor, reason=None, context=None, now=None) -> StatusChange:
    """History for an entity born in its initial status (a change from nothing)."""
    machine = machine_for(entity)
    now = now or utcnow()
    if getattr(entity, "id", None) is None:
        db.session.add(entity)
        db.session.flush()
    change = StatusChange(
        organisation_id=getattr(entity, "organisation_id", None),
        entity_type=machine.name,
        entity_id=entity.id,
        old_status=None,
        new_status=getattr(entity, machine.status_attr),
        actor_id=None if is_system(actor) else actor.id,
        actor_kind=actor_kind(actor),
        reason=reason,
        context=_json_safe(context or {}) or None,
        created_at=now,
    )
    db.session.add(change)
    return change


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


__all__ = ["DomainError", "TransitionResult", "check", "record_creation", "transition"]
