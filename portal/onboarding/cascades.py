"""The seed's Rules 1, 3 and 4 as event handlers: they run inside the transaction of the
change that triggers them, with the system as actor, so a cascade is all or nothing."""

from __future__ import annotations

from portal.onboarding.services import LIVE_SESSION, refresh_stage_progress
from portal.onboarding.states import DONE_STAGE
from portal.workflow import events
from portal.workflow.actors import SYSTEM
from portal.workflow.engine import transition


@events.on("training_session_in_progress")
def first_session_started(event, session) -> None:
    """Rule 1: the first session moves the stage, the assignment and the request along."""
    now = event.when
    if session.stage.status == "not_started":
        transition(session.stage, "in_progress", actor=SYSTEM, now=now)
    if session.assignment.status == "accepted":
        transition(session.assignment, "in_progress", actor=SYSTEM, now=now)
    if session.request.status == "assigned":
        transition(session.request, "in_progress", actor=SYSTEM, now=now)


def _complete_stage_if_done(stage, now) -> None:
    refresh_stage_progress(stage)
    if stage.request.status == "cancelled":
        return  # a session finished after the cancellation moves nothing of a cancelled training
    live = [s for s in stage.sessions if s.status in LIVE_SESSION]
    if stage.status == "in_progress" and live and all(s.status == "completed" for s in live):
        transition(stage, "completed", actor=SYSTEM, now=now)


@events.on("training_session_completed")
def session_completed(event, session) -> None:
    """Rule 1: a stage whose sessions are all completed is completed."""
    _complete_stage_if_done(session.stage, event.when)


@events.on("training_session_cancelled")
@events.on("training_session_rescheduled")
def session_called_off(event, session) -> None:
    """Invitations of a cancelled or moved session are cancelled; the stage's figures follow."""
    for attendee in session.attendees:
        if attendee.attendance_status in ("invited", "confirmed"):
            transition(attendee, "cancelled", actor=SYSTEM, now=event.when)
    _complete_stage_if_done(session.stage, event.when)


def _call_off(sessions, now, *, reason: str | None, why: str) -> None:
    """Cancel the sessions still planned, as the system; `why` marks the change's context
    (the notifications word the cancellation after it)."""
    for session in sessions:
        if session.status == "scheduled":
            transition(
                session, "cancelled", actor=SYSTEM, reason=reason, context={why: True}, now=now
            )


@events.on("stage_progress_skipped")
def stage_skipped(event, stage) -> None:
    """A skipped stage's scheduled sessions are called off (their invitations with them), so
    nothing of a finished training is left open."""
    _call_off(stage.sessions, event.when, reason=stage.notes, why="stage_skipped")
    _close_request_if_done(stage, event.when)


@events.on("stage_progress_completed")
def stage_done(event, stage) -> None:
    """Rule 1: when every stage is completed or skipped, the assignment is completed."""
    _close_request_if_done(stage, event.when)


def _close_request_if_done(stage, now) -> None:
    refresh_stage_progress(stage)
    request = stage.request
    if request.status not in ("assigned", "in_progress"):
        return
    if all(s.status in DONE_STAGE for s in request.stages):
        assignment = request.current_assignment
        if assignment is not None and assignment.status in ("accepted", "in_progress"):
            transition(assignment, "completed", actor=SYSTEM, now=now)


@events.on("assignment_completed")
def assignment_completed(event, assignment) -> None:
    """Rule 1: a completed assignment completes its request (unless it was cancelled)."""
    request = assignment.request
    if request.status in ("assigned", "in_progress"):
        transition(request, "completed", actor=SYSTEM, now=event.when)


@events.on("onboarding_request_completed")
def request_completed(event, request) -> None:
    """A completed request leaves nothing open: a session still planned (a makeup for a
    stage done since, one of a stage completed by hand) is called off, its invitations too."""
    _call_off(request.sessions, event.when, reason=None, why="request_completed")


@events.on("assignment_rejected")
def assignment_rejected(event, assignment) -> None:
    """Rule 4: the request goes back to pending for another trainer."""
    request = assignment.request
    if request.status == "assigned":
        transition(
            request, "pending", actor=SYSTEM, reason=assignment.rejection_reason, now=event.when
        )


@events.on("onboarding_request_cancelled")
def request_cancelled(event, request) -> None:
    """Rule 3: scheduled sessions and their invitations are cancelled, the assignment ends."""
    _call_off(
        request.sessions, event.when, reason=request.cancellation_reason, why="request_cancelled"
    )
    assignment = request.current_assignment
    if assignment is not None and assignment.status in ("assigned", "accepted", "in_progress"):
        transition(
            assignment,
            "completed",
            actor=SYSTEM,
            reason=request.cancellation_reason,
            context={"early_termination": True},
            now=event.when,
        )
