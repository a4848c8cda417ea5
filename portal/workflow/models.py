"""The status history of every machine, and the outbox of events handled after commit: one
row per event and one per (event, after-commit handler), the unit a worker claims, runs and
records on its own."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship
from uuid6 import uuid7

from portal.accounts.models import User
from portal.core.clock import utcnow
from portal.core.types import UTCDateTime
from portal.extensions import db


class StatusChange(db.Model):
    """One row per transition of any entity: from, to, who, why, when.

    Ids are time-ordered (UUID version 7, increasing within a process), so changes written at
    the same moment, as a cascade or a delivery writes them, keep the order they were made in."""

    __tablename__ = "status_changes"
    __table_args__ = (
        Index("ix_status_changes_entity", "entity_type", "entity_id", "created_at"),
        Index("ix_status_changes_org_created", "organisation_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    old_status: Mapped[str | None] = mapped_column(String(40))
    new_status: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_kind: Mapped[str] = mapped_column(String(20), default="user")  # user|system|crm|…
    reason: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the change came from (ui, api, webhook:<source>, rule, chat, system) and the first
    # change of the chain it belongs to (its own id unless a cascade or a handler made it).
    origin: Mapped[str] = mapped_column(String(60), default="system")
    cause_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)

    actor: Mapped[User | None] = relationship()


class DomainEvent(db.Model):
    """An event with after-commit handlers (rules, integrations): dispatched once every one of
    its handlings is done."""

    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_pending", "dispatched_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    handlings: Mapped[list[DomainEventHandling]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class DomainEventHandling(db.Model):
    """One after-commit handler's work on one event, written with the event. A worker claims it
    for a lease, runs the handler with no lock held, and records it done or failed; a failed
    handling is retried alone, never re-running the handlings that succeeded."""

    __tablename__ = "domain_event_handlings"
    __table_args__ = (Index("ix_domain_event_handlings_pending", "done_at", "created_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("domain_events.id"), primary_key=True)
    # The handler's stable name, `module.function` (see portal.workflow.events.handler_name).
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker running it holds it until then; a worker that died lets it go when it is over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    event: Mapped[DomainEvent] = relationship(back_populates="handlings")
