"""Onboarding API: clients, programs, requests, assignments, sessions, materials."""

from __future__ import annotations

from flask import request as http_request
from flask import send_file
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from portal.accounts.queries import get_user
from portal.api.endpoints import current_api_user, endpoint
from portal.core.clock import utcnow
from portal.core.errors import NotFound, ValidationError
from portal.core.i18n import local_iso, utc_iso
from portal.core.pagination import PageQuery, paginate, paginate_list
from portal.extensions import db
from portal.onboarding import queries, services
from portal.onboarding.models import MATERIAL_TYPES, Client, ClientContact, TrainingProgram
from portal.onboarding.schemas import (
    AssignIn,
    AssignmentList,
    AssignmentOut,
    AssignmentQuery,
    ClientIn,
    ClientList,
    ClientOut,
    MaterialOut,
    ProgramIn,
    ProgramList,
    ProgramOut,
    RequestIn,
    RequestList,
    RequestOut,
    RequestPatch,
    RequestQuery,
    RescheduleIn,
    SessionIn,
    SessionList,
    SessionOut,
    SessionQuery,
    TrainerList,
)
from portal.onboarding.storage import storage

STAFF = ("admin", "coordinator", "trainer")


def client_json(client) -> dict:
    return {
        "id": str(client.id),
        "name": client.name,
        "created_at": utc_iso(client.created_at),
        "contacts": [
            {
                "user_id": str(c.user.id),
                "name": c.user.name,
                "email": c.user.email,
                "telegram_chat_id": c.user.telegram_chat_id,
                "phone": c.user.phone,
                "locale": c.user.locale,
                "timezone": c.user.timezone,
            }
            for c in client.contacts
        ],
    }


def program_json(program) -> dict:
    return {
        "id": str(program.id),
        "name": program.name,
        "description": program.description,
        "stages": [{"id": str(s.id), "name": s.name, "order": s.order} for s in program.stages],
    }


def assignment_json(a) -> dict:
    return {
        "id": str(a.id),
        "request_id": str(a.request_id),
        "request_code": a.request.request_code,
        "client": a.request.client.name,
        "priority": a.request.priority,
        "status": a.status,
        "trainer": {"id": str(a.trainer.id), "name": a.trainer.name},
        "assigned_at": utc_iso(a.assigned_at),
        "accepted_at": utc_iso(a.accepted_at),
        "started_at": utc_iso(a.started_at),
        "completed_at": utc_iso(a.completed_at),
        "rejected_at": utc_iso(a.rejected_at),
        "rejection_reason": a.rejection_reason,
    }


def stage_json(s) -> dict:
    return {
        "id": str(s.id),
        "name": s.name,
        "order": s.order,
        "status": s.status,
        "progress_percentage": float(s.progress_percentage),
        "started_at": utc_iso(s.started_at),
        "completed_at": utc_iso(s.completed_at),
        "notes": s.notes,
    }


def session_json(s, tz_name: str, viewer=None) -> dict:
    attendees = s.attendees
    if viewer is not None and viewer.role == "learner":
        attendees = [a for a in attendees if a.user_id == viewer.id]
    return {
        "id": str(s.id),
        "request_id": str(s.request_id),
        "assignment_id": str(s.assignment_id),
        "stage_id": str(s.stage_id),
        "stage_name": s.stage.name,
        "status": s.status,
        "starts_at": utc_iso(s.starts_at),
        "ends_at": utc_iso(s.ends_at),
        "starts_at_local": local_iso(s.starts_at, tz_name),
        "ends_at_local": local_iso(s.ends_at, tz_name),
        "timezone": s.timezone,
        "scheduled_date": local_iso(s.starts_at, s.timezone)[:10],
        "location_type": s.location_type,
        "meeting_link": s.meeting_link,
        "physical_location": s.physical_location,
        "is_makeup": s.is_makeup,
        "rescheduled_from_id": str(s.rescheduled_from_id) if s.rescheduled_from_id else None,
        "actual_start_time": utc_iso(s.actual_start_time),
        "actual_end_time": utc_iso(s.actual_end_time),
        "completion_notes": s.completion_notes,
        "attendees": [
            {
                "id": str(a.id),
                "user_id": str(a.user_id),
                "name": a.user.name,
                "attendance_status": a.attendance_status,
                "confirmed_at": utc_iso(a.confirmed_at),
                "attended_at": utc_iso(a.attended_at),
                "notes": a.notes,
            }
            for a in attendees
        ],
        "materials": [material_json(m) for m in s.materials],
    }


def material_json(m) -> dict:
    return {
        "id": str(m.id),
        "material_type": m.material_type,
        "description": m.description,
        "filename": m.filename,
        "content_type": m.content_type,
        "size": m.size,
        "url": f"/api/v1/training-sessions/{m.session_id}/materials/{m.id}",
        "created_at": utc_iso(m.created_at),
    }


def request_json(r, viewer) -> dict:
    current = r.current_assignment
    sessions = r.sessions
    client = {"id": str(r.client.id), "name": r.client.name}
    if viewer.role == "learner":
        sessions = [s for s in sessions if any(a.user_id == viewer.id for a in s.attendees)]
    else:  # whom a session can invite: its `attendee_ids` are these user ids
        client["contacts"] = [
            {"user_id": str(c.user.id), "name": c.user.name, "email": c.user.email}
            for c in r.client.contacts
        ]
    return {
        "id": str(r.id),
        "request_code": r.request_code,
        "status": r.status,
        "priority": r.priority,
        "client": client,
        "training_program": {"id": str(r.program.id), "name": r.program.name},
        "notes": r.notes,
        "created_at": utc_iso(r.created_at),
        "assigned_at": utc_iso(r.assigned_at),
        "actual_start_date": r.actual_start_date.isoformat() if r.actual_start_date else None,
        "actual_end_date": r.actual_end_date.isoformat() if r.actual_end_date else None,
        "cancellation_reason": r.cancellation_reason,
        "progress_percentage": float(r.progress_percentage),
        "stages": [stage_json(s) for s in r.stages],
        "assignment": assignment_json(current) if current else None,
        "assignments": [assignment_json(a) for a in r.assignments],
        "sessions": [session_json(s, viewer.timezone, viewer) for s in sessions],
    }


@endpoint(
    "/clients",
    summary="Clients of your organisation",
    tag="onboarding",
    query=PageQuery,
    response=ClientList,
    roles=("admin", "coordinator"),
)
def list_clients(query: PageQuery):
    clients = queries.list_clients(current_api_user()).options(
        selectinload(Client.contacts).joinedload(ClientContact.user)
    )
    page = paginate(clients, query.limit, query.offset)
    return {"items": [client_json(c) for c in page.items], "total_count": page.total_count}


@endpoint(
    "/clients",
    method="POST",
    summary="Create a client; contacts become learners",
    tag="onboarding",
    body=ClientIn,
    response=ClientOut,
    status=201,
    roles=("admin", "coordinator"),
    errors=(409,),
)
def create_client(body: ClientIn):
    user = current_api_user()
    client = services.create_client(
        user.organisation,
        name=body.name,
        contacts=[c.model_dump(exclude_none=True) for c in body.contacts],
        actor=user,
    )
    db.session.commit()
    return client_json(client)


@endpoint(
    "/training-programs",
    summary="Training programs and their stages",
    tag="onboarding",
    query=PageQuery,
    response=ProgramList,
    roles=STAFF,
)
def list_programs(query: PageQuery):
    programs = queries.list_programs(current_api_user()).options(
        selectinload(TrainingProgram.stages)
    )
    page = paginate(programs, query.limit, query.offset)
    return {"items": [program_json(p) for p in page.items], "total_count": page.total_count}


@endpoint(
    "/training-programs",
    method="POST",
    summary="Create a program with ordered stages",
    tag="onboarding",
    body=ProgramIn,
    response=ProgramOut,
    status=201,
    roles=("admin",),
    errors=(409,),
)
def create_program(body: ProgramIn):
    user = current_api_user()
    program = services.create_program(
        user.organisation,
        name=body.name,
        description=body.description,
        stages=[s.model_dump() for s in body.stages],
        actor=user,
    )
    db.session.commit()
    return program_json(program)


@endpoint(
    "/trainers",
    summary="Trainers with their current load",
    tag="onboarding",
    query=PageQuery,
    response=TrainerList,
    roles=("admin", "coordinator"),
)
def list_trainers(query: PageQuery):
    loads = services.trainer_loads(current_api_user().organisation_id)
    page = paginate_list(loads, query.limit, query.offset)
    return {
        "items": [
            {"id": str(u.id), "name": u.name, "email": u.email, "open_assignments": n}
            for u, n in page.items
        ],
        "total_count": page.total_count,
    }


@endpoint(
    "/onboarding-requests",
    method="POST",
    summary="Create an onboarding request",
    tag="onboarding",
    body=RequestIn,
    response=RequestOut,
    status=201,
    roles=("coordinator",),
    errors=(404,),
)
def create_request(body: RequestIn):
    user = current_api_user()
    details = {}
    try:
        client = queries.get_client(body.client_id, user)
    except NotFound:
        details["client_id"] = _("No such client.")
    try:
        program = queries.get_program(body.training_program_id, user)
    except NotFound:
        details["training_program_id"] = _("No such training program.")
    if details:
        raise ValidationError(_("Please check the form."), details=details)
    request = services.create_request(
        user.organisation,
        client=client,
        program=program,
        priority=body.priority,
        notes=body.notes,
        actor=user,
    )
    db.session.commit()
    return request_json(request, user)


@endpoint(
    "/onboarding-requests",
    summary="The request queue: urgent first, then oldest",
    tag="onboarding",
    query=RequestQuery,
    response=RequestList,
)
def list_requests(query: RequestQuery):
    user = current_api_user()
    page = paginate(
        queries.list_requests(user, status=query.status, priority=query.priority).options(
            *queries.REQUEST_IN_FULL
        ),
        query.limit,
        query.offset,
    )
    return {"items": [request_json(r, user) for r in page.items], "total_count": page.total_count}


@endpoint(
    "/onboarding-requests/<request_id>",
    summary="One request with everything under it",
    tag="onboarding",
    response=RequestOut,
    errors=(404,),
)
def get_request(request_id):
    user = current_api_user()
    return request_json(queries.get_request(request_id, user), user)


@endpoint(
    "/onboarding-requests/<request_id>",
    method="PATCH",
    summary="Change the priority (coordinators, before completion)",
    tag="onboarding",
    body=RequestPatch,
    response=RequestOut,
    roles=("coordinator",),
    errors=(404, 409),
)
def patch_request(request_id, body: RequestPatch):
    user = current_api_user()
    request = services.set_priority(
        queries.get_request(request_id, user), body.priority, actor=user
    )
    db.session.commit()
    return request_json(request, user)


@endpoint(
    "/onboarding-requests/<request_id>/assignments",
    method="POST",
    summary="Assign a trainer",
    tag="onboarding",
    body=AssignIn,
    response=AssignmentOut,
    status=201,
    roles=("coordinator",),
    errors=(404, 409),
)
def assign(request_id, body: AssignIn):
    user = current_api_user()
    request = queries.get_request(request_id, user)
    try:
        trainer = get_user(body.trainer_id, organisation_id=user.organisation_id)
    except NotFound:
        raise ValidationError(
            _("Please check the form."), details={"trainer_id": _("No such trainer.")}
        ) from None
    assignment = services.assign_trainer(request, trainer, actor=user)
    db.session.commit()
    return assignment_json(assignment)


@endpoint(
    "/assignments",
    summary="Assignments (trainers: their own)",
    tag="onboarding",
    query=AssignmentQuery,
    response=AssignmentList,
    roles=STAFF,
)
def list_assignments(query: AssignmentQuery):
    user = current_api_user()
    page = paginate(queries.list_assignments(user, status=query.status), query.limit, query.offset)
    return {"items": [assignment_json(a) for a in page.items], "total_count": page.total_count}


@endpoint(
    "/training-sessions",
    method="POST",
    summary="Schedule a session of a stage",
    tag="onboarding",
    body=SessionIn,
    response=SessionOut,
    status=201,
    roles=("trainer",),
    errors=(404, 409),
)
def create_session(body: SessionIn):
    user = current_api_user()
    details = {}
    try:
        assignment = queries.get_assignment(body.assignment_id, user)
    except NotFound:
        details["assignment_id"] = _("No such assignment.")
    try:
        stage = queries.get_stage(body.stage_id, user)
    except NotFound:
        details["stage_id"] = _("No such stage.")
    if details:
        raise ValidationError(_("Please check the form."), details=details)
    session = services.create_session(
        assignment,
        stage,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        location_type=body.location_type,
        meeting_link=body.meeting_link,
        physical_location=body.physical_location,
        attendee_ids=body.attendee_ids,
        timezone=body.timezone,
        is_makeup=body.is_makeup,
        actor=user,
    )
    db.session.commit()
    return session_json(session, user.timezone, user)


@endpoint(
    "/training-sessions",
    summary="Sessions you may see (learners: their own)",
    tag="onboarding",
    query=SessionQuery,
    response=SessionList,
)
def list_sessions(query: SessionQuery):
    user = current_api_user()
    page = paginate(
        queries.list_sessions(
            user, upcoming_after=utcnow() if query.upcoming else None, request_id=query.request_id
        ).options(*queries.SESSION_IN_FULL),
        query.limit,
        query.offset,
    )
    return {
        "items": [session_json(s, user.timezone, user) for s in page.items],
        "total_count": page.total_count,
    }


@endpoint(
    "/training-sessions/<session_id>",
    summary="One session with attendees and materials",
    tag="onboarding",
    response=SessionOut,
    errors=(404,),
)
def get_session(session_id):
    user = current_api_user()
    return session_json(queries.get_session(session_id, user), user.timezone, user)


@endpoint(
    "/training-sessions/<session_id>/reschedule",
    method="POST",
    summary="Move a session: the old one is rescheduled, a new one scheduled",
    tag="onboarding",
    body=RescheduleIn,
    response=SessionOut,
    status=201,
    roles=("trainer",),
    errors=(403, 404, 409),
)
def reschedule(session_id, body: RescheduleIn):
    user = current_api_user()
    session = services.reschedule_session(
        queries.get_session(session_id, user),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        reason=body.reason,
        actor=user,
    )
    db.session.commit()
    return session_json(session, user.timezone, user)


@endpoint(
    "/training-sessions/<session_id>/materials",
    method="POST",
    summary="Upload a material (multipart: file, material_type, description)",
    tag="onboarding",
    response=MaterialOut,
    status=201,
    roles=("trainer",),
    errors=(403, 404, 413, 422),
    form_schema={
        "type": "object",
        "required": ["file", "material_type"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": "up to 20 MB"},
            "material_type": {"type": "string", "enum": list(MATERIAL_TYPES)},
            "description": {"type": "string", "maxLength": 300},
        },
    },
)
def upload_material(session_id):
    user = current_api_user()
    session = queries.get_session(session_id, user)
    upload = http_request.files.get("file")
    material = services.save_material(
        session,
        material_type=http_request.form.get("material_type", ""),
        description=http_request.form.get("description"),
        filename=upload.filename if upload else "",
        content_type=upload.mimetype if upload else "",
        data=upload.read() if upload else b"",
        actor=user,
        storage=storage,
    )
    db.session.commit()
    return material_json(material)


@endpoint(
    "/training-sessions/<session_id>/materials/<material_id>",
    summary="Download a material",
    tag="onboarding",
    errors=(404,),
    content_type="application/octet-stream",
)
def download_material(session_id, material_id):
    user = current_api_user()
    session = queries.get_session(session_id, user)
    material = next((m for m in session.materials if str(m.id) == material_id), None)
    if material is None:
        raise NotFound(_("Not found."))
    return send_file(
        storage.path(material.storage_key),
        mimetype=material.content_type,
        as_attachment=True,
        download_name=material.filename,
    )
