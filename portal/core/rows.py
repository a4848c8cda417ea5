"""Rows handled with Core where the ORM's bookkeeping costs more than the work: rows written
once and never changed (history, notifications), inserted with one prebuilt statement, and
rows read by a Core statement (an `UPDATE … RETURNING` claim) turned into session entities."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import CursorResult, Insert, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db


def insert_now(statement: Insert, values: dict) -> CursorResult:
    """Run `statement` with `values` now. Objects still waiting in the session go first, since
    the row may refer to them (a user or organisation created in the same transaction)."""
    if db.session.new:
        db.session.flush()
    return db.session.connection().execute(statement, values)


def entity_from_row(model: type, row: Mapping):
    """The session's entity for a full row of `model` read outside the ORM, without a query:
    the instance already in the session refreshed with the row, or a new persistent one.
    `row` maps column names to values (a Core `RETURNING` of every column). Read the row after
    the session's pending changes are written: an entity already loaded takes the row as is."""
    mapper = inspect(model)
    values = {
        mapper.get_property_by_column(column).key: row[column.key] for column in mapper.columns
    }
    key = mapper.identity_key_from_primary_key([row[column.key] for column in mapper.primary_key])
    entity = db.session.identity_map.get(key)
    fresh = entity is None
    if fresh:
        entity = mapper.class_manager.new_instance()
    for attribute, value in values.items():
        set_committed_value(entity, attribute, value)
    if fresh:
        make_transient_to_detached(entity)
        db.session.add(entity)
    return entity
