"""Jobs that keep the machinery itself honest."""

from __future__ import annotations

from portal import queue
from portal.queue.jobs import job


@job
def ping(token: str) -> str:
    """Answer a probe: proves a worker picks jobs up (used by tests and the bench baseline)."""
    queue.connection().set(f"portal:ping:{token}", "pong", ex=300)
    return token


def noop() -> None:
    """Does nothing; the bench's baseline for job throughput."""
