"""Reading status history: one entity's timeline, and the organisation's recent changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select

from portal.core.errors import NotFound
from portal.extensions import db
from portal.workflow.machines import Machine, by_name
from portal.workflow.models import StatusChange


def parse_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None


_ENTITY_QUERIES: dict[str, Select] = {}


def _entity_query(machine: Machine) -> Select:
    """Built once per machine: the status API runs it on every call."""
    query = _ENTITY_QUERIES.get(machine.name)
    if query is None:
        query = select(machine.model).where(machine.model.id == bindparam("entity_id"))
        if machine.load:
            query = query.options(*machine.load)
        _ENTITY_QUERIES[machine.name] = query
    return query


def get_entity(machine: Machine, entity_id, *, actor):
    """The entity of `machine` with this id, if `actor` may see it; NotFound otherwise."""
    entity = (
        db.session.scalars(_entity_query(machine), {"entity_id": parse_id(entity_id)})
        .unique()
        .first()
    )
    if entity is None:
        raise NotFound(_("Not found."))
    if getattr(entity, "organisation_id", None) != actor.organisation_id:
        raise NotFound(_("Not found."))
    if machine.visible is not None and not machine.visible(actor, entity):
        raise NotFound(_("Not found."))
    return entity


def _day_bounds(day: date | None, tz_name: str, *, end: bool) -> datetime | None:
    """The UTC moment a day starts in the zone (the next day's start, for an end bound). None
    when there is nothing to bound: no day, or a day at the edge of the calendar (from
    0001-01-01, until 9999-12-31), whose bound no clock reading can cross."""
    if day is None:
        return None
    try:
        start = datetime.combine(
            day + timedelta(days=1) if end else day, time(0), ZoneInfo(tz_name)
        )
        return start.astimezone(UTC)
    except OverflowError:
        return None


def list_history(
    machine: Machine,
    entity_id,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    tz_name: str = "UTC",
) -> Select:
    query = select(StatusChange).where(
        StatusChange.entity_type == machine.name, StatusChange.entity_id == parse_id(entity_id)
    )
    start = _day_bounds(date_from, tz_name, end=False)
    stop = _day_bounds(date_to, tz_name, end=True)
    if start is not None:
        query = query.where(StatusChange.created_at >= start)
    if stop is not None:
        query = query.where(StatusChange.created_at < stop)
    return query.order_by(StatusChange.created_at, StatusChange.id)


def list_recent_changes(
    *,
    organisation_id,
    machine: str | None = None,
    status: str | None = None,
    actor_kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tz_name: str = "UTC",
) -> Select:
    query = select(StatusChange).where(StatusChange.organisation_id == organisation_id)
    if machine:
        query = query.where(StatusChange.entity_type == machine)
    if status:
        query = query.where(StatusChange.new_status == status)
    if actor_kind:
        query = query.where(StatusChange.actor_kind == actor_kind)
    start = _day_bounds(date_from, tz_name, end=False)
    stop = _day_bounds(date_to, tz_name, end=True)
    if start is not None:
        query = query.where(StatusChange.created_at >= start)
    if stop is not None:
        query = query.where(StatusChange.created_at < stop)
    return query.order_by(StatusChange.created_at.desc(), StatusChange.id.desc())


@dataclass(frozen=True)
class Described:
    text: str
    page: str | None


def describe(machine: Machine, entity) -> Described | None:
    if machine.describe is None:
        return None
    return Described(machine.describe(entity), machine.page(entity) if machine.page else None)


def describe_changes(changes, *, organisation_id) -> dict[tuple[str, uuid.UUID], Described]:
    """What each changed item is, keyed by (entity type, id): one query per item type."""
    ids: dict[str, set[uuid.UUID]] = {}
    for change in changes:
        ids.setdefault(change.entity_type, set()).add(change.entity_id)
    described = {}
    for name, entity_ids in ids.items():
        machine = by_name(name)
        if machine is None or machine.describe is None:
            continue
        model = machine.model
        query = select(model).where(model.id.in_(entity_ids)).options(*machine.describe_load)
        if hasattr(model, "organisation_id"):
            query = query.where(model.organisation_id == organisation_id)
        for entity in db.session.scalars(query).unique():
            described[(name, entity.id)] = describe(machine, entity)
    return described
