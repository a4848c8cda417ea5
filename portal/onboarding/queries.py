"""Reading onboarding data as a given person may see it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from portal.core.errors import NotFound
from portal.extensions import db
from portal.onboarding import permissions
from portal.onboarding.models import (
    Client,
    ClientContact,
    OnboardingRequest,
    SessionAttendee,
    StageProgress,
    TrainingAssignment,
    TrainingProgram,
    TrainingSession,
)
from portal.workflow.queries import parse_id


def _get(model, entity_id, user, can_view):
    entity = db.session.get(model, parse_id(entity_id))
    if entity is None or not can_view(user, entity):
        raise NotFound(_("Not found."))
    return entity


def get_request(request_id, user) -> OnboardingRequest:
    return _get(OnboardingRequest, request_id, user, permissions.can_view_request)


def get_session(session_id, user) -> TrainingSession:
    return _get(TrainingSession, session_id, user, permissions.can_view_session)


def get_assignment(assignment_id, user) -> TrainingAssignment:
    return _get(TrainingAssignment, assignment_id, user, permissions.can_view_assignment)


def get_stage(stage_id, user) -> StageProgress:
    return _get(StageProgress, stage_id, user, permissions.can_view_stage)


def get_attendee(attendee_id, user) -> SessionAttendee:
    return _get(SessionAttendee, attendee_id, user, permissions.can_view_attendee)


def get_client(client_id, user) -> Client:
    return _get(
        Client,
        client_id,
        user,
        lambda u, c: c.organisation_id == u.organisation_id and u.role != "learner",
    )


def get_program(program_id, user) -> TrainingProgram:
    return _get(
        TrainingProgram, program_id, user, lambda u, p: p.organisation_id == u.organisation_id
    )


# What lists show of each row, loaded with the page in one query per relation
# (IN on the page's keys, so LIMIT/OFFSET and the count stay plain).
_REQUEST_ROW = (
    selectinload(OnboardingRequest.client),
    selectinload(OnboardingRequest.program),
    selectinload(OnboardingRequest.stages),
)
_ASSIGNMENT_ROW = (
    selectinload(TrainingAssignment.request).selectinload(OnboardingRequest.client),
    selectinload(TrainingAssignment.request).selectinload(OnboardingRequest.program),
    selectinload(TrainingAssignment.trainer),
)
_SESSION_ROW = (
    selectinload(TrainingSession.stage),
    selectinload(TrainingSession.request).selectinload(OnboardingRequest.client),
    selectinload(TrainingSession.request).selectinload(OnboardingRequest.program),
    selectinload(TrainingSession.attendees),
)
# What the API adds to a listed session: attendees' names and the materials.
SESSION_IN_FULL = (
    selectinload(TrainingSession.attendees).selectinload(SessionAttendee.user),
    selectinload(TrainingSession.materials),
)
# What the API adds to a listed request: its trainers and its sessions in full.
REQUEST_IN_FULL = (
    selectinload(OnboardingRequest.client)
    .selectinload(Client.contacts)
    .selectinload(ClientContact.user),
    selectinload(OnboardingRequest.assignments).selectinload(TrainingAssignment.trainer),
    selectinload(OnboardingRequest.sessions).selectinload(TrainingSession.stage),
    selectinload(OnboardingRequest.sessions)
    .selectinload(TrainingSession.attendees)
    .selectinload(SessionAttendee.user),
    selectinload(OnboardingRequest.sessions).selectinload(TrainingSession.materials),
)


def list_requests(user, *, status: str | None = None, priority: str | None = None) -> Select:
    """The request queue: urgent first, then high, medium, low; oldest first within each."""
    query = (
        select(OnboardingRequest)
        .where(OnboardingRequest.organisation_id == user.organisation_id)
        .options(*_REQUEST_ROW)
    )
    if user.role == "trainer":
        query = query.where(
            OnboardingRequest.id.in_(
                select(TrainingAssignment.request_id).where(
                    TrainingAssignment.trainer_id == user.id
                )
            )
        )
    elif user.role == "learner":
        query = query.where(
            OnboardingRequest.client_id.in_(
                select(ClientContact.client_id).where(ClientContact.user_id == user.id)
            )
        )
    if status:
        query = query.where(OnboardingRequest.status == status)
    if priority:
        query = query.where(OnboardingRequest.priority == priority)
    return query.order_by(
        OnboardingRequest.priority_rank, OnboardingRequest.created_at, OnboardingRequest.id
    )


def list_assignments(user, *, status: str | None = None) -> Select:
    query = (
        select(TrainingAssignment)
        .join(OnboardingRequest, OnboardingRequest.id == TrainingAssignment.request_id)
        .where(TrainingAssignment.organisation_id == user.organisation_id)
        .options(*_ASSIGNMENT_ROW)
    )
    if user.role == "trainer":
        query = query.where(TrainingAssignment.trainer_id == user.id)
    if status:
        query = query.where(TrainingAssignment.status == status)
    return query.order_by(OnboardingRequest.priority_rank, TrainingAssignment.assigned_at)


def list_sessions(user, *, upcoming_after: datetime | None = None, request_id=None) -> Select:
    query = (
        select(TrainingSession)
        .where(TrainingSession.organisation_id == user.organisation_id)
        .options(*_SESSION_ROW)
    )
    if user.role == "learner":
        query = query.where(
            TrainingSession.id.in_(
                select(SessionAttendee.session_id).where(SessionAttendee.user_id == user.id)
            )
        )
    elif user.role == "trainer":
        query = query.join(
            TrainingAssignment, TrainingAssignment.id == TrainingSession.assignment_id
        )
        query = query.where(TrainingAssignment.trainer_id == user.id)
    if upcoming_after is not None:
        query = query.where(
            TrainingSession.ends_at >= upcoming_after,
            or_(TrainingSession.status == "scheduled", TrainingSession.status == "in_progress"),
        )
    if request_id is not None:
        query = query.where(TrainingSession.request_id == parse_id(request_id))
    return query.order_by(TrainingSession.starts_at)


def list_clients(user) -> Select:
    return (
        select(Client).where(Client.organisation_id == user.organisation_id).order_by(Client.name)
    )


def list_programs(user) -> Select:
    return (
        select(TrainingProgram)
        .where(TrainingProgram.organisation_id == user.organisation_id)
        .order_by(TrainingProgram.name)
    )
