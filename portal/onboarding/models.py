"""Clients and their contacts, programs and stages, requests and everything under them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.clock import utcnow
from portal.core.db_errors import answer_constraint
from portal.core.types import UTCDateTime
from portal.extensions import db

PRIORITIES = ("urgent", "high", "medium", "low")
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}  # urgent sorts first
LOCATION_TYPES = ("online", "onsite", "hybrid")
MATERIAL_TYPES = ("recording", "slides", "document", "other")


answer_constraint(
    "uq_clients_organisation_id_name",
    field="name",
    message=_l("A client with this name already exists."),
)
answer_constraint(
    "uq_training_programs_organisation_id_name",
    field="name",
    message=_l("A program with this name already exists."),
)


class Client(db.Model):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[ClientContact]] = relationship(
        back_populates="client", order_by="ClientContact.created_at"
    )


class ClientContact(db.Model):
    """A person at the client: a learner account of the organisation."""

    __tablename__ = "client_contacts"
    __table_args__ = (UniqueConstraint("client_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="contacts")
    user: Mapped[User] = relationship()


class TrainingProgram(db.Model):
    __tablename__ = "training_programs"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stages: Mapped[list[ProgramStage]] = relationship(
        back_populates="program", order_by="ProgramStage.order"
    )


class ProgramStage(db.Model):
    __tablename__ = "program_stages"
    __table_args__ = (UniqueConstraint("program_id", "order"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    order: Mapped[int] = mapped_column(Integer)

    program: Mapped[TrainingProgram] = relationship(back_populates="stages")


class RequestCodeCounter(db.Model):
    """The last REQ-<year>-<NNN> number given per organisation and year (row-locked)."""

    __tablename__ = "request_code_counters"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class OnboardingRequest(db.Model):
    __tablename__ = "onboarding_requests"
    __table_args__ = (
        UniqueConstraint("organisation_id", "request_code"),
        Index(
            "ix_onboarding_requests_queue",
            "organisation_id",
            "status",
            "priority_rank",
            "created_at",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    request_code: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_programs.id"))
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    priority_rank: Mapped[int] = mapped_column(Integer, default=PRIORITY_RANK["medium"])
    status: Mapped[str] = mapped_column(String(20), default="pending")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_start_date: Mapped[date | None] = mapped_column(Date)
    actual_end_date: Mapped[date | None] = mapped_column(Date)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)

    client: Mapped[Client] = relationship()
    program: Mapped[TrainingProgram] = relationship()
    created_by: Mapped[User | None] = relationship()
    assignments: Mapped[list[TrainingAssignment]] = relationship(
        back_populates="request", order_by="TrainingAssignment.assigned_at"
    )
    stages: Mapped[list[StageProgress]] = relationship(
        back_populates="request", order_by="StageProgress.order"
    )
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="request", order_by="TrainingSession.starts_at"
    )

    @property
    def current_assignment(self) -> TrainingAssignment | None:
        live = [a for a in self.assignments if a.status != "rejected"]
        return live[-1] if live else None

    @property
    def progress_percentage(self) -> Decimal:
        """Rule 5: the average of the stages' progress."""
        if not self.stages:
            return Decimal("0.00")
        total = sum((s.progress_percentage for s in self.stages), Decimal("0"))
        return (total / len(self.stages)).quantize(Decimal("0.01"))


class TrainingAssignment(db.Model):
    __tablename__ = "training_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboarding_requests.id"), index=True)
    trainer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[OnboardingRequest] = relationship(back_populates="assignments")
    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class StageProgress(db.Model):
    __tablename__ = "stage_progress"
    __table_args__ = (UniqueConstraint("request_id", "order"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboarding_requests.id"), index=True)
    program_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("program_stages.id"))
    name: Mapped[str] = mapped_column(String(200))
    order: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress_percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.00"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[OnboardingRequest] = relationship(back_populates="stages")
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="stage", order_by="TrainingSession.starts_at"
    )


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onboarding_requests.id"), index=True)
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_assignments.id"))
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stage_progress.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    location_type: Mapped[str] = mapped_column(String(10))
    meeting_link: Mapped[str | None] = mapped_column(String(500))
    physical_location: Mapped[str | None] = mapped_column(String(300))
    is_makeup: Mapped[bool] = mapped_column(default=False)
    rescheduled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_sessions.id")
    )
    actual_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completion_notes: Mapped[str | None] = mapped_column(Text)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[OnboardingRequest] = relationship(back_populates="sessions")
    assignment: Mapped[TrainingAssignment] = relationship()
    stage: Mapped[StageProgress] = relationship(back_populates="sessions")
    attendees: Mapped[list[SessionAttendee]] = relationship(
        back_populates="session", order_by="SessionAttendee.created_at"
    )
    materials: Mapped[list[SessionMaterial]] = relationship(
        back_populates="session", order_by="SessionMaterial.created_at"
    )


class SessionAttendee(db.Model):
    __tablename__ = "session_attendees"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    attendance_status: Mapped[str] = mapped_column(String(20), default="invited")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    absent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class SessionMaterial(db.Model):
    __tablename__ = "session_materials"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    material_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[TrainingSession] = relationship(back_populates="materials")
