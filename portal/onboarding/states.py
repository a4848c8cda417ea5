"""The five onboarding machines, exactly as the seed names their states, with the seed's
permission table as transition roles, and Rule 2 as guards."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.core.errors import InvalidTransition, ValidationError
from portal.core.i18n import format_when
from portal.onboarding import permissions
from portal.onboarding.models import (
    OnboardingRequest,
    SessionAttendee,
    StageProgress,
    TrainingAssignment,
    TrainingSession,
)
from portal.workflow.actors import SYSTEM, is_system
from portal.workflow.engine import transition
from portal.workflow.machines import Machine, Transition, register, status_label

DONE_STAGE = ("completed", "skipped")


def _refuse(attempt, message: str):
    """Rule 2 and the like: the move is right for this role, the items' state refuses it now
    (409 invalid_transition, as the API contract names it)."""
    raise InvalidTransition(
        message, details={"old_status": attempt.source, "new_status": attempt.target}
    )


def _reason(attempt, key: str) -> str | None:
    value = attempt.context.get(key) or attempt.reason
    return str(value).strip() if value else None


def _require_reason(key: str, message):
    def guard(attempt) -> None:
        if not _reason(attempt, key):
            raise ValidationError(str(message), details={key: str(message)})

    return guard


def _store(column: str, key: str):
    def effect(attempt) -> None:
        value = _reason(attempt, key)
        if value:
            setattr(attempt.entity, column, value)

    return effect


CLOSED_REQUEST = ("completed", "cancelled")
OPEN_SESSION = ("scheduled", "in_progress")  # its invitations can still be answered


def _request_open(attempt) -> None:
    """A completed or cancelled request is closed: people no longer move its stages and
    sessions (its own cascades, run by the system, still do)."""
    if is_system(attempt.actor):
        return
    request = attempt.entity.request
    if request.status in CLOSED_REQUEST:
        _refuse(
            attempt,
            _(
                "Request %(code)s is closed (%(status)s): its stages and sessions can no longer"
                " change.",
                code=request.request_code,
                status=status_label("onboarding_request", request.status),
            ),
        )


# --- how the admin pages name an item, and link to it ------------------------------------


def _request_page(request) -> str:
    return url_for("onboarding.request_detail", request_id=request.id)


def _session_page(session) -> str:
    return url_for("onboarding.session_detail", session_id=session.id)


def _session_words(session) -> str:
    return f"{session.stage.name} · {format_when(session.starts_at, 'short')}"


# --- onboarding request -------------------------------------------------------------


def _has_live_assignment(attempt) -> None:
    current = attempt.entity.current_assignment
    if current is None or current.status not in ("assigned", "accepted"):
        raise ValidationError(
            _("Assign a trainer first."), details={"trainer_id": _("Assign a trainer first.")}
        )


def _assignment_completed(attempt) -> None:
    current = attempt.entity.current_assignment
    if current is None or current.status != "completed":
        _refuse(
            attempt,
            _("The request cannot be completed before its training assignment is completed."),
        )


def can_take_back(request) -> bool:
    """Whether the request's trainer has not answered yet (the page offers Take back then)."""
    current = request.current_assignment
    return current is not None and current.status == "assigned"


def _assignment_not_accepted(attempt) -> None:
    """A coordinator takes a request back (pending ↔ assigned) only before the trainer has
    accepted it; after that, the request is cancelled instead."""
    current = attempt.entity.current_assignment
    if current is not None and not can_take_back(attempt.entity):
        _refuse(
            attempt,
            _(
                "%(trainer)s has already accepted this training: cancel the request instead.",
                trainer=current.trainer.name,
            ),
        )


def _withdraw_assignment(attempt) -> None:
    """The trainer's still unanswered assignment ends, as rejected on the coordinator's word."""
    if not can_take_back(attempt.entity):  # no trainer, or the system after a rejection
        return
    current = attempt.entity.current_assignment
    reason = _reason(attempt, "rejection_reason")  # none given: the trainer is told plainly
    context = {"withdrawn": True, "withdrawn_by": getattr(attempt.actor, "id", None)}
    if reason:
        context["rejection_reason"] = reason
    transition(current, "rejected", actor=SYSTEM, reason=reason, context=context, now=attempt.now)


def _set_start_date(attempt) -> None:
    attempt.entity.actual_start_date = attempt.now.date()


def _set_end_date(attempt) -> None:
    attempt.entity.actual_end_date = attempt.now.date()


REQUEST = register(
    Machine(
        name="onboarding_request",
        title=_l("Onboarding request"),
        model=OnboardingRequest,
        load=(joinedload(OnboardingRequest.assignments), joinedload(OnboardingRequest.created_by)),
        collection="onboarding-requests",
        states={
            "pending": _l("Pending"),
            "assigned": _l("Assigned"),
            "in_progress": _l("In progress"),
            "completed": _l("Completed"),
            "cancelled": _l("Cancelled"),
        },
        transitions=[
            Transition(
                "pending", "assigned", ("coordinator", "system"), guards=(_has_live_assignment,)
            ),
            Transition(
                "assigned",
                "pending",
                ("coordinator", "system"),
                guards=(_assignment_not_accepted,),
                effects=(_withdraw_assignment,),
                label=_l("Take back from the trainer"),
            ),
            Transition("assigned", "in_progress", ("system",), effects=(_set_start_date,)),
            Transition(
                "in_progress",
                "completed",
                ("system",),
                guards=(_assignment_completed,),
                effects=(_set_end_date,),
            ),
            Transition(
                "assigned",
                "completed",
                ("system",),
                guards=(_assignment_completed,),
                effects=(_set_end_date,),
            ),
            *[
                Transition(
                    source,
                    "cancelled",
                    ("coordinator",),
                    guards=(
                        _require_reason(
                            "cancellation_reason", _l("Give a reason for the cancellation.")
                        ),
                    ),
                    effects=(_store("cancellation_reason", "cancellation_reason"),),
                    label=_l("Cancel"),
                )
                for source in ("pending", "assigned", "in_progress")
            ],
        ],
        timestamps={
            "assigned": "assigned_at",
            "in_progress": "started_at",
            "completed": "completed_at",
            "cancelled": "cancelled_at",
        },
        terminal=("completed", "cancelled"),
        visible=permissions.can_view_request,
        describe=lambda r: f"{r.request_code} · {r.client.name}",
        describe_load=(joinedload(OnboardingRequest.client),),
        page=_request_page,
    )
)

# --- training assignment --------------------------------------------------------------


def _stages_allow_completion(attempt) -> None:
    """Rule 2: never while a stage is in progress (unless the request was cancelled)."""
    if attempt.context.get("early_termination"):
        return
    stages = attempt.entity.request.stages
    if any(s.status == "in_progress" for s in stages):
        _refuse(attempt, _("The assignment cannot be completed while a stage is in progress."))
    if any(s.status not in DONE_STAGE for s in stages):
        _refuse(attempt, _("Every stage must be completed or skipped first."))


_rejection_reason = _require_reason("rejection_reason", _l("Give a reason for rejecting."))


def _rejection_reason_unless_withdrawn(attempt) -> None:
    """A trainer who rejects says why; a request taken back by its coordinator may not."""
    if not attempt.context.get("withdrawn"):
        _rejection_reason(attempt)


ASSIGNMENT = register(
    Machine(
        name="assignment",
        title=_l("Training assignment"),
        model=TrainingAssignment,
        load=(
            joinedload(TrainingAssignment.request).joinedload(OnboardingRequest.client),
            joinedload(TrainingAssignment.request).joinedload(OnboardingRequest.created_by),
        ),
        collection="assignments",
        states={
            "assigned": _l("Assigned"),
            "accepted": _l("Accepted"),
            "in_progress": _l("In progress"),
            "completed": _l("Completed"),
            "rejected": _l("Rejected"),
        },
        transitions=[
            Transition("assigned", "accepted", ("trainer",), label=_l("Accept")),
            Transition(
                "assigned",
                "rejected",
                ("trainer", "system"),
                guards=(_rejection_reason_unless_withdrawn,),
                effects=(_store("rejection_reason", "rejection_reason"),),
                label=_l("Reject"),
            ),
            Transition("accepted", "in_progress", ("system",)),
            *[
                Transition(source, "completed", ("system",), guards=(_stages_allow_completion,))
                for source in ("assigned", "accepted", "in_progress")
            ],
        ],
        timestamps={
            "accepted": "accepted_at",
            "in_progress": "started_at",
            "completed": "completed_at",
            "rejected": "rejected_at",
        },
        terminal=("completed", "rejected"),
        visible=permissions.can_view_assignment,
        may_act=lambda user, a: user.role != "trainer" or a.trainer_id == user.id,
        describe=lambda a: f"{a.request.request_code} · {a.trainer.name}",
        describe_load=(
            joinedload(TrainingAssignment.request),
            joinedload(TrainingAssignment.trainer),
        ),
        page=lambda a: _request_page(a.request),
        system_context=frozenset({"withdrawn", "withdrawn_by", "early_termination"}),
    )
)

# --- training session -------------------------------------------------------------------


def _stage_order(attempt) -> None:
    """Rule 2: stages in order, and only once the trainer has accepted the assignment."""
    session = attempt.entity
    earlier = [s for s in session.request.stages if s.order < session.stage.order]
    if any(s.status not in DONE_STAGE for s in earlier):
        _refuse(attempt, _("Complete or skip the earlier stages first."))
    if session.assignment.status == "assigned":
        _refuse(attempt, _("The trainer must accept the assignment first."))
    if session.assignment.status not in ("accepted", "in_progress"):
        _refuse(
            attempt,
            _(
                "This training assignment has ended (%(status)s).",
                status=status_label("assignment", session.assignment.status),
            ),
        )


def _needs_new_session(attempt) -> None:
    if not attempt.context.get("rescheduled_to"):
        raise ValidationError(
            _("Reschedule with a new date and time (the reschedule action)."),
            details={"starts_at": _("Required.")},
        )


SESSION = register(
    Machine(
        name="training_session",
        title=_l("Training session"),
        model=TrainingSession,
        load=(
            joinedload(TrainingSession.assignment),
            joinedload(TrainingSession.stage),
            joinedload(TrainingSession.request).joinedload(OnboardingRequest.assignments),
        ),
        collection="training-sessions",
        states={
            "scheduled": _l("Scheduled"),
            "in_progress": _l("In progress"),
            "completed": _l("Completed"),
            "cancelled": _l("Cancelled"),
            "rescheduled": _l("Rescheduled"),
        },
        transitions=[
            Transition(
                "scheduled",
                "in_progress",
                ("trainer",),
                guards=(_request_open, _stage_order),
                label=_l("Start"),
            ),
            Transition(
                "in_progress",
                "completed",
                ("trainer",),
                effects=(_store("completion_notes", "completion_notes"),),
                label=_l("Complete"),
            ),
            Transition(
                "scheduled",
                "cancelled",
                ("trainer", "system"),
                effects=(_store("cancellation_reason", "cancellation_reason"),),
                label=_l("Cancel"),
            ),
            Transition(
                "scheduled", "rescheduled", ("trainer",), guards=(_request_open, _needs_new_session)
            ),
        ],
        timestamps={
            "in_progress": "actual_start_time",
            "completed": "actual_end_time",
            "cancelled": "cancelled_at",
            "rescheduled": "rescheduled_at",
        },
        terminal=("completed", "cancelled", "rescheduled"),
        visible=permissions.can_view_session,
        may_act=lambda user, s: user.role != "trainer" or permissions.can_run_session(user, s),
        describe=lambda s: f"{s.request.request_code} · {_session_words(s)}",
        describe_load=(joinedload(TrainingSession.request), joinedload(TrainingSession.stage)),
        page=_session_page,
        system_context=frozenset(
            {"rescheduled_to", "request_cancelled", "request_completed", "stage_skipped"}
        ),
    )
)

# --- session attendee ---------------------------------------------------------------------


def _session_not_over(attempt) -> None:
    """An invitation is answered or withdrawn while its session is still ahead or running."""
    if is_system(attempt.actor):
        return
    session = attempt.entity.session
    if session.status not in OPEN_SESSION:
        _refuse(
            attempt,
            _(
                "This session is over (%(status)s).",
                status=status_label("training_session", session.status),
            ),
        )


def _session_started(attempt) -> None:
    """Attendance is taken once the session has started (during it or after it)."""
    session = attempt.entity.session
    if session.status not in ("in_progress", "completed"):
        _refuse(
            attempt,
            _(
                "Attendance is taken once the session has started (this session: %(status)s).",
                status=status_label("training_session", session.status),
            ),
        )


_ATTENDANCE = {"effects": (_store("notes", "notes"),), "guards": (_session_started,)}

ATTENDEE = register(
    Machine(
        name="attendee",
        title=_l("Session attendee"),
        model=SessionAttendee,
        collection="attendees",
        status_attr="attendance_status",
        states={
            "invited": _l("Invited"),
            "confirmed": _l("Confirmed"),
            "attended": _l("Attended"),
            "absent": _l("Absent"),
            "cancelled": _l("Cancelled"),
        },
        transitions=[
            Transition(
                "invited",
                "confirmed",
                ("learner", "trainer"),
                guards=(_session_not_over,),
                label=_l("Confirm"),
            ),
            Transition("confirmed", "attended", ("trainer",), **_ATTENDANCE),
            Transition("invited", "attended", ("trainer",), **_ATTENDANCE),
            Transition("invited", "absent", ("trainer",), **_ATTENDANCE),
            Transition("confirmed", "absent", ("trainer",), **_ATTENDANCE),
            Transition("invited", "cancelled", ("trainer", "system"), guards=(_session_not_over,)),
            Transition(
                "confirmed", "cancelled", ("trainer", "system"), guards=(_session_not_over,)
            ),
        ],
        timestamps={
            "confirmed": "confirmed_at",
            "attended": "attended_at",
            "absent": "absent_at",
            "cancelled": "cancelled_at",
        },
        terminal=("attended", "absent", "cancelled"),
        visible=permissions.can_view_attendee,
        may_act=lambda user, a: (
            a.user_id == user.id
            if user.role == "learner"
            else user.role != "trainer" or permissions.can_run_session(user, a.session)
        ),
        describe=lambda a: (
            f"{a.user.name} · {a.session.request.request_code} · {_session_words(a.session)}"
        ),
        describe_load=(
            joinedload(SessionAttendee.user),
            joinedload(SessionAttendee.session).joinedload(TrainingSession.request),
            joinedload(SessionAttendee.session).joinedload(TrainingSession.stage),
        ),
        page=lambda a: _session_page(a.session),
    )
)

# --- stage progress -------------------------------------------------------------------------


def _no_session_running(attempt) -> None:
    """A stage is not skipped under a running session; its scheduled sessions are called off
    by the skip (onboarding.cascades)."""
    if any(s.status == "in_progress" for s in attempt.entity.sessions):
        _refuse(attempt, _("A session of this stage is in progress: complete it first."))


STAGE = register(
    Machine(
        name="stage_progress",
        title=_l("Stage progress"),
        model=StageProgress,
        load=(joinedload(StageProgress.request).joinedload(OnboardingRequest.assignments),),
        collection="stage-progress",
        states={
            "not_started": _l("Not started"),
            "in_progress": _l("In progress"),
            "completed": _l("Completed"),
            "skipped": _l("Skipped"),
        },
        transitions=[
            Transition(
                "not_started",
                "in_progress",
                ("trainer", "system"),
                guards=(_request_open,),
            ),
            Transition(
                "in_progress",
                "completed",
                ("trainer", "system"),
                guards=(_request_open,),
            ),
            *[
                Transition(
                    source,
                    "skipped",
                    ("trainer",),
                    guards=(_request_open, _no_session_running),
                    effects=(_store("notes", "notes"),),
                    label=_l("Skip"),
                )
                for source in ("not_started", "in_progress", "completed")
            ],
        ],
        timestamps={
            "in_progress": "started_at",
            "completed": "completed_at",
            "skipped": "skipped_at",
        },
        terminal=("completed", "skipped"),
        visible=permissions.can_view_stage,
        may_act=lambda user, s: (
            user.role != "trainer" or permissions.is_current_trainer(user, s.request)
        ),
        describe=lambda s: f"{s.request.request_code} · {s.name}",
        describe_load=(joinedload(StageProgress.request),),
        page=lambda s: _request_page(s.request),
    )
)
