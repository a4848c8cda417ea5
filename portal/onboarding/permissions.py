"""Who may see and act on onboarding items: one place for views, API, machines and tests."""

from __future__ import annotations

STAFF_SEE_ALL = ("admin", "coordinator")


def _same_org(user, entity) -> bool:
    return user is not None and entity.organisation_id == user.organisation_id


def is_contact(user, client) -> bool:
    return any(contact.user_id == user.id for contact in client.contacts)


def trains(user, request) -> bool:
    return any(a.trainer_id == user.id for a in request.assignments)


def can_view_request(user, request) -> bool:
    if not _same_org(user, request):
        return False
    if user.role in STAFF_SEE_ALL:
        return True
    if user.role == "trainer":
        return trains(user, request)
    return is_contact(user, request.client)


def can_view_session(user, session) -> bool:
    if not _same_org(user, session):
        return False
    if user.role == "learner":
        return any(a.user_id == user.id for a in session.attendees)
    return can_view_request(user, session.request)


def can_view_attendee(user, attendee) -> bool:
    if not _same_org(user, attendee):
        return False
    if user.role == "learner":
        return attendee.user_id == user.id
    return can_view_session(user, attendee.session)


def can_view_assignment(user, assignment) -> bool:
    if not _same_org(user, assignment):
        return False
    if user.role == "trainer":
        return assignment.trainer_id == user.id
    return user.role in STAFF_SEE_ALL


def can_view_stage(user, stage) -> bool:
    return can_view_request(user, stage.request)


def is_current_trainer(user, request) -> bool:
    current = request.current_assignment
    return current is not None and current.trainer_id == user.id


def can_run_session(user, session) -> bool:
    """Only the trainer of the session's assignment changes sessions, attendance and stages."""
    return user.role == "trainer" and session.assignment.trainer_id == user.id


def can_manage_requests(user) -> bool:
    return user.role == "coordinator"
