"""Locking the rows a check reads before it runs, so what it found is still true at commit.

On PostgreSQL the rows are read `FOR UPDATE`: a concurrent transaction that locks the same rows
waits for this one to end, then reads what it wrote. The embedded SQLite database takes its
write lock when a transaction begins (`BEGIN IMMEDIATE`), so its writers already run one after
the other and the plain read is enough.
"""

from __future__ import annotations

from sqlalchemy import Select

from portal.extensions import db


def lock(statement: Select) -> list:
    """Run `statement` with its rows locked until the end of the transaction; returns them.
    Order the statement (e.g. by id) when it may lock several rows, so that two transactions
    locking overlapping sets take them in the same order and never deadlock."""
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return list(db.session.execute(statement).all())
