"""Messages delivered per second by one worker (claim, send to the mailbox transport, two
transitions with history) against RQ no-op jobs run by the same worker, on PostgreSQL + Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import redis
from harness import BIN, REDIS_URL, Result, environment, fresh_database, portal

HERE = Path(__file__).parent
COUNT = 2000


def _timed_burst(env) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "portal"), "worker", "--burst", "--queue", "messages"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run() -> Result:
    url = fresh_database("parcours_bench_messages")
    env = environment(url)
    portal(env, "init")
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    startup = min(_timed_burst(env) for _ in range(2))  # an empty queue: start and stop only

    subprocess.run(
        [sys.executable, str(HERE / "prepare.py"), "noops", str(COUNT)], env=env, check=True
    )
    noop_seconds = _timed_burst(env) - startup
    connection.flushdb()

    subprocess.run(
        [sys.executable, str(HERE / "prepare.py"), "messages", str(COUNT)], env=env, check=True
    )
    message_seconds = _timed_burst(env) - startup
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        delivered = conn.execute(
            "SELECT count(*) FROM outbound_messages WHERE status = 'delivered'"
        ).fetchone()[0]
    if delivered != COUNT:
        raise RuntimeError(f"only {delivered} of {COUNT} messages were delivered")
    connection.flushdb()
    return Result(
        name="messages delivered by one worker (PostgreSQL + Redis)",
        baseline_label="RQ no-op jobs, same worker",
        baseline=COUNT / noop_seconds,
        measured=COUNT / message_seconds,
        unit="jobs/s",
        target=">= 0.5",
        notes=f"{COUNT} each; worker start-up ({startup:.2f} s) subtracted",
    )
