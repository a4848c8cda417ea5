"""Running the after-commit handlers of stored events, once, and relaying forgotten ones."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from rq.exceptions import DuplicateJobError
from sqlalchemy import select

from portal import queue
from portal.core.clock import utcnow
from portal.extensions import db
from portal.workflow import events
from portal.workflow.models import DomainEvent

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
GRACE = timedelta(seconds=10)


def dispatch(event_id, *, now: datetime | None = None) -> bool:
    """Run the event's after-commit handlers. False if it was already dispatched."""
    now = now or utcnow()
    row = db.session.get(DomainEvent, uuid.UUID(str(event_id)), with_for_update=True)
    if row is None or row.dispatched_at is not None:
        return False
    row.attempts += 1
    try:
        events.run_after_commit_handlers(row, now)
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(DomainEvent, uuid.UUID(str(event_id)))
        row.attempts += 1
        row.last_error = f"{exc.__class__.__name__}: {exc}"
        db.session.commit()
        raise
    db.session.commit()
    return True


def relay(*, now: datetime | None = None, batch: int = 200) -> int:
    now = now or utcnow()
    ids = db.session.scalars(
        select(DomainEvent.id)
        .where(
            DomainEvent.dispatched_at.is_(None),
            DomainEvent.attempts < MAX_ATTEMPTS,
            DomainEvent.created_at <= now - GRACE,
        )
        .order_by(DomainEvent.created_at)
        .limit(batch)
    ).all()
    db.session.commit()
    handed = 0
    for event_id in ids:
        try:
            events.enqueue_dispatch(str(event_id))
        except DuplicateJobError:
            continue  # its job is still waiting, or waiting for its retry: not lost
        except queue.UNREACHABLE as exc:
            log.warning("queue unreachable, event %s left for later: %s", event_id, exc)
            break  # the next sweep tries again
        handed += 1
    return handed
