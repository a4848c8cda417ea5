"""Running the after-commit work of stored events, one handling at a time, and relaying the
handlings that were never run.

A handling is one after-commit handler's work on one event, and one job:

1. A short claim: one conditional UPDATE takes the handling for a lease (not done, no live
   lease, attempts left) and is committed at once. Two workers never run one handling together
   (on PostgreSQL the second UPDATE waits for the first, then finds the lease taken), and no
   row stays locked.
2. The handler runs with no transaction open: on SQLite nobody holds the write lock while it
   calls the network, on PostgreSQL neither the event nor the handling is locked. Its database
   writes are committed with the handling's done mark, in one transaction of its own. (On
   SQLite a transaction takes the write lock from its first statement: a handler that reads
   before a network call commits first, or reads after it.)
3. A failure is recorded in a transaction of its own (attempts, last error, the lease let go)
   and raised, so RQ retries that handling alone, with backoff; the handlings of the event
   that succeeded are never run again. The relay hands over handlings whose job was lost or
   whose retries ran out, up to MAX_ATTEMPTS claims in all.

The event is marked dispatched by the transaction that marks its last handling done.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from rq.exceptions import DuplicateJobError
from sqlalchemy import bindparam, func, or_, select, update

from portal import queue
from portal.core.clock import utcnow
from portal.core.locks import lock
from portal.extensions import db
from portal.workflow import events
from portal.workflow.models import DomainEvent
from portal.workflow.models import DomainEventHandling as Handling
from portal.workflow.origin import changes_from

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
GRACE = timedelta(seconds=10)
LEASE = timedelta(minutes=5)  # a worker that died mid-handler lets its handling go after this

# Built once: every handling runs it.
_CLAIM = (
    update(Handling)
    .where(
        Handling.event_id == bindparam("claimed_event"),
        Handling.handler == bindparam("claimed_handler"),
        Handling.done_at.is_(None),
        Handling.attempts < MAX_ATTEMPTS,
        or_(Handling.claimed_until.is_(None), Handling.claimed_until <= bindparam("now")),
    )
    .values(attempts=Handling.attempts + 1, claimed_until=bindparam("lease_until"))
    .returning(Handling.attempts)
    .execution_options(synchronize_session=False)
)


def _one(event_id: uuid.UUID, handler: str):
    return (Handling.event_id == event_id, Handling.handler == handler)


def _claim(event_id: uuid.UUID, handler: str, now: datetime) -> dict | None:
    """Take the handling for one attempt and commit; returns its event's payload, or None if
    it is not ours to run (done, running elsewhere, out of attempts)."""
    db.session.commit()  # whatever the caller's session holds is not part of the claim
    params = {
        "claimed_event": event_id,
        "claimed_handler": handler,
        "now": now,
        "lease_until": now + LEASE,
    }
    if db.session.execute(_CLAIM, params).first() is None:
        db.session.commit()
        return None
    payload = db.session.scalar(select(DomainEvent.payload).where(DomainEvent.id == event_id))
    db.session.commit()  # the claim is over: nothing stays locked while the handler runs
    return payload


def handle(event_id, handler: str, *, now: datetime | None = None) -> bool:
    """Run one after-commit handler for one stored event, with the event's origin and cause.
    False if it was not ours to run; a handler's error is recorded, then raised (to be retried).
    """
    now = now or utcnow()
    event_id = uuid.UUID(str(event_id))
    payload = _claim(event_id, handler, now)
    if payload is None:
        return False
    event = events.Event(**payload)
    try:
        fn = events.after_commit_handlers(event.name).get(handler)
        if fn is None:
            raise LookupError(f"no after-commit handler {handler} for {event.name}")
        with changes_from(event.origin, event.cause_id):
            fn(event)
            _record_done(event_id, handler, now)
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(event_id, handler, exc)
        raise
    return True


def _record_done(event_id: uuid.UUID, handler: str, now: datetime) -> None:
    """Mark the handling done, and its event dispatched if it was the last one. The event's row
    is locked first (on PostgreSQL; SQLite writers already run one at a time), so of two last
    handlings finishing at once the second sees the first done."""
    lock(select(DomainEvent.id).where(DomainEvent.id == event_id))
    db.session.execute(
        update(Handling)
        .where(*_one(event_id, handler))
        .values(done_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    pending = db.session.scalar(
        select(func.count())
        .select_from(Handling)
        .where(Handling.event_id == event_id, Handling.done_at.is_(None))
    )
    if not pending:
        db.session.execute(
            update(DomainEvent)
            .where(DomainEvent.id == event_id, DomainEvent.dispatched_at.is_(None))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )


def _record_failure(event_id: uuid.UUID, handler: str, exc: Exception) -> None:
    """Keep the error and let the lease go, so the handling's retry can claim it at once."""
    db.session.execute(
        update(Handling)
        .where(*_one(event_id, handler))
        .values(last_error=f"{exc.__class__.__name__}: {exc}", claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def relay(*, now: datetime | None = None, batch: int = 200) -> int:
    """Hand over the handlings not done whose job was lost (Redis down at commit, a worker that
    died) or whose retries ran out, while they have attempts left. Returns how many."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Handling.event_id, Handling.handler)
        .where(
            Handling.done_at.is_(None),
            Handling.attempts < MAX_ATTEMPTS,
            Handling.created_at <= now - GRACE,
            or_(Handling.claimed_until.is_(None), Handling.claimed_until <= now),
        )
        .order_by(Handling.created_at, Handling.event_id, Handling.handler)
        .limit(batch)
    ).all()
    db.session.commit()
    handed = 0
    for event_id, handler in rows:
        try:
            events.enqueue_handling(str(event_id), handler)
        except DuplicateJobError:
            continue  # its job is still waiting, or waiting for its retry: not lost
        except queue.UNREACHABLE as exc:
            log.warning("queue unreachable, event %s left for later: %s", event_id, exc)
            break  # the next sweep tries again
        handed += 1
    return handed
