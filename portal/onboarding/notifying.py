"""The seed's notification-trigger table: in-app notifications for staff and contacts, and a
Telegram message for customer contacts, each in the recipient's language and timezone."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.i18n import format_when
from portal.extensions import db
from portal.messaging.services import queue_message
from portal.notifications.services import notify
from portal.onboarding.attendance_links import confirm_path
from portal.workflow import events


def request_link(request) -> str:
    return f"/onboarding/requests/{request.id}"


def session_link(session) -> str:
    return f"/onboarding/sessions/{session.id}"


def _sales(request) -> list[User]:
    """The coordinator who created the request, else every coordinator of the organisation."""
    if request.created_by is not None and request.created_by.is_active:
        return [request.created_by]
    return list(
        db.session.scalars(
            select(User).where(
                User.organisation_id == request.organisation_id,
                User.role == "coordinator",
                User.is_active,
            )
        )
    )


def _trainer(request) -> list[User]:
    current = request.current_assignment
    return [current.trainer] if current is not None else []


def _tell_contact(user, *, kind: str, session, title, message, context: dict, now) -> None:
    """In-app notification plus a Telegram message for one customer contact."""
    notify(
        user,
        type=kind,
        title=title,
        message=message,
        link=session_link(session),
        related=session,
        now=now,
    )
    queue_message(
        channel="telegram",
        message_type=kind,
        recipient=user,
        context={"session": session, **context},
        related=session,
        related_type="training_sessions",
        dedupe_key=f"{kind}:{session.id}:{user.id}",
        now=now,
    )


def _when(session) -> str:
    return format_when(session.starts_at, "medium")


@events.on("training_session_created")
def session_scheduled(event, session) -> None:
    """A new session: every invited contact is told (and can confirm); a session replacing
    a rescheduled one says which it replaces."""
    now = event.when
    rescheduled_from = (
        db.session.get(type(session), session.rescheduled_from_id)
        if session.rescheduled_from_id
        else None
    )
    client = session.request.client
    program = session.request.program
    for attendee in session.attendees:
        context = {"confirm_path": confirm_path(attendee), "client": client, "program": program}
        if rescheduled_from is not None:
            context["previous"] = rescheduled_from
            _tell_contact(
                attendee.user,
                kind="session_rescheduled",
                session=session,
                title=lambda: _("Session rescheduled"),
                message=lambda: _(
                    "Your %(old)s session has been rescheduled to %(new)s.",
                    old=_when(rescheduled_from),
                    new=_when(session),
                ),
                context=context,
                now=now,
            )
        else:
            _tell_contact(
                attendee.user,
                kind="session_scheduled",
                session=session,
                title=lambda: _("New training session"),
                message=lambda: _(
                    "You have a training session (%(program)s) on %(when)s.",
                    program=program.name,
                    when=_when(session),
                ),
                context=context,
                now=now,
            )


@events.on("onboarding_request_assigned")
def assignment_created(event, request) -> None:
    urgent = request.priority == "urgent"
    for trainer in _trainer(request):
        notify(
            trainer,
            type="assignment_created",
            title=lambda: (
                _("URGENT: New Training Assignment") if urgent else _("New Training Assignment")
            ),
            message=lambda: _(
                "You have been assigned to train %(client)s on %(program)s",
                client=request.client.name,
                program=request.program.name,
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("assignment_rejected")
def assignment_rejected(event, assignment) -> None:
    request = assignment.request
    if event.context.get("withdrawn"):  # taken back: the trainer is told, and the request's
        _assignment_withdrawn(event, assignment)  # coordinator if someone else did it
        return
    for person in _sales(request):
        notify(
            person,
            type="assignment_rejected",
            title=lambda: _("Training Assignment Rejected"),
            message=lambda: _(
                "%(trainer)s rejected the %(client)s assignment. Reason: %(reason)s",
                trainer=assignment.trainer.name,
                client=request.client.name,
                reason=assignment.rejection_reason or "—",
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


def _assignment_withdrawn(event, assignment) -> None:
    request = assignment.request
    values = {
        "client": request.client.name,
        "code": request.request_code,
        "trainer": assignment.trainer.name,
    }

    def to_trainer() -> str:
        return _(
            "The %(client)s assignment (%(code)s) was taken back. Reason: %(reason)s",
            reason=assignment.rejection_reason or _("none given."),
            **values,
        )

    def to_coordinator() -> str:
        return _(
            "%(code)s for %(client)s was taken back from %(trainer)s. Reason: %(reason)s",
            reason=assignment.rejection_reason or _("none given."),
            **values,
        )

    told = [(assignment.trainer, to_trainer)]
    told += [  # the request's coordinator, unless they took it back themselves
        (person, to_coordinator)
        for person in _sales(request)
        if str(person.id) != event.context.get("withdrawn_by")
    ]
    for person, message in told:
        notify(
            person,
            type="assignment_withdrawn",
            title=lambda: _("Training Assignment Withdrawn"),
            message=message,
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("assignment_accepted")
def assignment_accepted(event, assignment) -> None:
    request = assignment.request
    for person in _sales(request):
        notify(
            person,
            type="assignment_accepted",
            title=lambda: _("Training Assignment Accepted"),
            message=lambda: _(
                "%(trainer)s accepted the %(client)s assignment (%(code)s).",
                trainer=assignment.trainer.name,
                client=request.client.name,
                code=request.request_code,
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("training_session_in_progress")
def session_started(event, session) -> None:
    for attendee in session.attendees:
        if attendee.attendance_status in ("invited", "confirmed"):
            _tell_contact(
                attendee.user,
                kind="session_started",
                session=session,
                title=lambda: _("Your session has started"),
                message=lambda: _(
                    "Your %(program)s session “%(stage)s” has started. Join now.",
                    program=session.request.program.name,
                    stage=session.stage.name,
                ),
                context={},
                now=event.when,
            )


@events.on("training_session_cancelled")
def session_cancelled(event, session) -> None:
    if event.context.get("request_cancelled"):
        return  # the contacts get one training_cancelled message instead
    for attendee in session.attendees:
        if attendee.attendance_status == "cancelled" and attendee.cancelled_at != event.when:
            continue  # their invitation was withdrawn before: nothing more to tell them
        _tell_contact(
            attendee.user,
            kind="session_cancelled",
            session=session,
            title=lambda: _("Session cancelled"),
            message=lambda: _(
                "Your training session of %(when)s has been cancelled.", when=_when(session)
            ),
            context={},
            now=event.when,
        )


@events.on("training_session_completed")
def session_completed(event, session) -> None:
    request = session.request
    for person in _sales(request):
        notify(
            person,
            type="session_completed",
            title=lambda: _("Session completed"),
            message=lambda: _(
                "The “%(stage)s” session of %(when)s for %(client)s is completed.",
                stage=session.stage.name,
                when=_when(session),
                client=request.client.name,
            ),
            link=session_link(session),
            related=session,
            now=event.when,
        )


@events.on("attendee_absent")
def attendee_absent(event, attendee) -> None:
    session = attendee.session
    _tell_contact(
        attendee.user,
        kind="session_missed",
        session=session,
        title=lambda: _("We missed you"),
        message=lambda: _(
            "You were marked absent from the session of %(when)s. Your trainer "
            "will propose a makeup session.",
            when=_when(session),
        ),
        context={},
        now=event.when,
    )


@events.on("stage_progress_completed")
def stage_completed(event, stage) -> None:
    request = stage.request
    for person in _sales(request):
        notify(
            person,
            type="stage_completed",
            title=lambda: _("Stage completed"),
            message=lambda: _(
                "%(client)s completed the stage %(stage)s.",
                client=request.client.name,
                stage=stage.name,
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("assignment_completed")
def training_completed(event, assignment) -> None:
    if event.context.get("early_termination"):
        return  # the request was cancelled: that notification says it
    request = assignment.request
    for person in [*_sales(request), assignment.trainer]:
        notify(
            person,
            type="training_completed",
            title=lambda: _("Training completed"),
            message=lambda: _(
                "The %(program)s training of %(client)s is completed.",
                program=request.program.name,
                client=request.client.name,
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("onboarding_request_completed")
def onboarding_completed(event, request) -> None:
    for person in [*_sales(request), *_trainer(request)]:
        notify(
            person,
            type="onboarding_completed",
            title=lambda: _("Onboarding completed"),
            message=lambda: _(
                "Onboarding %(code)s for %(client)s is completed.",
                code=request.request_code,
                client=request.client.name,
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )


@events.on("onboarding_request_cancelled")
def training_cancelled(event, request) -> None:
    for trainer in _trainer(request):
        notify(
            trainer,
            type="training_cancelled",
            title=lambda: _("Training cancelled"),
            message=lambda: _(
                "%(code)s for %(client)s was cancelled. Reason: %(reason)s",
                code=request.request_code,
                client=request.client.name,
                reason=request.cancellation_reason or "—",
            ),
            link=request_link(request),
            related=request,
            now=event.when,
        )
    told = set()
    # Each contact hears once, about a session this cancellation called off when there is one.
    called_off = [
        s for s in request.sessions if s.status == "cancelled" and s.cancelled_at == event.when
    ]
    for session in [*called_off, *(s for s in request.sessions if s not in called_off)]:
        for attendee in session.attendees:
            if attendee.user_id in told:
                continue
            told.add(attendee.user_id)
            _tell_contact(
                attendee.user,
                kind="training_cancelled",
                session=session,
                title=lambda: _("Training cancelled"),
                message=lambda: _("Your training sessions have been cancelled."),
                context={"client": request.client},
                now=event.when,
            )
