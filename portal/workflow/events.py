"""Events emitted by transitions, and the handlers that react to them.

Two phases:
- "transaction": runs at once, inside the same transaction (cascades, in-app notifications,
  outbound message rows). If it fails, the whole change rolls back.
- "after_commit": recorded as a DomainEvent row in the transaction, run by a worker after commit
  (workflow rules, CRM sync). Handlers must be idempotent: the relay may run an event again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from portal.core.transactions import after_commit
from portal.extensions import db

ANY_STATUS_CHANGE = "status_changed"
_HANDLERS: dict[tuple[str, str], list[Callable]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    name: str
    machine: str
    entity_id: str
    organisation_id: str | None
    old_status: str | None
    new_status: str
    actor_id: str | None
    actor_kind: str
    reason: str | None
    occurred_at: str
    context: dict = field(default_factory=dict)
    # The history row this event reports, the first change of its chain, and where it came
    # from (see portal.workflow.origin): the CRM sync's Idempotency-Key and its echo check.
    change_id: str | None = None
    cause_id: str | None = None
    origin: str = "system"

    def payload(self) -> dict:
        return asdict(self)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.occurred_at)


def on(name: str, *, phase: str = "transaction"):
    """Register a handler for `name` (e.g. "assignment_accepted" or "status_changed")."""
    if phase not in ("transaction", "after_commit"):
        raise ValueError(phase)

    def register(fn):
        if fn not in _HANDLERS[(name, phase)]:
            _HANDLERS[(name, phase)].append(fn)
        return fn

    return register


def off(name: str, fn: Callable, *, phase: str = "transaction") -> None:
    if fn in _HANDLERS[(name, phase)]:
        _HANDLERS[(name, phase)].remove(fn)


def emittable() -> set[str]:
    """Every event name some registered machine can publish."""
    from portal.workflow.engine import created_event
    from portal.workflow.machines import all_machines

    names = {ANY_STATUS_CHANGE}
    for machine in all_machines():
        names.add(created_event(machine.name))
        names.update(f"{machine.name}_{state}" for state in machine.states)
    return names


def check_subscriptions() -> None:
    """Refuse to start with a handler waiting for an event no machine can emit (a misspelt
    name would otherwise simply never fire)."""
    unknown = sorted(
        name
        for (name, _phase), registered in _HANDLERS.items()
        if registered
        if name not in emittable()
    )
    if unknown:
        raise RuntimeError(f"event handlers subscribed to events no machine emits: {unknown}")


def handlers(name: str, phase: str) -> list[Callable]:
    return [*_HANDLERS[(name, phase)], *_HANDLERS[(ANY_STATUS_CHANGE, phase)]]


def publish(event: Event, entity) -> None:
    """Run the in-transaction handlers now; leave a DomainEvent for the after-commit ones."""
    for handler in handlers(event.name, "transaction"):
        handler(event, entity)
    if handlers(event.name, "after_commit"):
        from portal.workflow.models import DomainEvent

        row = DomainEvent(
            organisation_id=uuid.UUID(event.organisation_id) if event.organisation_id else None,
            name=event.name,
            payload=event.payload(),
        )
        db.session.add(row)
        db.session.flush()
        event_id = str(row.id)
        after_commit(db.session, lambda: enqueue_dispatch(event_id))


def enqueue_dispatch(event_id: str) -> None:
    from portal import queue

    queue.enqueue(
        "worker.jobs.events.dispatch_event",
        event_id,
        queue="integrations",
        job_id=f"event-{event_id}",
        result_ttl=0,
    )


def run_after_commit_handlers(row, now: datetime) -> None:
    """Run every after-commit handler of a stored event, then mark it dispatched. What a
    handler changes comes from where the event came from, in the same chain of changes."""
    from portal.workflow.origin import changes_from

    event = Event(**row.payload)
    with changes_from(event.origin, event.cause_id):
        for handler in handlers(event.name, "after_commit"):
            handler(event)
    row.dispatched_at = now
