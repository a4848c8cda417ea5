"""Recording the SQL statements a piece of code sends, to check how many and which."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event

from portal.extensions import db


@dataclass
class Statement:
    sql: str
    isolation_level: str | None  # as asked for on the connection (AUTOCOMMIT, say); None: default

    @property
    def verb(self) -> str:
        return self.sql.split()[0].upper()


@contextmanager
def counted():
    """Every statement sent through the app's engine inside the block, in order."""
    statements: list[Statement] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        level = conn.get_execution_options().get("isolation_level")
        statements.append(Statement(statement, level))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
