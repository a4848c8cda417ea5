"""What every benchmark needs: a fresh PostgreSQL database, gunicorn servers, wrk runs."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
PG_BASE = os.environ.get("BENCH_PG_BASE", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


@dataclass
class Result:
    name: str
    baseline_label: str
    baseline: float
    measured: float
    unit: str
    target: str
    notes: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else 0.0


def fresh_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def environment(database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="bench-secret",
        PORTAL_INSTANCE_DIR=tempfile.mkdtemp(prefix="parcours-bench-"),
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        LOGIN_RATE_LIMIT="100000 per minute",
    )
    env.update(extra)
    return env


def portal(env: dict, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "portal"), *args], env=env, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# gunicorn opens its port before its workers have imported the application, so a load started
# as soon as the port answers would time the import too. Each worker leaves a file here once it
# has loaded the application, and gunicorn() waits for all of them.
READY_HOOK = """
import os, pathlib
def post_worker_init(worker):
    pathlib.Path(os.environ["BENCH_READY_DIR"], str(os.getpid())).touch()
"""


@contextmanager
def gunicorn(app: str, env: dict, *, cwd: Path = ROOT):
    port = free_port()
    ready = Path(tempfile.mkdtemp(prefix="bench-ready-"))
    hook = ready / "hook.conf.py"
    hook.write_text(READY_HOOK)
    env = {**env, "BENCH_READY_DIR": str(ready)}
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(hook),
            "-w",
            str(WORKERS),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        cwd=str(cwd),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            loaded = len(list(ready.glob("[0-9]*")))
            with socket.socket() as probe:
                if loaded >= WORKERS and probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn {app} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(15)
        shutil.rmtree(ready, ignore_errors=True)


def wrk(url: str, *, script: str | None = None, env_lines: dict | None = None) -> dict:
    """Run wrk for DURATION seconds; returns req/s and the count of non-2xx answers."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{DURATION}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    env = dict(os.environ)
    env.update(env_lines or {})
    output = subprocess.run(
        command + [url], capture_output=True, text=True, env=env, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": rate, "errors": int(errors.group(1)) if errors else 0, "output": output}


def warm(url: str, *, script: str | None = None, env_lines: dict | None = None) -> None:
    global DURATION
    saved, DURATION = DURATION, 2
    try:
        wrk(url, script=script, env_lines=env_lines)
    finally:
        DURATION = saved
