"""API shapes for notifications."""

from __future__ import annotations

from pydantic import BaseModel

from portal.core.pagination import PageQuery


class NotificationQuery(PageQuery):
    unread: bool = False


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
