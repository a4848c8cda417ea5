"""One row per outbound message, written in the transaction of the change that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.clock import utcnow
from portal.core.types import UTCDateTime
from portal.extensions import db

CHANNELS = ("email", "telegram", "whatsapp", "sms")
CHANNEL_LABELS = {
    "email": _l("Email"),
    "telegram": _l("Telegram"),
    "whatsapp": _l("WhatsApp"),
    "sms": _l("SMS"),
}


class OutboundMessage(db.Model):
    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_messages_due", "status", "next_attempt_at"),
        Index("ix_outbound_messages_org_created", "organisation_id", "created_at"),
        Index("ix_outbound_messages_related", "related_type", "related_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    channel: Mapped[str] = mapped_column(String(20))
    message_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recipient_address: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    subject: Mapped[str | None] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # [{filename, content_type, data (base64)}], e.g. an .ics invitation
    attachments: Mapped[list | None] = mapped_column(JSON)
    related_type: Mapped[str | None] = mapped_column(String(50))
    related_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Makes creation idempotent: the same cause never writes two messages.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str | None] = mapped_column(Text)  # in English, as the API gives it
    # {"code": …, "params": {…}}: the same error, to be shown in each reader's language
    error_detail: Mapped[dict | None] = mapped_column(JSON)
    transport: Mapped[str | None] = mapped_column(String(20))  # smtp, mailbox, telegram, twilio
    # a Twilio SID, or an email's Message-ID (which carries the sending host's name)
    provider_message_id: Mapped[str | None] = mapped_column(String(320), index=True)
    # Not before this moment: a claim's lease, or the backoff after a failed attempt.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User | None] = relationship()


class InboundUpdate(db.Model):
    """A message received from a chat channel; the unique key makes a replayed update a no-op."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))  # Telegram update_id, Twilio MessageSid
    sender: Mapped[str | None] = mapped_column(String(100))  # chat id or phone number
    text: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
