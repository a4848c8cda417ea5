"""Every signed webhook delivery we accepted, kept once per source and delivery id."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.clock import utcnow
from portal.core.db_errors import answer_constraint
from portal.core.types import UTCDateTime
from portal.extensions import db

STATES = ("received", "processed", "review", "failed")

answer_constraint(
    "uq_webhook_deliveries_source_delivery_id",
    field="delivery_id",
    message=_l("This delivery was already received."),
)


class WebhookDelivery(db.Model):
    """One delivery: its raw body and the headers that matter, how it was verified, and what
    processing it did (`processed`), could not match (`review`) or failed at (`failed`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id"),
        Index("ix_webhook_deliveries_state_received", "state", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # Whose delivery it is, once processing found out (a partner's, a person's chat).
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    source: Mapped[str] = mapped_column(String(60))  # telegram, twilio, crm, partner:<slug>
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    verified_by: Mapped[str] = mapped_column(String(80))  # how its signature was checked
    state: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)  # why it is in review or failed
    error_detail: Mapped[dict | None] = mapped_column(JSON)  # that reason as a code and values
    attempts: Mapped[int] = mapped_column(default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")
