"""/healthz, the queue in both deployments, the embedded worker thread and periodic jobs."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from redis.client import PubSub

from portal import queue
from worker.runner import EmbeddedWorker, ProcessWorker
from worker.schedule import Periodic, tick


def _wait_for(predicate, seconds: float = 15.0) -> bool:
    # A real thread does the work; poll instead of sleeping a fixed time.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_healthz_without_worker_is_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert body["worker"].startswith("error")


def test_job_runs_through_the_queue(app, run_jobs):
    token = uuid.uuid4().hex
    queue.enqueue("worker.jobs.maintenance.ping", token)
    assert run_jobs() is True
    assert queue.connection().get(f"portal:ping:{token}") == b"pong"


def test_embedded_worker_thread_runs_jobs_and_reports_healthy(app, client):
    runner = EmbeddedWorker(app).start()
    try:
        token = uuid.uuid4().hex
        queue.enqueue("worker.jobs.maintenance.ping", token, queue="messages")
        assert _wait_for(lambda: queue.connection().get(f"portal:ping:{token}") == b"pong")
        assert _wait_for(lambda: client.get("/healthz").status_code == 200)
        assert client.get("/healthz").get_json() == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
            "worker": "ok",
        }
    finally:
        runner.stop()


def test_thread_workers_run_jobs_without_a_command_listener(app, run_jobs, monkeypatch):
    """RQ's shutdown command interrupts the whole process and a thread worker has no work
    horse to kill: neither a drain nor the embedded worker listens for RQ's commands."""

    def refuse(*args, **kwargs):
        raise AssertionError("a thread worker started a pub/sub listener")

    monkeypatch.setattr(PubSub, "run_in_thread", refuse)
    token = uuid.uuid4().hex
    queue.enqueue("worker.jobs.maintenance.ping", token)
    assert run_jobs() is True
    runner = EmbeddedWorker(app).start()
    try:
        queue.enqueue("worker.jobs.maintenance.ping", token + "-embedded", queue="messages")
        assert _wait_for(lambda: queue.connection().get(f"portal:ping:{token}-embedded") == b"pong")
    finally:
        runner.stop()
    assert not runner.thread.is_alive()


def test_the_worker_process_stops_its_command_listener_at_once(app, monkeypatch):
    """`portal worker` listens for RQ's commands in a thread. RQ stopped it by unsubscribing
    first: when the thread read that answer before being told to stop, it went back to
    waiting 60 s for a subscription, and the worker's exit waited with it (redis-py's
    stop() has no limit). Here the listener always reads the answer before the worker goes
    on, the slowest case: it must be gone when unsubscribe() returns."""
    worker = ProcessWorker([queue.get_queue("default")], connection=queue.connection(app))
    worker.subscribe()
    listener = worker.pubsub_thread
    send_unsubscribe = worker.pubsub.unsubscribe

    def unsubscribe_then_wait_for_the_listener(*args):
        sent = send_unsubscribe(*args)
        assert _wait_for(lambda: not worker.pubsub.subscribed, seconds=5)
        return sent

    monkeypatch.setattr(worker.pubsub, "unsubscribe", unsubscribe_then_wait_for_the_listener)
    started = time.monotonic()
    worker.unsubscribe()
    assert not listener.is_alive()
    assert time.monotonic() - started < 5


def test_healthz_reports_redis_down(app, client):
    if not queue.is_embedded(app):
        pytest.skip("simulates the outage with the embedded stand-in; CI stops real Redis apart")
    server = app.config["FAKE_REDIS_SERVER"]
    server.connected = False
    try:
        response = client.get("/healthz")
    finally:
        server.connected = True
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("error")


def test_periodic_jobs_are_enqueued_once_per_interval(app):
    entries = [Periodic("worker.jobs.maintenance.noop", 60)]
    at = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)
    first = tick(queue.get_queue, at, entries)
    again = tick(queue.get_queue, at.replace(second=40), entries)
    later = tick(queue.get_queue, at.replace(minute=1), entries)
    assert len(first) == 1 and again == [] and len(later) == 1
    assert queue.get_queue("default").count == 2


def test_one_process_at_a_time_moves_due_retries_to_their_queue(app):
    """RQ moves due scheduled jobs in two steps; two workers doing it at once could enqueue
    a retried job twice. Each takes RQ's scheduler lock first, so only one of them does."""
    from datetime import timedelta

    from rq.scheduler import RQScheduler

    from worker.schedule import enqueue_due

    connection = queue.connection(app)
    default = queue.get_queue("default")
    default.enqueue_at(datetime.now(UTC) - timedelta(seconds=5), "worker.jobs.maintenance.noop")
    first = RQScheduler(["default"], connection=connection)
    second = RQScheduler(["default"], connection=connection)
    try:
        assert enqueue_due(first) == {"default"}
        assert enqueue_due(second) == set()  # the first holds the lock
        assert default.count == 1
        assert enqueue_due(first) == {"default"}  # refreshed, nothing more to move
        assert default.count == 1
        first.release_locks()
        assert enqueue_due(second) == {"default"}  # free again: the other takes over
    finally:
        first.release_locks()
        second.release_locks()


def test_a_job_id_is_free_again_once_its_job_is_over(app):
    """A unique job id blocks a second enqueue while its job may still run, and is taken
    over once the job is over for good (failed, stopped, cancelled)."""
    from rq.exceptions import DuplicateJobError
    from rq.job import Job, JobStatus

    default = queue.get_queue("default")
    for over in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        job_id = f"job-{over.value}"
        first = queue.enqueue("worker.jobs.maintenance.noop", job_id=job_id)
        with pytest.raises(DuplicateJobError):  # still queued: it will run
            queue.enqueue("worker.jobs.maintenance.noop", job_id=job_id)
        default.remove(first)
        first.set_status(over)
        queue.enqueue("worker.jobs.maintenance.noop", job_id=job_id)
        again = Job.fetch(job_id, connection=default.connection)
        assert again.get_status() == JobStatus.QUEUED and job_id in default.job_ids
