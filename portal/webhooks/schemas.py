"""API shapes for webhook deliveries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from portal.core.pagination import PageQuery


class DeliveryQuery(PageQuery):
    state: Literal["received", "processed", "review", "failed"] | None = None
    source: str | None = Field(default=None, max_length=60)


class DeliveryOut(BaseModel):
    id: str
    source: str
    delivery_id: str
    state: str
    verified_by: str
    error: str | None = Field(description="Why it is in review or failed, in English")
    reason: str | None = Field(description="The same, in the caller's language")
    attempts: int
    received_at: str
    processed_at: str | None
    headers: dict[str, str]
    body: str


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    total_count: int
