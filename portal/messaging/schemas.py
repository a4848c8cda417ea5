"""API shapes for outbound messages."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

from portal.core.pagination import PageQuery


class MessageQuery(PageQuery):
    status: Literal["pending", "sent", "delivered", "failed"] | None = None
    channel: Literal["email", "telegram", "whatsapp", "sms"] | None = None
    related_session_id: uuid.UUID | None = None  # malformed: 422, like any bad filter


class MessageOut(BaseModel):
    id: str
    channel: str
    message_type: str
    status: str
    recipient_user_id: str | None
    recipient_address: str | None
    subject: str | None
    content: str
    error_message: str | None
    related_type: str | None
    related_id: str | None
    related_session_id: str | None
    attempts: int
    transport: str | None
    created_at: str
    sent_at: str | None
    delivered_at: str | None
    failed_at: str | None


class MessageList(BaseModel):
    items: list[MessageOut]
    total_count: int
