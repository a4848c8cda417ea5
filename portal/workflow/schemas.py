"""API shapes for status changes and history, shared by every machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from portal.core.pagination import PageQuery


class StatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    new_status: str = Field(min_length=1, max_length=40)
    status_reason: str | None = Field(default=None, max_length=2000)
    context_data: dict[str, Any] | None = None


class StatusUpdateResult(BaseModel):
    success: bool
    old_status: str | None
    new_status: str
    updated_at: str
    notifications_sent: int
    workflow_actions_triggered: list[str]


class HistoryQuery(PageQuery):
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class PersonRef(BaseModel):
    id: str
    name: str


class StatusChangeOut(BaseModel):
    id: str
    entity_type: str
    entity_id: str
    old_status: str | None
    new_status: str
    status_reason: str | None
    updated_by: str
    updated_by_user: PersonRef | None
    context_data: dict[str, Any] | None
    origin: str = Field(
        description="ui, api, webhook:<source>, rule, chat or system: where the change came from"
    )
    cause_id: str | None = Field(
        description="The first change of the chain this one belongs to (its own id if direct)"
    )
    created_at: str
    created_at_local: str


class StatusHistory(BaseModel):
    status_changes: list[StatusChangeOut]
    total_count: int
