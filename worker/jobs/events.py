"""After-commit event handlers (workflow rules, integrations), run by a worker."""

from __future__ import annotations

from portal.queue.jobs import job
from portal.workflow import outbox


@job
def dispatch_event(event_id: str) -> bool:
    return outbox.dispatch(event_id)


@job
def relay_events() -> int:
    return outbox.relay()
