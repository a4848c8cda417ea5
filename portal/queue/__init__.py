"""The job queue: RQ on Redis in production, RQ on an in-process Redis stand-in when embedded.

Portal code enqueues jobs by name ("worker.jobs.<module>.<function>") and only after commit;
it never imports the worker package.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

QUEUES = ("default", "messages", "reminders", "integrations")
# What an enqueue raises when Redis cannot be reached: the row stays for the next sweep.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        connection = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    else:
        import fakeredis  # only the embedded queue needs it

        # One shared server, so the web threads and the embedded worker thread see one Redis.
        server = app.config.get("FAKE_REDIS_SERVER") or fakeredis.FakeServer()
        app.config["FAKE_REDIS_SERVER"] = server
        connection = fakeredis.FakeRedis(server=server)
    app.extensions["queue_connection"] = connection


def connection(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions["queue_connection"]


def is_embedded(app: Flask | None = None) -> bool:
    return not (app or current_app).config.get("REDIS_URL")


def get_queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=connection(app))


def enqueue(
    job_name: str,
    *args,
    queue: str = "default",
    job_id: str | None = None,
    retries: int = 3,
    intervals: tuple[int, ...] = (10, 60, 300),
    **kwargs,
):
    """Enqueue `job_name` with plain arguments (ids, not objects). A job id makes it unique:
    DuplicateJobError while a job of that id is still waiting, scheduled or running. A job of
    that id that is over (failed for good, stopped, cancelled) is removed and enqueued again,
    so a relay can hand over a row whose job died before it did its work."""
    options = {
        "job_id": job_id,
        "unique": bool(job_id),
        "retry": Retry(max=retries, interval=list(intervals)) if retries else None,
        **kwargs,
    }
    target = get_queue(queue)
    try:
        return target.enqueue(job_name, *args, **options)
    except DuplicateJobError:
        if not _remove_if_over(job_id, target.connection):
            raise
    return target.enqueue(job_name, *args, **options)


OVER = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


def _remove_if_over(job_id: str, connection) -> bool:
    """Remove the job `job_id` if it will never run again; False while it may still run.
    The job's key is watched from the read to the removal: if another process replaced the
    job meanwhile (two relays at once), this one leaves the new job alone."""
    with connection.pipeline() as pipe:
        try:
            pipe.watch(Job.key_for(job_id))
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                return True  # gone since the enqueue looked
            if job.get_status(refresh=True) not in OVER:
                return False
            pipe.multi()
            job.delete(pipeline=pipe)
            pipe.execute()
        except WatchError:
            return False  # replaced meanwhile: that job is the one to run
    return True
