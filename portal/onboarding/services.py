"""Everything that changes onboarding data. Status changes go through the workflow engine;
the seed's cascades and notifications are event handlers (cascades.py, notifying.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.core.clock import utcnow
from portal.core.db_errors import savepoint
from portal.core.errors import Conflict, Duplicate, Forbidden, ValidationError
from portal.core.i18n import is_timezone
from portal.core.text_input import NUL, nul_refused_message, storable, too_long
from portal.core.transactions import undo_unless_committed
from portal.extensions import db
from portal.onboarding import permissions
from portal.onboarding.models import (
    LOCATION_TYPES,
    PRIORITIES,
    PRIORITY_RANK,
    Client,
    ClientContact,
    OnboardingRequest,
    ProgramStage,
    RequestCodeCounter,
    SessionAttendee,
    StageProgress,
    TrainingAssignment,
    TrainingProgram,
    TrainingSession,
)
from portal.onboarding.states import CLOSED_REQUEST, DONE_STAGE
from portal.workflow.engine import create, transition
from portal.workflow.machines import status_label

OPEN_REQUEST = ("pending", "assigned", "in_progress")
LIVE_SESSION = ("scheduled", "in_progress", "completed")


def _invalid(details: dict):
    return ValidationError(_("Please check the form."), details=details)


def _require_role(actor, *roles, message=None):
    if actor.role not in roles:
        raise Forbidden(message or _("Your role does not allow this action."))


# --- clients and programs -----------------------------------------------------------------


def create_client(organisation, *, name: str, contacts: list[dict], actor) -> Client:
    """A client company and its contacts; contacts become learner accounts (invited by
    email) or are linked when the organisation already has a user with that email."""
    _require_role(actor, "coordinator", "admin")
    name = (name or "").strip()
    if not name:
        raise _invalid({"name": _("Required.")})
    client = Client(organisation_id=organisation.id, name=name)
    with savepoint():  # a taken name is refused by its constraint, even by a concurrent twin
        db.session.add(client)
    for index, contact in enumerate(contacts or []):
        try:
            add_contact(client, actor=actor, **contact)
        except ValidationError as exc:
            raise ValidationError(
                exc.message,
                details={f"contacts.{index}.{key}": value for key, value in exc.details.items()},
            ) from None
    return client


def add_contact(
    client: Client,
    *,
    name: str,
    email: str,
    actor,
    telegram_chat_id: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
    timezone: str | None = None,
) -> ClientContact:
    telegram_chat_id = accounts.optional_text(telegram_chat_id)
    phone = accounts.optional_text(phone)
    errors: dict = {}
    try:
        normalised = accounts.normalise_email(email)
    except ValidationError as exc:
        errors.update(exc.details)
    accounts.check_profile_values(errors, telegram_chat_id=telegram_chat_id, phone=phone)
    if errors:  # a new person's name is checked where the person is created
        raise _invalid(errors)
    user = _person_with_email(normalised, client)
    if user is None:
        try:
            user = accounts.create_user(
                client_organisation(client),
                email=normalised,
                name=name,
                role="learner",
                locale=locale or actor.locale,
                timezone=timezone or actor.timezone,
                telegram_chat_id=telegram_chat_id,
                phone=phone,
                actor=actor,
            )
        except Duplicate:  # a concurrent request created this person first: link them
            user = _person_with_email(normalised, client)
            if user is None:
                raise
    else:
        if telegram_chat_id and not user.telegram_chat_id:
            with savepoint():  # a chat linked to someone else is refused by its constraint
                user.telegram_chat_id = telegram_chat_id
        if phone and not user.phone:
            user.phone = phone
    existing = db.session.scalar(
        select(ClientContact).where(
            ClientContact.client_id == client.id, ClientContact.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    contact = ClientContact(client_id=client.id, user_id=user.id, user=user)
    client.contacts.append(contact)
    db.session.flush()
    return contact


def _person_with_email(email: str, client: Client) -> User | None:
    """The person a contact's email names, if they exist; someone of another organisation
    cannot be a contact of this one."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.organisation_id != client.organisation_id:
        raise _invalid({"email": _("This email belongs to another organisation.")})
    return user


def client_organisation(client: Client):
    from portal.accounts.models import Organisation

    return db.session.get(Organisation, client.organisation_id)


def create_program(
    organisation, *, name: str, stages: list[dict], actor, description: str | None = None
) -> TrainingProgram:
    _require_role(actor, "admin", message=_("Only administrators manage training programs."))
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Required.")
    if not stages:
        errors["stages"] = _("Add at least one stage.")
    orders = [s.get("order") for s in stages or []]
    if len(set(orders)) != len(orders):
        errors["stages"] = _("Each stage needs its own order number.")
    for index, stage in enumerate(stages or []):
        stage_name = str(stage.get("name") or "").strip()
        error = too_long(stage_name, ProgramStage.__table__.c.name)
        if not stage_name or error:
            errors[f"stages.{index}.name"] = error or _("Required.")
    if errors:
        raise _invalid(errors)
    program = TrainingProgram(organisation_id=organisation.id, name=name, description=description)
    with savepoint():
        db.session.add(program)
    for stage in sorted(stages, key=lambda s: s["order"]):
        db.session.add(
            ProgramStage(
                program_id=program.id, name=stage["name"].strip(), order=int(stage["order"])
            )
        )
    db.session.flush()
    return program


# --- requests ---------------------------------------------------------------------------------


def next_request_code(organisation_id, year: int) -> str:
    """REQ-<year>-<NNN>, sequential per organisation and year. The counter row is locked by
    the UPDATE, so concurrent requests get distinct numbers (and a unique constraint backs it)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    db.session.execute(
        upsert(RequestCodeCounter)
        .values(organisation_id=organisation_id, year=year, last_value=0)
        .on_conflict_do_nothing()
    )
    value = db.session.execute(
        update(RequestCodeCounter)
        .where(
            RequestCodeCounter.organisation_id == organisation_id, RequestCodeCounter.year == year
        )
        .values(last_value=RequestCodeCounter.last_value + 1)
        .returning(RequestCodeCounter.last_value)
    ).scalar_one()
    return f"REQ-{year}-{value:03d}"


def create_request(
    organisation,
    *,
    client: Client,
    program: TrainingProgram,
    actor,
    priority: str = "medium",
    notes: str | None = None,
    now: datetime | None = None,
) -> OnboardingRequest:
    _require_role(actor, "coordinator", message=_("Only coordinators create onboarding requests."))
    if priority not in PRIORITIES:
        raise _invalid({"priority": _("Choose urgent, high, medium or low.")})
    if not program.stages:
        raise _invalid({"training_program_id": _("This program has no stages.")})
    now = now or utcnow()
    request = OnboardingRequest(
        organisation_id=organisation.id,
        request_code=next_request_code(organisation.id, now.year),
        client_id=client.id,
        program_id=program.id,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        status="pending",
        notes=notes,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    create(request, actor=actor, now=now)
    for stage in program.stages:
        progress = StageProgress(
            organisation_id=organisation.id,
            request_id=request.id,
            program_stage_id=stage.id,
            name=stage.name,
            order=stage.order,
            status="not_started",
            progress_percentage=Decimal("0.00"),
            updated_at=now,
        )
        request.stages.append(progress)
        create(progress, actor=actor, now=now)
    return request


def set_priority(
    request: OnboardingRequest, priority: str, *, actor, now: datetime | None = None
) -> OnboardingRequest:
    _require_role(actor, "coordinator", message=_("Only coordinators change the priority."))
    if priority not in PRIORITIES:
        raise _invalid({"priority": _("Choose urgent, high, medium or low.")})
    if request.status not in OPEN_REQUEST:
        raise Conflict(
            _("The priority cannot change once the request is closed."), code="invalid_transition"
        )
    request.priority = priority
    request.priority_rank = PRIORITY_RANK[priority]
    request.updated_at = now or utcnow()
    return request


def assign_trainer(
    request: OnboardingRequest, trainer: User, *, actor, now: datetime | None = None
) -> TrainingAssignment:
    _require_role(actor, "coordinator", message=_("Only coordinators assign trainers."))
    if (
        trainer.organisation_id != request.organisation_id
        or trainer.role != "trainer"
        or not trainer.is_active
    ):
        raise _invalid({"trainer_id": _("Choose an active trainer of your organisation.")})
    if request.status != "pending":
        raise Conflict(_("Only a pending request can be assigned."), code="invalid_transition")
    now = now or utcnow()
    assignment = TrainingAssignment(
        organisation_id=request.organisation_id,
        request_id=request.id,
        trainer_id=trainer.id,
        trainer=trainer,
        assigned_by_id=actor.id,
        status="assigned",
        assigned_at=now,
        updated_at=now,
    )
    request.assignments.append(assignment)
    create(assignment, actor=actor, now=now)
    transition(request, "assigned", actor=actor, now=now)
    return assignment


def cancel_request(request: OnboardingRequest, *, reason: str, actor, now=None):
    return transition(
        request,
        "cancelled",
        actor=actor,
        reason=reason,
        context={"cancellation_reason": reason},
        now=now,
    )


def trainer_loads(organisation_id) -> list[tuple[User, int]]:
    """Active trainers with their number of open assignments, least busy first."""
    open_count = (
        select(TrainingAssignment.trainer_id, func.count(TrainingAssignment.id).label("n"))
        .where(TrainingAssignment.status.in_(("assigned", "accepted", "in_progress")))
        .group_by(TrainingAssignment.trainer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, func.coalesce(open_count.c.n, 0))
        .outerjoin(open_count, open_count.c.trainer_id == User.id)
        .where(User.organisation_id == organisation_id, User.role == "trainer", User.is_active)
        .order_by(func.coalesce(open_count.c.n, 0), User.name)
    ).all()
    return [(user, count) for user, count in rows]


# --- sessions -----------------------------------------------------------------------------------


# A session is planned, or recorded after the fact, within this distance of today; anything
# further is a typing mistake (and the far edges of the calendar cannot be shown in every zone).
SESSION_HORIZON = timedelta(days=3653)


def _check_session_fields(
    errors, *, starts_at, ends_at, location_type, meeting_link, physical_location, timezone, now
):
    if starts_at is None or starts_at.tzinfo is None:
        errors["starts_at"] = _("Enter a date and time with an offset.")
    if ends_at is None or ends_at.tzinfo is None:
        errors["ends_at"] = _("Enter a date and time with an offset.")
    elif starts_at is not None and starts_at.tzinfo and ends_at <= starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if name not in errors and abs(moment - now) > SESSION_HORIZON:
            errors[name] = _("Choose a date within ten years of today.")
    if location_type not in LOCATION_TYPES:
        errors["location_type"] = _("Choose online, onsite or hybrid.")
    if location_type in ("online", "hybrid") and not (meeting_link or "").strip():
        errors["meeting_link"] = _("An online session needs a meeting link.")
    if location_type in ("onsite", "hybrid") and not (physical_location or "").strip():
        errors["physical_location"] = _("An onsite session needs a place.")
    if timezone is not None and not is_timezone(timezone):
        errors["timezone"] = _("Choose a timezone from the list.")


def create_session(
    assignment: TrainingAssignment,
    stage: StageProgress,
    *,
    starts_at: datetime,
    ends_at: datetime,
    location_type: str,
    attendee_ids: list,
    actor,
    meeting_link: str | None = None,
    physical_location: str | None = None,
    timezone: str | None = None,
    is_makeup: bool = False,
    rescheduled_from: TrainingSession | None = None,
    now: datetime | None = None,
) -> TrainingSession:
    """A scheduled session of a stage with its attendees invited (and told, by the handler of
    training_session_created)."""
    if actor.role != "trainer" or assignment.trainer_id != actor.id:
        raise Forbidden(_("Only the assigned trainer creates sessions."))
    request = assignment.request
    errors: dict = {}
    if request.status in CLOSED_REQUEST:
        raise Conflict(
            _(
                "Request %(code)s is closed (%(status)s): no session can be planned any more.",
                code=request.request_code,
                status=status_label("onboarding_request", request.status),
            ),
            code="invalid_transition",
        )
    if assignment.status not in ("accepted", "in_progress"):
        raise Conflict(
            _("Accept the assignment before creating sessions."), code="invalid_transition"
        )
    if stage.request_id != request.id:
        errors["stage_id"] = _("This stage belongs to another request.")
    elif stage.status in DONE_STAGE and not is_makeup:
        errors["stage_id"] = _("This stage is already completed or skipped.")
    timezone = timezone or actor.timezone
    now = now or utcnow()
    _check_session_fields(
        errors,
        starts_at=starts_at,
        ends_at=ends_at,
        location_type=location_type,
        meeting_link=meeting_link,
        physical_location=physical_location,
        timezone=timezone,
        now=now,
    )
    contact_ids = {c.user_id for c in request.client.contacts}
    wanted = []
    for raw in attendee_ids or []:
        try:
            wanted.append(uuid.UUID(str(raw)))
        except ValueError:
            errors["attendee_ids"] = _("Choose attendees among the client's contacts.")
    if not wanted:
        errors["attendee_ids"] = _("Invite at least one of the client's contacts.")
    elif any(user_id not in contact_ids for user_id in wanted):
        errors["attendee_ids"] = _("Choose attendees among the client's contacts.")
    if errors:
        raise _invalid(errors)
    session = TrainingSession(
        organisation_id=request.organisation_id,
        request_id=request.id,
        assignment_id=assignment.id,
        stage_id=stage.id,
        status="scheduled",
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        location_type=location_type,
        meeting_link=(meeting_link or "").strip() or None,
        physical_location=(physical_location or "").strip() or None,
        is_makeup=is_makeup,
        rescheduled_from_id=rescheduled_from.id if rescheduled_from else None,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    request.sessions.append(session)
    stage.sessions.append(session)
    attendees = [
        SessionAttendee(
            organisation_id=request.organisation_id,
            user_id=user_id,
            attendance_status="invited",
            created_at=now,
            updated_at=now,
        )
        for user_id in dict.fromkeys(wanted)
    ]
    session.attendees.extend(attendees)
    # Written with its attendees, so that training_session_created invites every one of them.
    create(session, actor=actor, now=now)
    for attendee in attendees:
        create(attendee, actor=actor, now=now)
    refresh_stage_progress(stage)
    return session


def reschedule_session(
    session: TrainingSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    actor,
    reason: str | None = None,
    now=None,
) -> TrainingSession:
    """The old session becomes rescheduled; a new one is scheduled with fresh invitations."""
    if not permissions.can_run_session(actor, session):
        raise Forbidden(_("Only the assigned trainer changes sessions."))
    if session.status != "scheduled":
        raise Conflict(_("Only a scheduled session can be rescheduled."), code="invalid_transition")
    new = create_session(
        session.assignment,
        session.stage,
        starts_at=starts_at,
        ends_at=ends_at,
        location_type=session.location_type,
        meeting_link=session.meeting_link,
        physical_location=session.physical_location,
        timezone=session.timezone,
        attendee_ids=[a.user_id for a in session.attendees if a.attendance_status != "cancelled"],
        is_makeup=session.is_makeup,
        rescheduled_from=session,
        actor=actor,
        now=now,
    )
    transition(
        session,
        "rescheduled",
        actor=actor,
        reason=reason,
        context={"rescheduled_to": str(new.id)},
        now=now,
    )
    return new


def refresh_stage_progress(stage: StageProgress) -> Decimal:
    """Rule 5: completed sessions of the stage / its sessions × 100 (cancelled and
    rescheduled sessions do not count). A completed stage is at 100."""
    live = [s for s in stage.sessions if s.status in LIVE_SESSION]
    done = [s for s in live if s.status == "completed"]
    if stage.status == "completed":
        value = Decimal("100.00")
    elif not live:
        value = Decimal("0.00")
    else:
        value = (Decimal(len(done)) * 100 / Decimal(len(live))).quantize(Decimal("0.01"))
    stage.progress_percentage = value
    return value


def save_material(
    session: TrainingSession,
    *,
    material_type: str,
    description: str | None,
    filename: str,
    content_type: str,
    data: bytes,
    actor,
    storage,
    now=None,
):
    """Keep an uploaded file (recording, slides…) with the session."""
    from portal.onboarding.models import MATERIAL_TYPES, SessionMaterial

    if not permissions.can_run_session(actor, session):
        raise Forbidden(_("Only the assigned trainer adds materials."))
    # The browser names the file and its type: cleaned, never refused. A type longer than any
    # real one is no type at all.
    filename, content_type = storable(filename), storable(content_type)
    columns = SessionMaterial.__table__.c
    if not content_type or too_long(content_type, columns.content_type):
        content_type = "application/octet-stream"
    description = (description or "").strip() or None
    errors = {}
    if material_type not in MATERIAL_TYPES:
        errors["material_type"] = _("Choose recording, slides, document or other.")
    if not filename or not data:
        errors["file"] = _("Choose a file.")
    if description and NUL in description:
        errors["description"] = nul_refused_message()
    elif error := too_long(description, columns.description):
        errors["description"] = error
    if errors:
        raise _invalid(errors)
    key = uuid.uuid4().hex
    storage.save(key, data)  # kept only if the row that points to it is committed
    undo_unless_committed(db.session, lambda: storage.delete(key))
    material = SessionMaterial(
        organisation_id=session.organisation_id,
        session_id=session.id,
        material_type=material_type,
        description=description,
        filename=filename[-255:],
        content_type=content_type,
        size=len(data),
        storage_key=key,
        uploaded_by_id=actor.id,
        created_at=now or utcnow(),
    )
    session.materials.append(material)
    db.session.flush()
    return material
