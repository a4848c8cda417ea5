"""API shapes for notifications."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from portal.core.pagination import Limit, Offset


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    unread: bool = False
    limit: Limit = 50
    offset: Offset = 0


class NotificationOut(BaseModel):
    id: str
    type: str
    title: str
    message: str
    link: str | None
    is_read: bool
    created_at: str
    read_at: str | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    total_count: int
    unread_count: int


class ReadAllResult(BaseModel):
    marked_read: int
