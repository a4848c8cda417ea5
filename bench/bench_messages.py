"""Messages delivered per second by one worker (claim, send to the mailbox transport, sent and
delivered with their history) against RQ no-op jobs run by the same worker, on PostgreSQL +
Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis
from harness import BIN, REDIS_URL, Result, environment, fresh_database, portal

HERE = Path(__file__).parent
COUNT = 2000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def _timed_burst(env) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "portal"), "worker", "--burst", "--queue", "messages"],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def _round(env, url: str, connection, startup: float) -> tuple[float, float]:
    """One no-op burst, then one message burst: their rates in jobs per second."""
    subprocess.run(
        [sys.executable, str(HERE / "prepare.py"), "noops", str(COUNT)], env=env, check=True
    )
    noop_seconds = _timed_burst(env) - startup
    connection.flushdb()

    subprocess.run(
        [sys.executable, str(HERE / "prepare.py"), "messages", str(COUNT)], env=env, check=True
    )
    message_seconds = _timed_burst(env) - startup
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        delivered = conn.execute(
            "SELECT count(*) FROM outbound_messages WHERE status = 'delivered'"
        ).fetchone()[0]
        conn.execute("DELETE FROM status_changes")
        conn.execute("DELETE FROM outbound_messages")
    if delivered != COUNT:
        raise RuntimeError(f"only {delivered} of {COUNT} messages were delivered")
    connection.flushdb()
    return COUNT / noop_seconds, COUNT / message_seconds


def run() -> Result:
    url = fresh_database("parcours_bench_messages")
    env = environment(url)
    portal(env, "init")
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    startup = min(_timed_burst(env) for _ in range(2))  # an empty queue: start and stop only
    # On a shared machine one burst can be a third faster or slower than the next, so the two
    # kinds of burst alternate and the round with the median ratio is reported.
    rounds = sorted(
        (_round(env, url, connection, startup) for _ in range(ROUNDS)),
        key=lambda rates: rates[1] / rates[0],
    )
    baseline, measured = rounds[len(rounds) // 2]
    ratios = ", ".join(f"{m / b:.2f}" for b, m in rounds)
    return Result(
        name="messages delivered by one worker (PostgreSQL + Redis)",
        baseline_label="RQ no-op jobs, same worker",
        baseline=baseline,
        measured=measured,
        unit="jobs/s",
        target=">= 0.5",
        notes=(
            f"{COUNT} each; median of {ROUNDS} alternated rounds ({ratios}); "
            f"worker start-up ({startup:.2f} s) subtracted"
        ),
    )
