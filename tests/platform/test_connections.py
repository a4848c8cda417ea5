"""Pooled database connections are pinged only after sitting idle, and a connection the server
ended while it was idle is replaced before anyone uses it."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from portal.core.connections import RETURNED_AT, check_stale_connections
from portal.extensions import db
from tests.conftest import database_url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _count_pings(monkeypatch, engine, clock) -> list[float]:
    """The times (by `clock`) at which `engine` pings a connection, from now on."""
    pings = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(clock())
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


@pytest.fixture
def pooled(monkeypatch):
    """An engine with one pooled connection, the check installed, and its pings counted."""
    clock = Clock()
    engine = create_engine(database_url(), pool_size=1, max_overflow=0)
    check_stale_connections(engine, idle_seconds=0.5, clock=clock)
    yield engine, clock, _count_pings(monkeypatch, engine, clock)
    engine.dispose()


def _use(engine) -> int | None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            return connection.scalar(text("SELECT pg_backend_pid()"))
        return connection.scalar(text("SELECT 1"))


def test_a_connection_back_a_moment_ago_is_not_pinged_an_idle_one_is(pooled):
    engine, clock, pings = pooled
    _use(engine)  # a new connection needs no ping
    clock.now += 0.3
    _use(engine)
    assert pings == []
    clock.now += 0.6
    _use(engine)
    assert pings == [clock.now]


def test_the_app_pings_a_connection_only_after_it_sat_idle(app, monkeypatch):
    with app.app_context():
        engine = db.engine
        assert not engine.pool._pre_ping
        pings = _count_pings(monkeypatch, engine, time.monotonic)
        engine.dispose()  # one connection in the pool from here on
        with engine.connect() as connection:
            record = connection.connection._connection_record
        with engine.connect():
            assert pings == []  # back a moment ago
        record.info[RETURNED_AT] -= 60  # as if it had sat in the pool for a minute
        with engine.connect():
            assert len(pings) == 1


def _end_backend(pid: int) -> None:
    admin_url = database_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        # With a timeout, it returns once the backend is gone.
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


@pytest.fixture
def ended(pooled):
    """The pooled engine on PostgreSQL after the server ended its one connection, idle in the
    pool; also returns that connection's backend pid."""
    engine, clock, pings = pooled
    if engine.dialect.name != "postgresql":
        pytest.skip("needs a server that can end a session (PostgreSQL)")
    first = _use(engine)
    _end_backend(first)
    return engine, clock, pings, first


def test_an_idle_connection_the_server_ended_is_replaced_unseen(ended):
    engine, clock, pings, first = ended
    clock.now += 5
    second = _use(engine)  # pinged, found dead, replaced: no error
    assert second != first and len(pings) == 1


def test_inside_the_window_an_ended_connection_fails_once_then_the_pool_recovers(ended):
    """The price of skipping the ping: a connection ended less than the window after its last
    use fails the statement that finds it dead; the pool drops it, and the next use works."""
    engine, clock, _, first = ended
    clock.now += 0.1
    with pytest.raises(DBAPIError) as failed:
        _use(engine)
    assert failed.value.connection_invalidated
    assert _use(engine) not in (None, first)
