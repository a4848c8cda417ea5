"""The machine's own Redis service is stopped while a message is committed, then started again:
the message waits as `pending`, the relay hands it over once Redis is back, it is sent once.

This stops a shared service, so it runs only where PORTAL_STOP_REDIS_SERVICE=1 (CI's run on
PostgreSQL + Redis sets it); the service is always started again, even when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis

from tests.messaging.outage import held_while_down_then_delivered_once

SERVICE_CONFIG = Path("/etc/redis/redis.conf")


def _service_client(url: str) -> redis.Redis:
    parts = urlparse(url)
    return redis.Redis(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        socket_connect_timeout=1,
        socket_timeout=2,
    )


def _up(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _start_service(client: redis.Redis, port: int) -> None:
    """Start Redis the way the machine runs it: its config file, nothing kept on disk."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    command = [binary]
    if os.access(SERVICE_CONFIG, os.R_OK):
        command.append(str(SERVICE_CONFIG))
    command += ["--port", str(port), "--daemonize", "yes", "--save", "", "--appendonly", "no"]
    subprocess.run(command, check=True, capture_output=True)
    for _ in range(100):
        if _up(client):
            return
        time.sleep(0.05)
    raise RuntimeError("the Redis service did not come back")


@pytest.fixture
def redis_service(app):
    url = app.config.get("REDIS_URL")
    if os.environ.get("PORTAL_STOP_REDIS_SERVICE") != "1" or not url:
        pytest.skip("stops the machine's Redis service: CI's PostgreSQL + Redis run only")
    if os.geteuid() != 0:
        # Only root can start the service again from its config; never stop what we can't start.
        pytest.fail("PORTAL_STOP_REDIS_SERVICE=1 needs root to restart the Redis service")
    client = _service_client(url)
    port = client.connection_pool.connection_kwargs["port"]
    assert _up(client), "the Redis service must be running before the test"

    def stop() -> None:
        with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it goes
            client.shutdown(nosave=True)
        for _ in range(100):
            if not _up(client):
                return
            time.sleep(0.05)
        raise RuntimeError("the Redis service did not stop")

    try:
        yield stop, lambda: _start_service(client, port)
    finally:
        if not _up(client):
            _start_service(client, port)


def test_redis_service_down_at_commit_then_delivered(
    app, users, redis_service, run_jobs, monkeypatch
):
    stop, start = redis_service
    users["learner"].telegram_chat_id = "5550002"
    held_while_down_then_delivered_once(
        app, users["learner"], stop=stop, start=start, run_jobs=run_jobs, monkeypatch=monkeypatch
    )
