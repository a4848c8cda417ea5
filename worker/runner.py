"""Running workers: RQ processes on Redis, or a thread inside `portal run` when embedded."""

from __future__ import annotations

import threading

from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

from portal import queue
from portal.queue.jobs import bind_app
from worker.schedule import Ticker

# The listening thread sleeps 2 s after a connection error before it looks at its flag again.
_PUBSUB_STOP_SECONDS = 5


class ProcessWorker(SimpleWorker):
    """`portal worker`'s RQ worker: jobs in the worker's process, no fork per job.

    It listens on RQ's command channel (`rq.command.send_shutdown_command` stops it warmly)
    and stops its listening thread without waiting for a subscription that never comes.
    """

    def unsubscribe(self):
        # RQ sends UNSUBSCRIBE, then stops the listening thread, and redis-py's (8.2) stop()
        # waits for it without a limit. A thread that reads the UNSUBSCRIBE's answer before its
        # running flag is cleared goes back to get_message(), which, with no subscription
        # left, waits the full 60 s of RQ's poll for one: stop() waited that long. Clearing
        # the flag first means the answer wakes a thread that then leaves at once.
        thread = self.pubsub_thread
        if thread is None:
            return
        thread.stop(timeout=0)  # only clears the running flag: the thread is still reading
        self.pubsub.unsubscribe()
        thread.join(_PUBSUB_STOP_SECONDS)
        self.pubsub.close()


class ThreadWorker(SimpleWorker):
    """An RQ worker that runs jobs in its own thread (no fork, no signal handlers).

    It does not listen on RQ's command channel: a thread worker has no work horse for the
    kill-horse and stop-job commands, and RQ's shutdown command interrupts the whole
    process (the web server, or the program that drains the queue). Not listening also
    spares each drain a pub/sub connection and a thread.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # RQ waits for jobs in a loop that only a job or a signal ends; threads get no
        # signals, so an idle worker that was asked to stop leaves from its heartbeat.
        if self._stop_requested and pipeline is None and self.get_state() == WorkerStatus.IDLE:
            raise StopRequested()


class EmbeddedWorker:
    """The worker thread and the scheduler ticker of the embedded deployment."""

    def __init__(self, app, queue_names=queue.QUEUES):
        self.app = app
        self.queue_names = list(queue_names)
        connection = queue.connection(app)
        self.worker = ThreadWorker(
            [queue.get_queue(name, app) for name in self.queue_names],
            connection=connection,
            worker_ttl=16,  # blocks at most 1 s on an empty queue, so stop() is quick
        )
        self.thread = threading.Thread(target=self._work, name="portal-worker", daemon=True)
        self.ticker = Ticker(app, self.queue_names)

    def _work(self) -> None:
        self.worker.work(logging_level="WARNING")

    def start(self) -> EmbeddedWorker:
        bind_app(self.app)
        self.thread.start()
        self.ticker.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self.ticker.stop()
        self.worker._stop_requested = True
        self.thread.join(timeout)
        self.ticker.join(timeout)


def run_redis_worker(app, queue_names=queue.QUEUES, burst: bool = False) -> None:
    """`portal worker`: an RQ worker with the scheduler, plus the periodic ticker."""
    bind_app(app)
    ticker = Ticker(app, queue_names, interval=5.0)
    ticker.start()
    try:
        # No fork per job: the app, its engine and its pool are built once per process.
        worker = ProcessWorker(
            [queue.get_queue(name, app) for name in queue_names],
            connection=queue.connection(app),
        )
        worker.work(with_scheduler=True, burst=burst)
    finally:
        ticker.stop()


def drain(app, queue_names=queue.QUEUES) -> bool:
    """Run every queued job now, in this thread (tests and `portal` maintenance commands)."""
    bind_app(app)
    worker = ThreadWorker(
        [queue.get_queue(name, app) for name in queue_names], connection=queue.connection(app)
    )
    return worker.work(burst=True, logging_level="WARNING")
