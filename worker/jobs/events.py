"""After-commit event handlers (workflow rules, integrations), run by a worker: one job per
handler and event, so a failing handler is retried alone."""

from __future__ import annotations

from portal.queue.jobs import job
from portal.workflow import outbox


@job
def handle_event(event_id: str, handler: str) -> bool:
    return outbox.handle(event_id, handler)


@job
def relay_events() -> int:
    return outbox.relay()
