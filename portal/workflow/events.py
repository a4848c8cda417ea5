"""Events emitted by transitions, and the handlers that react to them.

Two phases:
- "transaction": runs at once, inside the same transaction (cascades, in-app notifications,
  outbound message rows). If it fails, the whole change rolls back.
- "after_commit": recorded in the transaction as a DomainEvent row with one handling row per
  handler, run by a worker after commit (workflow rules, CRM sync). Each handling is its own
  job and its own transaction, run with no lock held (see portal.workflow.outbox): a handler may
  call the network, and one that fails is retried alone. A handler's database writes commit
  with its handling's done mark; what it did elsewhere may be done again if its worker dies
  before that commit, so handlers must be idempotent (the event's change id serves as the key
  of what they send).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from portal.core.transactions import after_commit
from portal.extensions import db

log = logging.getLogger(__name__)
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
    """Register a handler for `name` (e.g. "assignment_accepted" or "status_changed").

    An after-commit handler is known by its name (`handler_name`) in its event's handlings, so
    two different functions of one name cannot both handle one event."""
    if phase not in ("transaction", "after_commit"):
        raise ValueError(phase)

    def register(fn):
        if phase == "after_commit":
            _refuse_a_second_of_the_name(name, fn)
        if fn not in _HANDLERS[(name, phase)]:
            _HANDLERS[(name, phase)].append(fn)
        return fn

    return register


def handler_name(fn: Callable) -> str:
    """A handler's stable name: `module.function` (`module.Class.method`, ...)."""
    module = getattr(fn, "__module__", None) or type(getattr(fn, "__self__", fn)).__module__
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"


def handler_key(name: str) -> str:
    """A short key for a handler's name, made of letters and digits only (for job ids)."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def _refuse_a_second_of_the_name(name: str, fn: Callable) -> None:
    """Handlers that can run for one event (those of `name` and those of every status change)
    each need a name of their own."""
    lists = [
        registered
        for (event_name, phase), registered in _HANDLERS.items()
        if phase == "after_commit"
        if name == ANY_STATUS_CHANGE or event_name in (name, ANY_STATUS_CHANGE)
    ]
    wanted = handler_name(fn)
    for registered in lists:
        for other in registered:
            if other != fn and handler_name(other) == wanted:
                raise ValueError(f"another after-commit handler is named {wanted}")


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


def after_commit_handlers(name: str) -> dict[str, Callable]:
    """The after-commit handlers of event `name` by their names, in the order they run (one
    registered both for the event and for every status change runs once)."""
    named: dict[str, Callable] = {}
    for fn in handlers(name, "after_commit"):
        named.setdefault(handler_name(fn), fn)
    return named


def publish(event: Event, entity) -> None:
    """Run the in-transaction handlers now; leave a DomainEvent and one handling per
    after-commit handler, each handed to the queue as its own job once the change commits."""
    for handler in handlers(event.name, "transaction"):
        handler(event, entity)
    names = list(after_commit_handlers(event.name))
    if names:
        from portal.workflow.models import DomainEvent, DomainEventHandling

        row = DomainEvent(
            id=uuid.uuid4(),
            organisation_id=uuid.UUID(event.organisation_id) if event.organisation_id else None,
            name=event.name,
            payload=event.payload(),
            handlings=[DomainEventHandling(handler=name) for name in names],
        )
        db.session.add(row)
        event_id = str(row.id)
        after_commit(db.session, lambda: enqueue_handlings(event_id, names))


def handling_job_id(event_id: str, handler: str) -> str:
    return f"event-{event_id}-{handler_key(handler)}"


def enqueue_handling(event_id: str, handler: str) -> None:
    """Hand one handling to the queue (RQ retries it with backoff when its handler fails).
    DuplicateJobError while its job may still run; queue.UNREACHABLE when Redis is down."""
    from portal import queue

    queue.enqueue(
        "worker.jobs.events.handle_event",
        event_id,
        handler,
        queue="integrations",
        job_id=handling_job_id(event_id, handler),
        result_ttl=0,
    )


def enqueue_handlings(event_id: str, names: list[str]) -> None:
    """After commit: one job per handling. Those that cannot be handed over now (Redis down)
    are left to the relay."""
    from rq.exceptions import DuplicateJobError

    from portal import queue

    for handler in names:
        try:
            enqueue_handling(event_id, handler)
        except DuplicateJobError:
            continue  # already waiting
        except queue.UNREACHABLE as exc:
            log.warning("queue unreachable, event %s left for the relay: %s", event_id, exc)
            return
