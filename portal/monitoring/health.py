"""Checks behind /healthz: the database answers, Redis answers, a worker has a fresh heartbeat."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import Worker
from sqlalchemy import text

from portal import queue
from portal.core.clock import ensure_aware, utcnow
from portal.extensions import db


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # any driver error means "down"
        db.session.rollback()
        return f"error: {exc.__class__.__name__}"


def check_redis() -> str:
    try:
        queue.connection().ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def check_worker(now=None) -> str:
    now = now or utcnow()
    limit = timedelta(seconds=current_app.config["WORKER_HEARTBEAT_SECONDS"])
    try:
        workers = Worker.all(connection=queue.connection())
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    for worker in workers:
        beat = worker.last_heartbeat
        if beat is not None and now - ensure_aware(beat) <= limit:
            return "ok"
    return "error: no worker with a recent heartbeat"


def health_report(now=None) -> tuple[dict, bool]:
    report = {"database": check_database(), "redis": check_redis()}
    report["worker"] = check_worker(now) if report["redis"] == "ok" else "error: queue unreachable"
    healthy = all(value == "ok" for value in report.values())
    report = {"status": "ok" if healthy else "degraded", **report}
    return report, healthy
