"""After-commit work is isolated: each handler of an event is its own job and its own
transaction, runs with no database lock held, and is retried alone; the relay hands over only
the handlings not done, and two workers never run one handling at once."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq.job import Job, JobStatus
from rq.scheduler import RQScheduler
from sqlalchemy import create_engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from portal import queue
from portal.core.clock import utcnow
from portal.core.locks import lock
from portal.extensions import db
from portal.workflow import events, origin, outbox
from portal.workflow.engine import transition
from portal.workflow.models import DomainEvent, DomainEventHandling
from tests.concurrency import run_together
from tests.workflow.conftest import Widget
from worker.schedule import enqueue_due


@pytest.fixture
def subscribe():
    """subscribe(fn) → `fn` handles "widget_active" after commit, for this test only."""
    registered = []

    def add(fn):
        events.on("widget_active", phase="after_commit")(fn)
        registered.append(fn)
        return fn

    yield add
    for fn in registered:
        events.off("widget_active", fn, phase="after_commit")


@pytest.fixture
def activate(users, org, make_widget):
    """activate() → the id of the stored event of a widget made active and committed."""

    def make() -> str:
        before = set(db.session.scalars(select(DomainEvent.id)))
        transition(make_widget(org), "active", actor=users["coordinator"])
        db.session.commit()
        [event_id] = set(db.session.scalars(select(DomainEvent.id))) - before
        db.session.commit()  # no transaction left open (on SQLite it would hold the write lock)
        return str(event_id)

    return make


def _handlings(event_id: str) -> dict[str, DomainEventHandling]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(DomainEventHandling).where(DomainEventHandling.event_id == uuid.UUID(event_id))
    )
    return {row.handler: row for row in rows}


def _job_id(event_id: str, fn) -> str:
    return events.handling_job_id(event_id, events.handler_name(fn))


def _run_retries_now() -> None:
    """Make the retries RQ scheduled due now and move them to their queue, as the worker's
    ticker does once their backoff is over."""
    integrations = queue.get_queue("integrations")
    scheduled = integrations.scheduled_job_registry
    for job_id in scheduled.get_job_ids():
        job = Job.fetch(job_id, connection=integrations.connection)
        scheduled.schedule(job, datetime.now(UTC) - timedelta(seconds=1))
    scheduler = RQScheduler(["integrations"], connection=integrations.connection)
    try:
        assert enqueue_due(scheduler) == {"integrations"}
    finally:
        scheduler.release_locks()


def test_each_handler_commits_alone_and_a_failing_one_is_retried_alone(
    org, make_widget, subscribe, activate, run_jobs
):
    """Two handlers of one event: the first commits its write; the second writes, then raises,
    and only its own write is undone. RQ retries the second alone: the first is not run again,
    the retry succeeds, and the event is dispatched. Both ran with the event's origin and cause.
    """
    first_target, second_target = make_widget(org).id, make_widget(org).id
    runs = {"first": [], "second": []}

    def write_first(event):
        runs["first"].append(origin.current())
        db.session.get(Widget, first_target).note = "first"

    def write_second_then_fail_once(event):
        runs["second"].append(origin.current())
        db.session.get(Widget, second_target).note = f"second, try {len(runs['second'])}"
        if len(runs["second"]) == 1:
            raise RuntimeError("partner unavailable")

    subscribe(write_first)
    subscribe(write_second_then_fail_once)
    with origin.changes_from("webhook:crm"):
        event_id = activate()
    stored = events.Event(**db.session.get(DomainEvent, uuid.UUID(event_id)).payload)
    integrations = queue.get_queue("integrations")
    assert sorted(integrations.job_ids) == sorted(
        _job_id(event_id, fn) for fn in (write_first, write_second_then_fail_once)
    )

    run_jobs()
    db.session.expire_all()
    assert db.session.get(Widget, first_target).note == "first"  # committed on its own
    assert db.session.get(Widget, second_target).note is None  # its own write undone
    handlings = _handlings(event_id)
    first = handlings[events.handler_name(write_first)]
    second = handlings[events.handler_name(write_second_then_fail_once)]
    assert first.done_at is not None and first.attempts == 1
    assert second.done_at is None and second.attempts == 1
    assert second.last_error == "RuntimeError: partner unavailable"
    assert second.claimed_until is None  # let go for its retry
    assert db.session.get(DomainEvent, uuid.UUID(event_id)).dispatched_at is None
    # Only the failed handling waits for its retry.
    assert integrations.scheduled_job_registry.get_job_ids() == [
        _job_id(event_id, write_second_then_fail_once)
    ]

    _run_retries_now()
    run_jobs()
    db.session.expire_all()
    assert len(runs["first"]) == 1 and len(runs["second"]) == 2
    assert db.session.get(Widget, second_target).note == "second, try 2"
    second = _handlings(event_id)[events.handler_name(write_second_then_fail_once)]
    assert second.done_at is not None and second.attempts == 2
    assert db.session.get(DomainEvent, uuid.UUID(event_id)).dispatched_at is not None
    expected = origin.Cause("webhook:crm", uuid.UUID(stored.cause_id))
    assert stored.origin == "webhook:crm" and stored.cause_id == stored.change_id
    assert runs["first"] == [expected] and runs["second"] == [expected, expected]


def _write_from_another_connection(event_id: str) -> float:
    """Write the event's row and its handlings from a connection of another thread that waits
    at most half a second for a lock (SQLite: the database's write lock; PostgreSQL: the rows'
    locks). Returns the seconds it took; raises OperationalError if a lock was held."""
    url = db.engine.url
    sqlite = url.get_backend_name() == "sqlite"
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 0.5} if sqlite else {})

    def write() -> float:
        started = time.monotonic()
        with engine.begin() as connection:
            if not sqlite:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '500ms'")
            events_table = DomainEvent.__table__
            handlings_table = DomainEventHandling.__table__
            connection.execute(
                update(events_table)
                .where(events_table.c.id == uuid.UUID(event_id))
                .values(name=events_table.c.name)
            )
            connection.execute(
                update(handlings_table)
                .where(handlings_table.c.event_id == uuid.UUID(event_id))
                .values(attempts=handlings_table.c.attempts)
            )
        return time.monotonic() - started

    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(write).result(timeout=10)
    finally:
        engine.dispose()


def test_no_lock_is_held_while_a_handler_runs(subscribe, activate, run_jobs):
    """While the handler runs (where it would call the network), another connection writes
    the event's rows at once: on SQLite the write lock is free, on PostgreSQL neither the
    event nor its handling is locked. The probe does see a lock when one is held."""
    probes: list[float] = []
    held: list[bool] = []
    event_ids: list[str] = []

    def call_partner(event):
        held.append(db.session().in_transaction())
        probes.append(_write_from_another_connection(event_ids[0]))

    subscribe(call_partner)
    event_ids.append(activate())

    lock(select(DomainEvent.id).where(DomainEvent.id == uuid.UUID(event_ids[0])))  # a lock held
    with pytest.raises(OperationalError):
        _write_from_another_connection(event_ids[0])
    db.session.rollback()

    run_jobs()
    assert held == [False]  # the claim's transaction was over before the handler started
    assert len(probes) == 1 and probes[0] < 0.5
    [handling] = _handlings(event_ids[0]).values()
    assert handling.done_at is not None and handling.last_error is None


def test_the_relay_hands_over_only_the_handlings_not_done(subscribe, activate, run_jobs):
    """One handler of the event succeeded, the other failed until its retries ran out: the
    sweep hands over that one alone, and the one that succeeded never runs again."""
    runs = {"fine": 0, "flaky": 0}

    def fine(event):
        runs["fine"] += 1

    def flaky(event):
        runs["flaky"] += 1
        if runs["flaky"] == 1:
            raise RuntimeError("partner unavailable")

    subscribe(fine)
    subscribe(flaky)
    event_id = activate()
    run_jobs()
    integrations = queue.get_queue("integrations")
    retried = Job.fetch(_job_id(event_id, flaky), connection=integrations.connection)
    integrations.scheduled_job_registry.remove(retried)
    retried.set_status(JobStatus.FAILED)  # its retries are over
    written = _handlings(event_id)[events.handler_name(flaky)].created_at
    assert outbox.relay(now=written + outbox.GRACE / 2) == 0  # in its grace period

    assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 1
    assert integrations.job_ids == [_job_id(event_id, flaky)]
    run_jobs()
    assert runs == {"fine": 1, "flaky": 2}
    assert all(h.done_at is not None for h in _handlings(event_id).values())
    assert db.session.get(DomainEvent, uuid.UUID(event_id)).dispatched_at is not None
    assert outbox.relay(now=utcnow() + timedelta(minutes=2)) == 0


def test_redis_down_leaves_handlings_to_the_relay(subscribe, activate, run_jobs, monkeypatch):
    """Redis down at commit: the change commits and its handlings wait. A sweep with Redis
    still down hands over nothing and raises nothing; the next one hands both over."""
    runs = []

    def first(event):
        runs.append("one")

    def second(event):
        runs.append("two")

    def unreachable(event_id, handler):
        raise redis.ConnectionError("Redis is down")

    subscribe(first)
    subscribe(second)
    real_enqueue = events.enqueue_handling
    monkeypatch.setattr(events, "enqueue_handling", unreachable)
    event_id = activate()
    assert queue.get_queue("integrations").job_ids == []
    assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 0
    monkeypatch.setattr(events, "enqueue_handling", real_enqueue)
    assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 2
    run_jobs()
    assert sorted(runs) == ["one", "two"]
    assert db.session.get(DomainEvent, uuid.UUID(event_id)).dispatched_at is not None


def test_a_handling_is_claimed_at_most_max_attempts_times(subscribe, activate):
    def broken(event):
        raise RuntimeError("always")

    subscribe(broken)
    event_id = activate()
    name = events.handler_name(broken)
    for _ in range(outbox.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            outbox.handle(event_id, name)
    assert outbox.handle(event_id, name) is False  # not run again
    [handling] = _handlings(event_id).values()
    assert handling.attempts == outbox.MAX_ATTEMPTS and handling.done_at is None
    assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 0


def test_a_handling_whose_worker_died_is_handed_over_when_its_lease_is_over(subscribe, activate):
    ran = []
    subscribe(ran.append)
    event_id = activate()
    db.session.execute(
        update(DomainEventHandling)
        .where(DomainEventHandling.event_id == uuid.UUID(event_id))
        .values(attempts=1, claimed_until=utcnow() + outbox.LEASE)  # claimed, then the worker died
    )
    db.session.commit()
    queue.connection().flushdb()  # and its job with it
    assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 0  # still leased
    assert outbox.relay(now=utcnow() + outbox.LEASE + timedelta(minutes=1)) == 1


def test_one_handling_dispatched_by_two_workers_at_once_runs_once(app, subscribe, activate):
    runs = []
    counting = threading.Lock()

    def slow_partner(event):
        with counting:
            runs.append(event.entity_id)
        time.sleep(0.1)  # the other worker's claim comes while this one runs

    subscribe(slow_partner)
    name = events.handler_name(slow_partner)
    for _ in range(5):
        event_id = activate()
        results: list[bool] = []

        def dispatch(ready, event_id=event_id, results=results):
            ready()
            results.append(outbox.handle(event_id, name))

        assert run_together(app, dispatch, dispatch) == [None, None]
        assert sorted(results) == [False, True]
        [handling] = _handlings(event_id).values()
        assert handling.attempts == 1 and handling.done_at is not None
    assert len(runs) == 5 and len(set(runs)) == 5


def test_the_last_two_handlings_finishing_at_once_dispatch_their_event(app, subscribe, activate):
    """Two workers finish the two handlings of one event at the same moment: whichever
    commits second sees the other done, so the event is marked dispatched."""
    both_ran = threading.Barrier(2)

    def one(event):
        both_ran.wait(timeout=10)

    def other(event):
        both_ran.wait(timeout=10)

    subscribe(one)
    subscribe(other)
    for _ in range(5):
        event_id = activate()

        def dispatch(fn, event_id=event_id):
            return lambda ready: (ready(), outbox.handle(event_id, events.handler_name(fn)))

        assert run_together(app, dispatch(one), dispatch(other)) == [None, None]
        assert all(h.done_at is not None for h in _handlings(event_id).values())
        assert db.session.get(DomainEvent, uuid.UUID(event_id)).dispatched_at is not None


def test_two_different_handlers_of_one_name_cannot_handle_one_event():
    def make():
        def same_name(event):
            return None

        return same_name

    first, second = make(), make()
    events.on("widget_active", phase="after_commit")(first)
    try:
        with pytest.raises(ValueError, match="same_name"):
            events.on(events.ANY_STATUS_CHANGE, phase="after_commit")(second)
        events.on("widget_done", phase="after_commit")(second)  # another event: allowed
        events.off("widget_done", second, phase="after_commit")
        events.on("widget_active", phase="after_commit")(first)  # the same one again: fine
    finally:
        events.off("widget_active", first, phase="after_commit")
    assert events.handlers("widget_active", "after_commit") == []
