"""Checking a pooled database connection before use, only when it may have gone stale.

A connection that came back to the pool moments ago was working moments ago: checking it again
costs a round trip on every request for nothing. One that sat idle longer is checked with the
dialect's ping first; if the ping fails (the server restarted, an administrator ended the
session) the pool drops it and opens a new one, so the request never sees the dead connection.
This replaces SQLAlchemy's `pool_pre_ping`, which pings on every checkout; the window is the
same idea as HikariCP's `aliveBypassWindowMs` (500 ms by default there).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

PING_AFTER_IDLE_SECONDS = 0.5
RETURNED_AT = "portal_returned_at"  # key in the pool record's info: when it came back


def check_stale_connections(
    engine: Engine,
    *,
    idle_seconds: float = PING_AFTER_IDLE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Ping connections that have been idle in `engine`'s pool for more than `idle_seconds`."""

    def remember_return(_dbapi_connection, record) -> None:
        record.info[RETURNED_AT] = clock()

    def ping_if_idle(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or clock() - returned_at <= idle_seconds:
            return  # just opened, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out (or opens) another one.
            raise exc.DisconnectionError(str(error)) from error

    event.listen(engine, "checkin", remember_return)
    event.listen(engine, "checkout", ping_if_idle)
