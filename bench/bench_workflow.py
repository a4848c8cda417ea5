"""Status transitions through the API against a route that inserts one row, all under gunicorn
on PostgreSQL: a stage started by its trainer (validation, access check, history row) and an
assignment accepted (the same plus the coordinator's notification)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from harness import (
    DURATION,
    Result,
    environment,
    fresh_database,
    gunicorn,
    portal,
    wrk,
)

HERE = Path(__file__).parent
ENTITIES = 16000 * max(1, DURATION // 10)

LUA = """
local ids = {}
local index = 0
local step = 2
function setup(thread)
  thread:set("first", #threads_seen + 1)
  threads_seen[#threads_seen + 1] = thread
end
threads_seen = {}
function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
  index = first
end
function request()
  local id = ids[index] or ("x" .. index)
  index = index + step
  return wrk.format("PUT", string.format(os.getenv("BENCH_PATH"), id),
    {["Content-Type"] = "application/json",
     ["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")},
    os.getenv("BENCH_BODY"))
end
"""


def run() -> list[Result]:
    url = fresh_database("parcours_bench_workflow")
    env = environment(url)
    portal(env, "init")
    ids_file = tempfile.mktemp(suffix=".ids")
    subprocess.run(
        [sys.executable, str(HERE / "prepare.py"), "assignments", str(ENTITIES), ids_file],
        env=env,
        check=True,
    )
    token = portal(env, "token", "--email", "tom@bench.test").strip()
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute("CREATE TABLE bench_rows (id serial PRIMARY KEY, value varchar(40))")
    with gunicorn("insert_app:app", env, cwd=HERE) as base:
        baseline = wrk(
            base,
            script=LUA,
            env_lines={"BENCH_IDS": ids_file, "BENCH_PATH": "/rows/%s", "BENCH_BODY": "{}"},
        )
    with gunicorn("portal:create_app()", env) as app:
        stage = wrk(
            app,
            script=LUA,
            env_lines={
                "BENCH_IDS": ids_file + ".stages",
                "BENCH_TOKEN": token,
                "BENCH_PATH": "/api/v1/stage-progress/%s/status",
                "BENCH_BODY": '{"new_status": "in_progress"}',
            },
        )
        accept = wrk(
            app,
            script=LUA,
            env_lines={
                "BENCH_IDS": ids_file,
                "BENCH_TOKEN": token,
                "BENCH_PATH": "/api/v1/assignments/%s/status",
                "BENCH_BODY": '{"new_status": "accepted"}',
            },
        )
    results = []
    for label, measured in (
        ("stage started (PUT /stage-progress/{id}/status)", stage),
        ("assignment accepted, with notification", accept),
    ):
        if measured["errors"] > measured["rps"] * 0.01:
            raise RuntimeError(f"{label}: {measured['errors']} failed (ran out of entities?)")
        results.append(
            Result(
                name=f"status transition through the API: {label}",
                baseline_label="one-row INSERT route",
                baseline=baseline["rps"],
                measured=measured["rps"],
                unit="req/s",
                target=">= 0.5",
                notes=f"{measured['errors']} non-2xx answers",
            )
        )
    return results
