"""/healthz, the queue in both deployments, the embedded worker thread and periodic jobs."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest

from portal import queue
from worker.runner import EmbeddedWorker
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
