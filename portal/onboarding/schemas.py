"""API shapes for onboarding."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.core.pagination import PageQuery

Priority = Literal["urgent", "high", "medium", "low"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Body):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    locale: Literal["en", "fr", "tr"] | None = None
    timezone: str | None = Field(default=None, max_length=64)


class ClientIn(Body):
    name: str = Field(min_length=1, max_length=200)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=200)


class ContactOut(BaseModel):
    user_id: str
    name: str
    email: str
    telegram_chat_id: str | None
    phone: str | None
    locale: str
    timezone: str


class ClientOut(BaseModel):
    id: str
    name: str
    contacts: list[ContactOut]
    created_at: str


class ClientList(BaseModel):
    items: list[ClientOut]
    total_count: int


class StageIn(Body):
    name: str = Field(min_length=1, max_length=200)
    order: int = Field(ge=1, le=1000)


class ProgramIn(Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    stages: list[StageIn] = Field(min_length=1, max_length=100)


class StageDefOut(BaseModel):
    id: str
    name: str
    order: int


class ProgramOut(BaseModel):
    id: str
    name: str
    description: str | None
    stages: list[StageDefOut]


class ProgramList(BaseModel):
    items: list[ProgramOut]
    total_count: int


class RequestIn(Body):
    client_id: str = Field(max_length=64)
    training_program_id: str = Field(max_length=64)
    priority: Priority = "medium"
    notes: str | None = Field(default=None, max_length=5000)


class RequestPatch(Body):
    priority: Priority


class RequestQuery(PageQuery):
    status: Literal["pending", "assigned", "in_progress", "completed", "cancelled"] | None = None
    priority: Priority | None = None


class AssignIn(Body):
    trainer_id: str = Field(max_length=64)


class PersonOut(BaseModel):
    id: str
    name: str


class AssignmentOut(BaseModel):
    id: str
    request_id: str
    request_code: str
    client: str
    priority: str
    status: str
    trainer: PersonOut
    assigned_at: str
    accepted_at: str | None
    started_at: str | None
    completed_at: str | None
    rejected_at: str | None
    rejection_reason: str | None


class AssignmentList(BaseModel):
    items: list[AssignmentOut]
    total_count: int


class AssignmentQuery(PageQuery):
    status: Literal["assigned", "accepted", "in_progress", "completed", "rejected"] | None = None


class StageOut(BaseModel):
    id: str
    name: str
    order: int
    status: str
    progress_percentage: float
    started_at: str | None
    completed_at: str | None
    notes: str | None


class AttendeeOut(BaseModel):
    id: str
    user_id: str
    name: str
    attendance_status: str
    confirmed_at: str | None
    attended_at: str | None
    notes: str | None


class MaterialOut(BaseModel):
    id: str
    material_type: str
    description: str | None
    filename: str
    content_type: str
    size: int
    url: str
    created_at: str


class SessionOut(BaseModel):
    id: str
    request_id: str
    assignment_id: str
    stage_id: str
    stage_name: str
    status: str
    starts_at: str
    ends_at: str
    starts_at_local: str
    ends_at_local: str
    timezone: str
    scheduled_date: str
    location_type: str
    meeting_link: str | None
    physical_location: str | None
    is_makeup: bool
    rescheduled_from_id: str | None
    actual_start_time: str | None
    actual_end_time: str | None
    completion_notes: str | None
    attendees: list[AttendeeOut]
    materials: list[MaterialOut]


class SessionList(BaseModel):
    items: list[SessionOut]
    total_count: int


class SessionQuery(PageQuery):
    upcoming: bool = False
    request_id: uuid.UUID | None = None  # malformed: 422, like any bad filter


class RequestOut(BaseModel):
    id: str
    request_code: str
    status: str
    priority: str
    client: dict[str, Any]
    training_program: dict[str, Any]
    notes: str | None
    created_at: str
    assigned_at: str | None
    actual_start_date: str | None
    actual_end_date: str | None
    cancellation_reason: str | None
    progress_percentage: float
    stages: list[StageOut]
    assignment: AssignmentOut | None
    assignments: list[AssignmentOut]
    sessions: list[SessionOut]


class RequestList(BaseModel):
    items: list[RequestOut]
    total_count: int


class SessionIn(Body):
    assignment_id: str = Field(max_length=64)
    stage_id: str = Field(max_length=64)
    starts_at: dt.datetime
    ends_at: dt.datetime
    location_type: Literal["online", "onsite", "hybrid"]
    meeting_link: str | None = Field(default=None, max_length=500)
    physical_location: str | None = Field(default=None, max_length=300)
    attendee_ids: list[str] = Field(min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    is_makeup: bool = False


class RescheduleIn(Body):
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str | None = Field(default=None, max_length=2000)


class TrainerLoad(BaseModel):
    id: str
    name: str
    email: str
    open_assignments: int


class TrainerList(BaseModel):
    items: list[TrainerLoad]
    total_count: int
