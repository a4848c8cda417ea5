"""Fixtures: the app on SQLite + fakeredis by default, or on TEST_DATABASE_URL / TEST_REDIS_URL.

Every test starts from empty tables and an empty queue.
"""

from __future__ import annotations

import os
import re
import tempfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import MetaData, text

_TMP = tempfile.mkdtemp(prefix="parcours-tests-")
os.environ.setdefault("PORTAL_INSTANCE_DIR", _TMP)

from portal import create_app  # noqa: E402
from portal.core.migrations import upgrade  # noqa: E402
from portal.extensions import db, limiter  # noqa: E402
from tests import factories  # noqa: E402

ROLES = ("admin", "coordinator", "trainer", "learner")
_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.db"


def redis_url() -> str | None:
    return os.environ.get("TEST_REDIS_URL") or None


def test_config(**extra) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "REDIS_URL": redis_url(),
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "DEFAULT_TIMEZONE": "Europe/Paris",
        "BASE_URL": "http://localhost",
    }
    config.update(extra)
    return config


def drop_everything(app) -> None:
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.session.commit()


def empty_tables(app) -> None:
    """Delete the rows of the tables the test wrote to, children before parents.

    One query asks which tables have rows (an EXISTS each, microseconds on an empty table),
    so a test pays for the tables it used rather than for every table of the schema.
    Rolling back cannot isolate these tests: each request commits in its own session, as in
    production, and some tests write from other threads, connections or processes.
    PostgreSQL's TRUNCATE is not used: it makes new files for each table and index it
    empties, and it must take every table whose foreign keys point at one it empties (nearly
    all of them once an organisation exists): about 50 ms per test against 7 ms here.
    """
    with app.app_context():
        quote = db.engine.dialect.identifier_preparer.format_table
        names = [quote(table) for table in reversed(db.metadata.sorted_tables)]
        probe = "SELECT " + ", ".join(f"EXISTS (SELECT 1 FROM {name})" for name in names)
        has_rows = db.session.execute(text(probe)).one()
        for name, written in zip(names, has_rows, strict=True):
            if written:
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.commit()


class PortalClient(FlaskClient):
    """A test client that can fetch a CSRF token and post forms with it.

    Each request runs in its own app context, as in production: a fresh `g` and its own
    database session, not the ones of the test that calls it.
    """

    def open(self, *args, **kwargs):
        # The test's own session must not sit in a transaction (on SQLite it would hold the
        # write lock the request needs), just as no request leaves one open.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        response = self.get("/login")
        if response.status_code == 302:  # logged in: any page carries the token
            response = self.get("/profile")
        match = _CSRF.search(response.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url: str, data=None, *, htmx: bool = False, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        headers["X-CSRFToken"] = self.csrf_token()
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(url, data=data or {}, headers=headers, **kwargs)


@pytest.fixture(scope="session")
def app():
    application = create_app(test_config())
    application.test_client_class = PortalClient
    drop_everything(application)
    upgrade(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_state(app):
    ctx = app.app_context()
    ctx.push()
    yield
    db.session.remove()
    ctx.pop()
    empty_tables(app)
    with app.app_context():
        from portal import queue

        queue.connection(app).flushdb()
        limiter.reset()


@pytest.fixture
def run_jobs(app):
    """Run every queued job now, in this thread, as a worker would."""
    from worker.runner import drain

    def run() -> bool:
        db.session.commit()
        worked = drain(app)
        db.session.expire_all()
        return worked

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org():
    return factories.make_org("Home Org")


@pytest.fixture
def other_org():
    return factories.make_org("Other Org")


@pytest.fixture
def users(org):
    """One user per role in `org`."""
    return {role: factories.make_user(org, role) for role in ROLES}


def login(client: PortalClient, user, password: str = factories.PASSWORD):
    response = client.post_form("/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def login_as(app, users):
    """login_as("trainer") → a client logged in as that role's user."""

    def make(role: str):
        return login(app.test_client(), users[role])

    return make


@pytest.fixture
def api(app):
    """api(user) → (method, path, **kw) calls with that user's bearer token."""

    class Api:
        def __init__(self, user=None):
            self.client = app.test_client()
            self.token = factories.make_token(user) if user is not None else None

        def call(self, method, path, *, json=None, headers=None, **kwargs):
            headers = dict(headers or {})
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            return self.client.open(
                "/api/v1" + path, method=method, json=json, headers=headers, **kwargs
            )

        def get(self, path, **kw):
            return self.call("GET", path, **kw)

        def post(self, path, **kw):
            return self.call("POST", path, **kw)

        def patch(self, path, **kw):
            return self.call("PATCH", path, **kw)

        def put(self, path, **kw):
            return self.call("PUT", path, **kw)

        def delete(self, path, **kw):
            return self.call("DELETE", path, **kw)

    return Api
