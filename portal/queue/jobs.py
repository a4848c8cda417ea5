"""The @job decorator: each job runs in an app context, commits on success, rolls back on error.

Job functions live in worker/jobs/ or in their module's own package (a module plugs in without
touching anything outside it). The app is built once per worker process (or bound to the
running app in embedded mode). A job
the database ended for a lost race runs once more; a constraint it violated is raised as the
domain error it means, so the failed-job list reads as a refusal, not a driver's traceback.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def bind_app(app: Flask) -> None:
    """Use this app for jobs run in this process (embedded worker, tests)."""
    global _app
    _app = app


def get_app() -> Flask:
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app


def job(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else get_app()
        with app.app_context():
            from portal.core.db_errors import domain_error, retry_once
            from portal.extensions import db
            from portal.workflow import origin

            def run():
                unit = origin.enter(origin.SYSTEM_ORIGIN)  # a job's changes are one chain
                try:
                    result = fn(*args, **kwargs)
                    db.session.commit()
                    return result
                finally:
                    origin.leave(unit)

            try:
                return retry_once(run)()
            except BaseException as exc:
                db.session.rollback()
                refused = domain_error(exc) if isinstance(exc, Exception) else None
                if refused is not None and refused is not exc:
                    raise refused from exc
                raise
            finally:
                db.session.remove()

    return wrapper
