"""Parcours: the training-operations portal. `create_app()` builds the web application."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from portal.config import ROOT, load_config
from portal.extensions import babel, csrf, db, limiter, login_manager, talisman

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import queue
    from portal.core import migrations
    from portal.core.catalogs import compile_catalogs
    from portal.core.connections import check_stale_connections
    from portal.core.i18n import select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        check_stale_connections(db.engine)
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", _sqlite_begin_immediate)
    app.cli.add_command(migrations.commands(app))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    compile_catalogs(only_stale=True)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "portal" / "translations"),
    )
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        strict_transport_security=app.config["FORCE_HTTPS"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )
    queue.init_app(app)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event open transactions (pysqlite's own handling is unreliable
    # with savepoints), and take the write lock up front: two writers never deadlock on an
    # upgrade from a read lock, and check-then-write sequences are serialised.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@login_manager.user_loader
def _load_user(user_id: str):
    import uuid

    from portal.accounts.models import User

    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


def _register_blueprints(app: Flask) -> None:
    """Every module declared in its package (portal.core.modules) plugs in here."""
    from portal.api import bp as api_bp
    from portal.core.modules import register_all
    from portal.workflow.events import check_subscriptions

    register_all(app)
    csrf.exempt(api_bp)
    check_subscriptions()
    _retry_lost_races(app)


def _retry_lost_races(app: Flask) -> None:
    """Every page and API call runs once more when the database ended its transaction for a
    lost race (deadlock, serialisation failure); a second loss is answered 409."""
    from portal.core.db_errors import retry_once

    for name, view in list(app.view_functions.items()):
        if name != "static":
            app.view_functions[name] = retry_once(view)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def request_origin(path: str) -> str:
    """`ui` for pages, `api` for the API, `webhook:<source>` for /api/v1/webhooks/<source>/…"""
    from portal.workflow.origin import webhook

    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "webhooks"] and len(parts) > 3 and parts[3]:
        return webhook(parts[3])
    return "api" if parts[0] == "api" else "ui"


def _register_error_handlers(app: Flask) -> None:
    from portal.api.errors import error_response, http_error
    from portal.core.db_errors import domain_error
    from portal.core.htmx import render
    from portal.core.text_input import multidict_nul_locations, nul_refused_message
    from portal.workflow import origin

    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        if _wants_json():
            return error_response(400, "csrf_failed")
        return render("errors/error.html", status=400, code=400, reason=None)

    @app.errorhandler(HTTPException)
    def http_failed(exc: HTTPException):
        if _wants_json():
            return http_error(exc)
        return render("errors/error.html", status=exc.code or 500, code=exc.code, reason=None)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        refused = domain_error(exc)  # a constraint or a lost race: an answer, not a fault
        if refused is not None:
            app.logger.warning(
                "Refused by the database on %s %s: %s", request.method, request.path, exc
            )
            if _wants_json():
                return error_response(
                    refused.status, refused.code, refused.message, refused.details
                )
            return render(
                "errors/error.html",
                status=refused.status,
                code=refused.status,
                reason=refused.message,
            )
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500)
        return render("errors/error.html", status=500, code=500, reason=None)

    @app.before_request
    def refuse_nul_characters():
        """No column can store a NUL character: refuse it in a page's query string or form.
        (The API checks its own input after authentication, in `portal.api.endpoints`.)"""
        if _wants_json():
            return None
        refused = multidict_nul_locations(request.args)
        if request.method in {"POST", "PUT", "PATCH"} and request.mimetype in FORM_TYPES:
            refused += multidict_nul_locations(request.form)
        if not refused:
            return None
        return render("errors/error.html", status=400, code=400, reason=nul_refused_message())

    @app.before_request
    def mark_origin():
        """Changes made by this request come from a page, the API, or a webhook's source."""
        g.origin_token = origin.enter(request_origin(request.path))

    @app.teardown_request
    def unmark_origin(_exc):
        token = g.pop("origin_token", None)
        if token is not None:
            origin.leave(token)

    @app.after_request
    def no_store_for_api(response):
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from portal.core.i18n import (
        ROLE_LABELS,
        current_language,
        format_when,
        language_choices,
    )
    from portal.core.navigation import registry
    from portal.workflow.machines import status_label
    from portal.workflow.origin import origin_label

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.filters["when"] = format_when
    from portal.workflow.views import ACTOR_KINDS

    app.jinja_env.globals["actor_kinds"] = ACTOR_KINDS
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["origin_label"] = origin_label
    from portal.messaging.models import CHANNEL_LABELS
    from portal.messaging.rendering import message_type_label
    from portal.messaging.services import error_text, failure_reason

    app.jinja_env.globals["message_type_label"] = message_type_label
    app.jinja_env.globals["channel_label"] = lambda channel: str(
        CHANNEL_LABELS.get(channel, channel)
    )
    app.jinja_env.globals["message_error"] = error_text
    app.jinja_env.globals["failure_reason"] = failure_reason
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    def unread_notifications() -> int:
        from portal.notifications.services import unread_count

        return unread_count(current_user) if current_user.is_authenticated else 0

    @app.context_processor
    def layout_context():
        if not has_request_context():  # messages rendered by a worker
            return {"current_language": current_language, "role_labels": ROLE_LABELS}
        nav = registry.nav_for(current_user.role) if current_user.is_authenticated else []
        return {
            "nav_entries": nav,
            "csrf_token_value": generate_csrf,
            "language_choices": language_choices,
            "current_language": current_language,
            "role_labels": ROLE_LABELS,
            "active_endpoint": request.endpoint,
            "unread_notifications": unread_notifications,
        }

    @app.before_request
    def remember_request_start():
        g.setdefault("api_user", None)
