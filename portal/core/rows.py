"""Rows written once and never changed by the unit of work (history, notifications): one
prebuilt Core INSERT on the session's connection, in the caller's transaction, without the
ORM's bookkeeping for an object nobody will modify."""

from __future__ import annotations

from sqlalchemy import CursorResult, Insert

from portal.extensions import db


def insert_now(statement: Insert, values: dict) -> CursorResult:
    """Run `statement` with `values` now. Objects still waiting in the session go first, since
    the row may refer to them (a user or organisation created in the same transaction)."""
    if db.session.new:
        db.session.flush()
    return db.session.connection().execute(statement, values)
