"""The seed's notification-trigger table as rows of the product's trigger table
(portal.notifications.triggers): who hears of which onboarding change, and what they read.
Staff are told in the portal; customer contacts in the portal and by message (Telegram, or the
next channel that reaches them), each in their own language and timezone."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.i18n import format_when
from portal.extensions import db
from portal.notifications.triggers import IN_APP, Notice, Trigger, add, audience
from portal.onboarding.attendance_links import confirm_path

STAFF = (IN_APP,)
CONTACT = (IN_APP, "telegram")


def request_link(request) -> str:
    return f"/onboarding/requests/{request.id}"


def session_link(session) -> str:
    return f"/onboarding/sessions/{session.id}"


def _when(session) -> str:
    return format_when(session.starts_at, "medium")


def _request_of(entity):
    return entity if entity.__tablename__ == "onboarding_requests" else entity.request


# --- audiences ----------------------------------------------------------------------------


@audience("sales")
def _sales(event, entity) -> list[User]:
    """The coordinator who created the request, else every coordinator of the organisation."""
    request = _request_of(entity)
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


@audience("sales_but_the_actor")
def _sales_but_the_actor(event, entity) -> list[User]:
    return [p for p in _sales(event, entity) if str(p.id) != event.context.get("withdrawn_by")]


@audience("trainer")
def _trainer(event, entity) -> list[User]:
    """The assignment's trainer, or the request's current one."""
    if entity.__tablename__ == "training_assignments":
        return [entity.trainer]
    current = _request_of(entity).current_assignment
    return [current.trainer] if current is not None else []


@audience("invited_contacts")
def _invited(event, session) -> list[User]:
    return [attendee.user for attendee in session.attendees]


@audience("expected_contacts")
def _expected(event, session) -> list[User]:
    """Those still expected when the session starts."""
    return [a.user for a in session.attendees if a.attendance_status in ("invited", "confirmed")]


@audience("contacts_called_off")
def _called_off(event, session) -> list[User]:
    """Contacts whose invitation this cancellation withdrew (not one withdrawn before)."""
    return [
        a.user
        for a in session.attendees
        if a.attendance_status != "cancelled" or a.cancelled_at == event.when
    ]


@audience("attendee")
def _attendee(event, attendee) -> list[User]:
    return [attendee.user]


@audience("request_contacts")
def _request_contacts(event, request) -> list[User]:
    return [
        a.user for session in _sessions_called_off_first(event, request) for a in session.attendees
    ]


def _sessions_called_off_first(event, request) -> list:
    called_off = [
        s for s in request.sessions if s.status == "cancelled" and s.cancelled_at == event.when
    ]
    return [*called_off, *(s for s in request.sessions if s not in called_off)]


# --- what each row says -------------------------------------------------------------------


def _staff_notice(link, related, title, message) -> Notice:
    return Notice(title=title, message=message, link=link, related=related)


def _contact_notice(session, title, message, **context) -> Notice:
    return Notice(
        title=title,
        message=message,
        link=session_link(session),
        related=session,
        context={"session": session, **context},
    )


def _assignment_created(event, request, person) -> Notice:
    urgent = request.priority == "urgent"
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("URGENT: New Training Assignment") if urgent else _("New Training Assignment"),
        lambda: _(
            "You have been assigned to train %(client)s on %(program)s",
            client=request.client.name,
            program=request.program.name,
        ),
    )


def _assignment_rejected(event, assignment, person) -> Notice:
    request = assignment.request
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Training Assignment Rejected"),
        lambda: _(
            "%(trainer)s rejected the %(client)s assignment. Reason: %(reason)s",
            trainer=assignment.trainer.name,
            client=request.client.name,
            reason=assignment.rejection_reason or "—",
        ),
    )


def _withdrawn_values(assignment) -> dict:
    request = assignment.request
    return {
        "client": request.client.name,
        "code": request.request_code,
        "trainer": assignment.trainer.name,
    }


def _withdrawn_from_trainer(event, assignment, person) -> Notice:
    return _staff_notice(
        request_link(assignment.request),
        assignment.request,
        lambda: _("Training Assignment Withdrawn"),
        lambda: _(
            "The %(client)s assignment (%(code)s) was taken back. Reason: %(reason)s",
            reason=assignment.rejection_reason or _("none given."),
            **_withdrawn_values(assignment),
        ),
    )


def _withdrawn_to_coordinator(event, assignment, person) -> Notice:
    return _staff_notice(
        request_link(assignment.request),
        assignment.request,
        lambda: _("Training Assignment Withdrawn"),
        lambda: _(
            "%(code)s for %(client)s was taken back from %(trainer)s. Reason: %(reason)s",
            reason=assignment.rejection_reason or _("none given."),
            **_withdrawn_values(assignment),
        ),
    )


def _assignment_accepted(event, assignment, person) -> Notice:
    request = assignment.request
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Training Assignment Accepted"),
        lambda: _(
            "%(trainer)s accepted the %(client)s assignment (%(code)s).",
            trainer=assignment.trainer.name,
            client=request.client.name,
            code=request.request_code,
        ),
    )


def _rescheduled_from(session):
    if not session.rescheduled_from_id:
        return None
    return db.session.get(type(session), session.rescheduled_from_id)


def _invitation(session, person) -> dict:
    attendee = next(a for a in session.attendees if a.user_id == person.id)
    return {
        "confirm_path": confirm_path(attendee),
        "client": session.request.client,
        "program": session.request.program,
    }


def _session_scheduled(event, session, person) -> Notice:
    program = session.request.program
    return _contact_notice(
        session,
        lambda: _("New training session"),
        lambda: _(
            "You have a training session (%(program)s) on %(when)s.",
            program=program.name,
            when=_when(session),
        ),
        **_invitation(session, person),
    )


def _session_rescheduled(event, session, person) -> Notice:
    previous = _rescheduled_from(session)
    return _contact_notice(
        session,
        lambda: _("Session rescheduled"),
        lambda: _(
            "Your %(old)s session has been rescheduled to %(new)s.",
            old=_when(previous),
            new=_when(session),
        ),
        previous=previous,
        **_invitation(session, person),
    )


def _session_started(event, session, person) -> Notice:
    return _contact_notice(
        session,
        lambda: _("Your session has started"),
        lambda: _(
            "Your %(program)s session “%(stage)s” has started. Join now.",
            program=session.request.program.name,
            stage=session.stage.name,
        ),
    )


def _session_cancelled(event, session, person) -> Notice:
    return _contact_notice(
        session,
        lambda: _("Session cancelled"),
        lambda: _("Your training session of %(when)s has been cancelled.", when=_when(session)),
    )


def _session_completed(event, session, person) -> Notice:
    request = session.request
    return _staff_notice(
        session_link(session),
        session,
        lambda: _("Session completed"),
        lambda: _(
            "The “%(stage)s” session of %(when)s for %(client)s is completed.",
            stage=session.stage.name,
            when=_when(session),
            client=request.client.name,
        ),
    )


def _session_missed(event, attendee, person) -> Notice:
    session = attendee.session
    return _contact_notice(
        session,
        lambda: _("We missed you"),
        lambda: _(
            "You were marked absent from the session of %(when)s. Your trainer "
            "will propose a makeup session.",
            when=_when(session),
        ),
    )


def _stage_completed(event, stage, person) -> Notice:
    request = stage.request
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Stage completed"),
        lambda: _(
            "%(client)s completed the stage %(stage)s.",
            client=request.client.name,
            stage=stage.name,
        ),
    )


def _training_completed(event, assignment, person) -> Notice:
    request = assignment.request
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Training completed"),
        lambda: _(
            "The %(program)s training of %(client)s is completed.",
            program=request.program.name,
            client=request.client.name,
        ),
    )


def _onboarding_completed(event, request, person) -> Notice:
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Onboarding completed"),
        lambda: _(
            "Onboarding %(code)s for %(client)s is completed.",
            code=request.request_code,
            client=request.client.name,
        ),
    )


def _training_cancelled_for_trainer(event, request, person) -> Notice:
    return _staff_notice(
        request_link(request),
        request,
        lambda: _("Training cancelled"),
        lambda: _(
            "%(code)s for %(client)s was cancelled. Reason: %(reason)s",
            code=request.request_code,
            client=request.client.name,
            reason=request.cancellation_reason or "—",
        ),
    )


def _training_cancelled_for_contact(event, request, person) -> Notice:
    """About a session this cancellation called off when the contact had one."""
    session = next(
        s
        for s in _sessions_called_off_first(event, request)
        if any(a.user_id == person.id for a in s.attendees)
    )
    return _contact_notice(
        session,
        lambda: _("Training cancelled"),
        lambda: _("Your training sessions have been cancelled."),
        client=request.client,
    )


# --- the table ----------------------------------------------------------------------------


def _withdrawn(event, _entity) -> bool:
    return bool(event.context.get("withdrawn"))


def _not_withdrawn(event, entity) -> bool:
    return not _withdrawn(event, entity)


def _new_session(event, session) -> bool:
    return session.rescheduled_from_id is None


def _replacing_session(event, session) -> bool:
    return session.rescheduled_from_id is not None


def _not_with_its_request(event, _session) -> bool:
    return not event.context.get("request_cancelled")  # one training_cancelled says it all


def _not_ended_early(event, _assignment) -> bool:
    return not event.context.get("early_termination")  # the cancellation says it


TRIGGERS = (
    Trigger(
        "onboarding_request_assigned", "trainer", "assignment_created", STAFF, _assignment_created
    ),
    Trigger(
        "assignment_rejected",
        "sales",
        "assignment_rejected",
        STAFF,
        _assignment_rejected,
        applies=_not_withdrawn,
    ),
    Trigger(
        "assignment_rejected",
        "trainer",
        "assignment_withdrawn",
        STAFF,
        _withdrawn_from_trainer,
        applies=_withdrawn,
    ),
    Trigger(
        "assignment_rejected",
        "sales_but_the_actor",
        "assignment_withdrawn",
        STAFF,
        _withdrawn_to_coordinator,
        applies=_withdrawn,
    ),
    Trigger("assignment_accepted", "sales", "assignment_accepted", STAFF, _assignment_accepted),
    Trigger(
        "training_session_created",
        "invited_contacts",
        "session_scheduled",
        CONTACT,
        _session_scheduled,
        applies=_new_session,
    ),
    Trigger(
        "training_session_created",
        "invited_contacts",
        "session_rescheduled",
        CONTACT,
        _session_rescheduled,
        applies=_replacing_session,
    ),
    Trigger(
        "training_session_in_progress",
        "expected_contacts",
        "session_started",
        CONTACT,
        _session_started,
    ),
    Trigger(
        "training_session_cancelled",
        "contacts_called_off",
        "session_cancelled",
        CONTACT,
        _session_cancelled,
        applies=_not_with_its_request,
    ),
    Trigger("training_session_completed", "sales", "session_completed", STAFF, _session_completed),
    Trigger("attendee_absent", "attendee", "session_missed", CONTACT, _session_missed),
    Trigger("stage_progress_completed", "sales", "stage_completed", STAFF, _stage_completed),
    Trigger(
        "assignment_completed",
        "sales",
        "training_completed",
        STAFF,
        _training_completed,
        applies=_not_ended_early,
    ),
    Trigger(
        "assignment_completed",
        "trainer",
        "training_completed",
        STAFF,
        _training_completed,
        applies=_not_ended_early,
    ),
    Trigger(
        "onboarding_request_completed",
        "sales",
        "onboarding_completed",
        STAFF,
        _onboarding_completed,
    ),
    Trigger(
        "onboarding_request_completed",
        "trainer",
        "onboarding_completed",
        STAFF,
        _onboarding_completed,
    ),
    Trigger(
        "onboarding_request_cancelled",
        "trainer",
        "training_cancelled",
        STAFF,
        _training_cancelled_for_trainer,
    ),
    Trigger(
        "onboarding_request_cancelled",
        "request_contacts",
        "training_cancelled",
        CONTACT,
        _training_cancelled_for_contact,
    ),
)
add(*TRIGGERS)
