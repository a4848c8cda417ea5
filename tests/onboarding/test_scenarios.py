"""The seed's eight scenarios, step by step, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.notifications.models import Notification
from portal.onboarding import services
from portal.workflow.engine import transition
from tests.factories import make_user
from tests.onboarding.conftest import at


def notifications(user, type_=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if type_:
        query = query.where(Notification.type == type_)
    return db.session.scalars(query).all()


def messages(type_=None):
    query = select(OutboundMessage)
    if type_:
        query = query.where(OutboundMessage.message_type == type_)
    return db.session.scalars(query.order_by(OutboundMessage.created_at)).all()


def stage(request, order):
    return next(s for s in request.stages if s.order == order)


def run_session(world, session, *, start, end, notes="Done."):
    transition(session, "in_progress", actor=world.tom, now=start)
    db.session.commit()
    transition(session, "completed", actor=world.tom, context={"completion_notes": notes}, now=end)
    db.session.commit()


def test_scenario_1_standard_successful_flow(world, run_jobs):
    # Day 1: Sophia creates the request.
    request = world.new_request(now=at(16))
    assert request.status == "pending" and request.priority == "medium"
    assert request.request_code == "REQ-2024-001"
    assert [(s.name, s.status) for s in request.stages] == [
        ("Initial Setup", "not_started"),
        ("Basic Features", "not_started"),
        ("Advanced Features", "not_started"),
    ]
    # Day 2: Sophia assigns Tom; Tom is notified.
    _request, assignment = world.assigned(request, now=at(17, 9))
    assert assignment.status == "assigned" and assignment.assigned_at == at(17, 9)
    assert request.status == "assigned"
    [note] = notifications(world.tom, "assignment_created")
    assert note.title == "New Training Assignment"
    assert note.message == "You have been assigned to train ABC Company on CRM system"
    assert note.is_read is False
    # Day 2 later: Tom accepts; Sophia is told.
    transition(assignment, "accepted", actor=world.tom, now=at(17, 14, 30))
    db.session.commit()
    assert assignment.status == "accepted" and assignment.accepted_at == at(17, 14, 30)
    assert notifications(world.sophia, "assignment_accepted")
    # Day 3: Tom creates the first session; contacts are invited and told on Telegram.
    session = world.session(request, 1, day=20, attendees=[world.john])
    assert session.status == "scheduled" and session.location_type == "online"
    [attendee] = session.attendees
    assert attendee.attendance_status == "invited"
    [message] = messages("session_scheduled")
    assert message.channel == "telegram" and message.status == "pending"
    assert message.related_id == session.id and message.recipient_user_id == world.john.id
    assert "training session" in message.content
    # The bot sends it.
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "delivered" and message.sent_at is not None
    # Day 5: John confirms.
    transition(attendee, "confirmed", actor=world.john, now=at(19, 8))
    db.session.commit()
    assert attendee.attendance_status == "confirmed"
    # Day 20: Tom starts the session: cascade to stage, assignment and request.
    transition(session, "in_progress", actor=world.tom, now=at(20, 10))
    db.session.commit()
    assert session.status == "in_progress" and session.actual_start_time == at(20, 10)
    assert assignment.status == "in_progress"
    assert request.status == "in_progress" and str(request.actual_start_date) == "2024-02-20"
    assert stage(request, 1).status == "in_progress" and stage(request, 1).started_at == at(20, 10)
    assert stage(request, 2).status == "not_started"
    # John joins and is marked attended.
    transition(attendee, "attended", actor=world.tom, now=at(20, 10, 5))
    db.session.commit()
    assert attendee.attendance_status == "attended" and attendee.attended_at == at(20, 10, 5)
    # Tom completes the session with notes: stage 1 completed at 100 %.
    notes = "Covered all initial setup steps. Customer understood basic navigation."
    transition(
        session, "completed", actor=world.tom, context={"completion_notes": notes}, now=at(20, 12)
    )
    db.session.commit()
    assert session.status == "completed" and session.actual_end_time == at(20, 12)
    assert session.completion_notes == notes
    first = stage(request, 1)
    assert first.status == "completed" and first.progress_percentage == Decimal("100.00")
    assert first.completed_at == at(20, 12)
    [completed] = notifications(world.sophia, "session_completed")
    assert completed.message.startswith("The “Initial Setup” session of ")
    assert completed.message.endswith(" for ABC Company is completed.")
    [started, *_] = notifications(world.john, "session_started")
    assert started.message == "Your CRM system session “Initial Setup” has started. Join now."
    assert notifications(world.sophia, "stage_completed")
    # Days 21-30: stages 2 and 3.
    second = world.session(request, 2, day=25)
    run_session(world, second, start=at(25, 10), end=at(25, 12))
    assert stage(request, 2).status == "completed"
    assert assignment.status == "in_progress" and request.status == "in_progress"
    third = services.create_session(
        assignment,
        stage(request, 3),
        starts_at=at(5, 10, month=3),
        ends_at=at(5, 12, month=3),
        location_type="online",
        meeting_link="https://zoom.us/j/9",
        attendee_ids=[world.john.id],
        actor=world.tom,
        now=at(26),
    )
    db.session.commit()
    run_session(world, third, start=at(5, 10, month=3), end=at(5, 12, month=3))
    assert stage(request, 3).status == "completed"
    assert stage(request, 3).progress_percentage == Decimal("100.00")
    assert assignment.status == "completed" and assignment.completed_at == at(5, 12, month=3)
    assert request.status == "completed" and str(request.actual_end_date) == "2024-03-05"
    assert request.progress_percentage == Decimal("100.00")
    assert notifications(world.sophia, "training_completed")
    assert notifications(world.tom, "training_completed")
    assert notifications(world.sophia, "onboarding_completed")
    assert notifications(world.tom, "onboarding_completed")


def test_scenario_2_trainer_rejects(world):
    request, assignment = world.assigned()
    with pytest.raises(ValidationError):
        transition(assignment, "rejected", actor=world.tom)  # a reason is required
    db.session.rollback()
    reason = "Currently overbooked. Can accept after March 1st."
    transition(
        assignment,
        "rejected",
        actor=world.tom,
        context={"rejection_reason": reason},
        now=at(17, 11),
    )
    db.session.commit()
    assert assignment.status == "rejected" and assignment.rejection_reason == reason
    assert request.status == "pending"
    [note] = notifications(world.sophia, "assignment_rejected")
    assert note.title == "Training Assignment Rejected"
    assert note.message.startswith("Tom rejected the ABC Company assignment. Reason: Currently")
    # Sophia assigns another trainer.
    second = services.assign_trainer(request, world.other_trainer, actor=world.sophia)
    db.session.commit()
    assert request.status == "assigned" and request.current_assignment is second


def test_scenario_3_rescheduling(world):
    request, _assignment = world.accepted()
    session = world.session(request, 1, day=20, attendees=[world.john])
    new = services.reschedule_session(
        session,
        starts_at=at(22, 10),
        ends_at=at(22, 12),
        reason="Conflict with another meeting",
        actor=world.tom,
    )
    db.session.commit()
    assert session.status == "rescheduled"
    assert new.status == "scheduled" and new.starts_at == at(22, 10)
    assert new.rescheduled_from_id == session.id
    assert [a.attendance_status for a in new.attendees] == ["invited"]
    assert [a.attendance_status for a in session.attendees] == ["cancelled"]
    [message] = messages("session_rescheduled")
    assert "rescheduled" in message.content and message.related_id == new.id
    assert stage(request, 1).progress_percentage == Decimal("0.00")


def test_scenario_4_no_show_and_makeup(world):
    request, _assignment = world.accepted()
    session = world.session(request, 1, day=20, attendees=[world.john])
    attendee = session.attendees[0]
    transition(attendee, "confirmed", actor=world.john)
    transition(session, "in_progress", actor=world.tom, now=at(20, 10))
    transition(
        attendee, "absent", actor=world.tom, context={"notes": "Did not join."}, now=at(20, 10, 15)
    )
    notes = "Customer did not attend. Will follow up for makeup session."
    transition(
        session, "completed", actor=world.tom, context={"completion_notes": notes}, now=at(20, 12)
    )
    db.session.commit()
    assert attendee.attendance_status == "absent" and attendee.notes == "Did not join."
    assert session.status == "completed" and session.completion_notes == notes
    assert messages("session_missed")[0].recipient_user_id == world.john.id
    makeup = services.create_session(
        request.current_assignment,
        stage(request, 1),
        starts_at=at(23, 10),
        ends_at=at(23, 12),
        location_type="online",
        meeting_link="https://zoom.us/j/7",
        attendee_ids=[world.john.id],
        is_makeup=True,
        actor=world.tom,
    )
    db.session.commit()
    assert makeup.is_makeup and makeup.status == "scheduled"
    # The makeup runs although its stage is completed already.
    run_session(world, makeup, start=at(23, 10), end=at(23, 12))
    assert makeup.status == "completed" and stage(request, 1).status == "completed"


def test_scenario_5_cancelled_by_sales(world):
    request, assignment = world.accepted()
    done = world.session(request, 1, day=20, attendees=[world.john, world.sarah])
    run_session(world, done, start=at(20, 10), end=at(20, 12))
    early = world.session(request, 2, day=22, attendees=[world.john, world.sarah])
    transition(
        early,
        "cancelled",
        actor=world.tom,
        reason="Trainer ill",
        context={"cancellation_reason": "Trainer ill"},
        now=at(21, 9),
    )
    upcoming = world.session(request, 2, day=27, attendees=[world.john, world.sarah])
    transition(upcoming.attendees[0], "confirmed", actor=world.john)
    db.session.commit()
    assert request.status == "in_progress"
    with pytest.raises(Forbidden):
        services.cancel_request(request, reason="budget", actor=world.tom)
    db.session.rollback()
    with pytest.raises(ValidationError):
        services.cancel_request(request, reason="", actor=world.sophia)
    db.session.rollback()
    services.cancel_request(
        request,
        reason="ABC Company decided not to proceed",
        actor=world.sophia,
        now=at(5, 9, month=3),
    )
    db.session.commit()
    assert request.status == "cancelled"
    assert request.cancellation_reason == "ABC Company decided not to proceed"
    assert done.status == "completed"  # past sessions stay as they were
    assert upcoming.status == "cancelled"
    assert {a.attendance_status for a in upcoming.attendees} == {"cancelled"}
    assert assignment.status == "completed"
    assert notifications(world.tom, "training_cancelled")
    told = {m.recipient_user_id for m in messages("training_cancelled")}
    assert told == {world.john.id, world.sarah.id}
    # each message points to the session this called off, not one held or cancelled before
    assert {m.related_id for m in messages("training_cancelled")} == {upcoming.id}
    assert {m.related_id for m in messages("session_cancelled")} == {early.id}


def test_scenario_6_skipping_a_stage(world):
    request, assignment = world.accepted()
    for order, day in ((1, 20), (2, 22)):
        session = world.session(request, order, day=day)
        run_session(world, session, start=at(day, 10), end=at(day, 12))
    notes = "Customer only needs basic CRM features. Advanced features not required."
    transition(stage(request, 3), "skipped", actor=world.tom, context={"notes": notes})
    db.session.commit()
    assert [s.status for s in request.stages] == ["completed", "completed", "skipped"]
    assert stage(request, 3).notes == notes
    assert assignment.status == "completed" and request.status == "completed"


def test_scenario_7_hybrid_session(world):
    request, _assignment = world.accepted()
    with pytest.raises(ValidationError) as refused:
        world.session(request, 1, location_type="hybrid", meeting_link="https://zoom.us/j/1")
    assert "physical_location" in refused.value.details
    db.session.rollback()
    session = world.session(
        request,
        1,
        attendees=[world.john, world.sarah, world.mike],
        location_type="hybrid",
        meeting_link="https://zoom.us/j/123456",
        physical_location="ABC Company Office, Conference Room A",
    )
    assert session.location_type == "hybrid"
    assert session.physical_location == "ABC Company Office, Conference Room A"
    transition(session, "in_progress", actor=world.tom, now=at(20, 10))
    by_name = {a.user.name: a for a in session.attendees}
    for name, status, note in (
        ("John", "attended", "Attended in person"),
        ("Sarah", "attended", "Attended via Zoom"),
        ("Mike", "absent", "Did not attend"),
    ):
        transition(by_name[name], status, actor=world.tom, context={"notes": note})
    db.session.commit()
    assert [(a.user.name, a.attendance_status, a.notes) for a in session.attendees] == [
        ("John", "attended", "Attended in person"),
        ("Sarah", "attended", "Attended via Zoom"),
        ("Mike", "absent", "Did not attend"),
    ]


def test_scenario_8_urgent_priority(world):
    from portal.onboarding.queries import list_requests

    medium = world.new_request(now=at(1))
    low = services.create_request(
        world.org,
        client=world.client,
        program=world.program,
        priority="low",
        actor=world.sophia,
        now=at(2),
    )
    urgent = services.create_request(
        world.org,
        client=world.client,
        program=world.program,
        priority="urgent",
        actor=world.sophia,
        now=at(3),
    )
    high = services.create_request(
        world.org,
        client=world.client,
        program=world.program,
        priority="high",
        actor=world.sophia,
        now=at(4),
    )
    db.session.commit()
    assert urgent.priority == "urgent" and urgent.status == "pending"
    queue = list(db.session.scalars(list_requests(world.sophia)))
    assert [r.id for r in queue] == [urgent.id, high.id, medium.id, low.id]
    services.assign_trainer(urgent, world.tom, actor=world.sophia)
    db.session.commit()
    [note] = notifications(world.tom, "assignment_created")
    assert note.title.startswith("URGENT")


def test_rule_2_stages_in_order_and_no_early_completion(world):
    request, assignment = world.accepted()
    later = world.session(request, 2, day=20)
    # Refused by the items' state, not by the input: 409 invalid_transition in the API.
    with pytest.raises(InvalidTransition) as refused:
        transition(later, "in_progress", actor=world.tom)
    assert refused.value.status == 409 and "earlier stages" in refused.value.message
    db.session.rollback()
    first = world.session(request, 1, day=21)
    transition(first, "in_progress", actor=world.tom)
    db.session.commit()
    from portal.workflow.actors import SYSTEM

    with pytest.raises(InvalidTransition):
        transition(assignment, "completed", actor=SYSTEM)
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        transition(request, "completed", actor=SYSTEM)
    db.session.rollback()
    assert assignment.status == "in_progress" and request.status == "in_progress"


def test_skipping_a_stage_calls_off_its_scheduled_sessions(world):
    request, assignment = world.accepted()
    for order, day in ((1, 20), (2, 22)):
        run_session(
            world, world.session(request, order, day=day), start=at(day, 10), end=at(day, 12)
        )
    planned = world.session(request, 3, day=25, attendees=[world.john])
    transition(stage(request, 3), "skipped", actor=world.tom, context={"notes": "Not needed."})
    db.session.commit()
    # Nothing of the finished training is left open: the session and its invitation end.
    assert planned.status == "cancelled" and planned.cancellation_reason == "Not needed."
    assert [a.attendance_status for a in planned.attendees] == ["cancelled"]
    assert assignment.status == "completed" and request.status == "completed"
    assert {m.related_id for m in messages("session_cancelled")} == {planned.id}
    # ... and it stays closed: the invitation cannot be confirmed, the session not started.
    with pytest.raises(InvalidTransition):
        transition(planned.attendees[0], "confirmed", actor=world.john)
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        transition(planned, "in_progress", actor=world.tom)
    db.session.rollback()


def test_a_stage_is_not_skipped_under_a_running_session(world):
    request, _assignment = world.accepted()
    running = world.session(request, 1, day=20)
    transition(running, "in_progress", actor=world.tom, now=at(20, 10))
    db.session.commit()
    with pytest.raises(InvalidTransition) as refused:
        transition(stage(request, 1), "skipped", actor=world.tom)
    assert refused.value.status == 409 and "in progress" in refused.value.message
    db.session.rollback()
    assert stage(request, 1).status == "in_progress" and running.status == "in_progress"


def test_a_closed_request_keeps_its_stages_and_sessions(world):
    request, assignment = world.accepted()
    for order, day in ((1, 20), (2, 22), (3, 24)):
        run_session(
            world, world.session(request, order, day=day), start=at(day, 10), end=at(day, 12)
        )
    assert request.status == "completed"
    with pytest.raises(InvalidTransition) as refused:
        transition(stage(request, 3), "skipped", actor=world.tom)
    assert refused.value.status == 409
    assert "REQ-2024-001" in refused.value.message and "closed" in refused.value.message
    db.session.rollback()
    assert stage(request, 3).status == "completed" and request.progress_percentage == 100


def test_a_completed_request_calls_off_what_is_still_planned(world):
    """A makeup planned for a completed stage is still ahead when the last stage ends: the
    request completes, and the makeup with its invitation is called off (nothing is left
    open that nobody could answer); a trainer may still cancel a planned session by hand."""
    request, assignment = world.accepted()
    run_session(world, world.session(request, 1, day=20), start=at(20, 10), end=at(20, 12))
    makeup = world.session(request, 1, day=27, attendees=[world.john], is_makeup=True)
    for order, day in ((2, 22), (3, 24)):
        run_session(
            world, world.session(request, order, day=day), start=at(day, 10), end=at(day, 12)
        )
    assert request.status == "completed" and assignment.status == "completed"
    assert makeup.status == "cancelled"
    assert [a.attendance_status for a in makeup.attendees] == ["cancelled"]
    assert makeup.id in {m.related_id for m in messages("session_cancelled")}


def test_a_session_finished_after_a_cancellation_moves_nothing_else(world):
    request, _assignment = world.accepted()
    running = world.session(request, 1, day=20)
    transition(running, "in_progress", actor=world.tom, now=at(20, 10))
    db.session.commit()
    transition(request, "cancelled", actor=world.sophia, reason="Budget cut")
    db.session.commit()
    transition(running, "completed", actor=world.tom, now=at(20, 12))
    db.session.commit()
    assert running.status == "completed" and stage(request, 1).status == "in_progress"
    assert notifications(world.sophia, "stage_completed") == []
    # ... and nothing new is planned on it.
    with pytest.raises(Conflict) as refused:
        world.session(request, 2, day=22)
    assert "REQ-2024-001" in refused.value.message and "closed" in refused.value.message
    db.session.rollback()


def test_a_withdrawn_invitation_hears_nothing_more(world):
    request, _assignment = world.accepted()
    session = world.session(request, 1, day=20, attendees=[world.john, world.sarah])
    sarah = next(a for a in session.attendees if a.user_id == world.sarah.id)
    transition(sarah, "cancelled", actor=world.tom)
    db.session.commit()
    transition(session, "cancelled", actor=world.tom, reason="Trainer ill")
    db.session.commit()
    told = {m.recipient_user_id for m in messages("session_cancelled")}
    assert told == {world.john.id}
    assert notifications(world.sarah, "session_cancelled") == []


def test_attendance_follows_the_session(world):
    request, _assignment = world.accepted()
    session = world.session(request, 1, day=20, attendees=[world.john, world.sarah])
    john, sarah = sorted(session.attendees, key=lambda a: a.user.name)
    # Before the session starts: answered, not taken.
    for status in ("attended", "absent"):
        with pytest.raises(InvalidTransition) as refused:
            transition(john, status, actor=world.tom)
        assert "once the session has started" in refused.value.message
        db.session.rollback()
    transition(john, "confirmed", actor=world.john)
    db.session.commit()
    transition(session, "in_progress", actor=world.tom, now=at(20, 10))
    transition(session, "completed", actor=world.tom, now=at(20, 12))
    db.session.commit()
    # After it: taken (late marking is allowed), no longer answered or withdrawn.
    with pytest.raises(InvalidTransition):
        transition(sarah, "confirmed", actor=world.sarah)
    db.session.rollback()
    with pytest.raises(InvalidTransition):
        transition(sarah, "cancelled", actor=world.tom)
    db.session.rollback()
    transition(john, "attended", actor=world.tom)
    transition(sarah, "absent", actor=world.tom)
    db.session.commit()
    assert (john.attendance_status, sarah.attendance_status) == ("attended", "absent")


def test_rule_5_progress_is_completed_over_total(world):
    request, _assignment = world.accepted()
    one = world.session(request, 1, day=20)
    world.session(request, 1, day=21)
    run_session(world, one, start=at(20, 10), end=at(20, 12))
    assert stage(request, 1).progress_percentage == Decimal("50.00")
    assert stage(request, 1).status == "in_progress"
    assert request.progress_percentage == Decimal("16.67")


def test_permission_table(world):
    request, assignment = world.accepted()
    session = world.session(request, 1)
    with pytest.raises(Forbidden):
        services.set_priority(request, "urgent", actor=world.tom)
    with pytest.raises(Forbidden):
        transition(session, "in_progress", actor=world.sophia)
    with pytest.raises(Forbidden):
        transition(stage(request, 1), "skipped", actor=world.sophia)
    with pytest.raises(Forbidden):
        transition(session.attendees[0], "attended", actor=world.john)
    with pytest.raises(Forbidden):
        transition(request, "cancelled", actor=world.tom, reason="no")
    with pytest.raises(NotFound):  # another trainer does not even see Tom's session
        transition(session, "in_progress", actor=world.other_trainer)
    transition(session.attendees[0], "confirmed", actor=world.john)
    with pytest.raises(InvalidTransition):
        transition(session.attendees[0], "confirmed", actor=world.john)
    db.session.rollback()
    services.set_priority(request, "high", actor=world.sophia)
    assert request.priority == "high"


def test_contact_without_chat_id_gets_failed_message(world, run_jobs):
    request, _assignment = world.accepted()
    world.session(request, 1, attendees=[world.mike])
    run_jobs()
    [message] = messages("session_scheduled")
    assert message.status == "failed" and "Invalid telegram_chat_id" in message.error_message


def test_message_in_the_contacts_language(world):
    request, _assignment = world.accepted()
    world.session(request, 1, attendees=[world.sarah])
    [message] = messages("session_scheduled")
    assert message.locale == "fr"


def test_a_request_taken_back_by_another_coordinator_is_told_to_its_creator(world):
    request, assignment = world.assigned()
    colleague = make_user(world.org, "coordinator", name="Léa")
    transition(request, "pending", actor=colleague, reason="Tom is ill", now=at(17, 10))
    db.session.commit()
    assert (request.status, assignment.status) == ("pending", "rejected")
    [to_tom] = notifications(world.tom, "assignment_withdrawn")
    assert to_tom.message.endswith("was taken back. Reason: Tom is ill")
    [to_sophia] = notifications(world.sophia, "assignment_withdrawn")
    assert to_sophia.message == (
        f"{request.request_code} for ABC Company was taken back from Tom. Reason: Tom is ill"
    )
    assert notifications(colleague, "assignment_withdrawn") == []  # who did it knows
    assert notifications(world.sophia, "assignment_rejected") == []
