"""Periodic jobs: each is enqueued once per interval, whatever the number of workers.

The job id carries the time bucket, so two workers ticking at once enqueue it once.
"""

from __future__ import annotations

import threading
from datetime import datetime

from rq.exceptions import DuplicateJobError

from portal.core.clock import utcnow
from portal.core.modules import Periodic, periodic_jobs


def tick(
    queue_for, now: datetime | None = None, entries: list[Periodic] | None = None
) -> list[str]:
    """Enqueue every periodic job the modules declare (or `entries`) whose bucket has not been
    enqueued yet. Returns their ids."""
    now = now or utcnow()
    enqueued = []
    for entry in periodic_jobs() if entries is None else entries:
        bucket = int(now.timestamp()) // entry.every_seconds
        job_id = f"periodic-{entry.job_name.replace('.', '-')}-{bucket}"
        try:
            queue_for(entry.queue).enqueue(
                entry.job_name, job_id=job_id, unique=True, result_ttl=entry.every_seconds * 2
            )
        except DuplicateJobError:
            continue  # another worker (or an earlier tick) enqueued this bucket
        enqueued.append(job_id)
    return enqueued


def enqueue_due(scheduler) -> set[str]:
    """Move due scheduled and retried jobs to their queues, for the queues whose RQ scheduler
    lock this process holds (taken or refreshed here). RQ's move is not atomic, so two
    processes moving the same queue's jobs could enqueue a job twice; the lock, shared with
    the scheduler RQ's workers start, lets one process at a time do it. Returns those queues."""
    owned = scheduler.acquire_locks()
    if owned:
        scheduler.enqueue_scheduled_jobs()
    return owned


class Ticker(threading.Thread):
    """Every second: move due scheduled/retried jobs to their queues and enqueue periodic jobs."""

    def __init__(self, app, queue_names, interval: float = 1.0):
        super().__init__(name="portal-ticker", daemon=True)
        self.app = app
        self.queue_names = list(queue_names)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        from rq.scheduler import RQScheduler

        from portal import queue

        connection = queue.connection(self.app)
        scheduler = RQScheduler(self.queue_names, connection=connection)
        try:
            while not self.stopping.wait(self.interval):
                try:
                    enqueue_due(scheduler)
                    tick(lambda name: queue.get_queue(name, self.app))
                except Exception:  # keep ticking through a Redis hiccup
                    self.app.logger.exception("scheduler tick failed")
        finally:
            try:
                scheduler.release_locks()
            except Exception:  # Redis gone: the locks expire by themselves
                self.app.logger.warning("scheduler locks not released")

    def stop(self) -> None:
        self.stopping.set()
