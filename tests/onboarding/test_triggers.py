"""The seed's notification-trigger table is data: each of its rows is a row of the product's
trigger table, and an organisation's preferences turn a channel off for one kind of change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.notifications import triggers
from portal.notifications.models import Notification
from portal.workflow.engine import transition

# The seed's table, as written there: change → recipients → notification type.
SEED = [
    (
        "onboarding_request: pending → assigned",
        "onboarding_request_assigned",
        {"trainer"},
        "assignment_created",
    ),
    (
        "training_assignment: assigned → rejected",
        "assignment_rejected",
        {"sales"},
        "assignment_rejected",
    ),
    (
        "training_assignment: assigned → accepted",
        "assignment_accepted",
        {"sales"},
        "assignment_accepted",
    ),
    (
        "training_session created (scheduled)",
        "training_session_created",
        {"invited_contacts"},
        "session_scheduled",
    ),
    (
        "training_session: scheduled → in_progress",
        "training_session_in_progress",
        {"expected_contacts"},
        "session_started",
    ),
    (
        "training_session: scheduled → rescheduled",
        "training_session_created",
        {"invited_contacts"},
        "session_rescheduled",
    ),
    (
        "training_session: * → cancelled",
        "training_session_cancelled",
        {"contacts_called_off"},
        "session_cancelled",
    ),
    (
        "training_session: in_progress → completed",
        "training_session_completed",
        {"sales"},
        "session_completed",
    ),
    ("stage_progress: * → completed", "stage_progress_completed", {"sales"}, "stage_completed"),
    (
        "training_assignment: * → completed",
        "assignment_completed",
        {"sales", "trainer"},
        "training_completed",
    ),
    (
        "onboarding_request: * → completed",
        "onboarding_request_completed",
        {"sales", "trainer"},
        "onboarding_completed",
    ),
]


@pytest.mark.parametrize(("change", "event", "audiences", "kind"), SEED, ids=[r[0] for r in SEED])
def test_each_row_of_the_seed_is_a_trigger(change, event, audiences, kind):
    rows = [r for r in triggers.rows() if r.event == event and r.type == kind]
    assert {r.audience for r in rows} == audiences, change
    contacts = any("contacts" in a for a in audiences)
    for row in rows:
        assert row.channels == (("in_app", "telegram") if contacts else ("in_app",))


def _told(kind: str) -> tuple[list, list]:
    notifications = db.session.scalars(select(Notification).where(Notification.type == kind)).all()
    messages = db.session.scalars(
        select(OutboundMessage).where(OutboundMessage.message_type == kind)
    ).all()
    return notifications, messages


def test_the_seeds_triggers_tell_who_they_say(world):
    request, assignment = world.accepted()
    [accepted], [] = _told("assignment_accepted")
    assert accepted.user_id == world.sophia.id and "Tom accepted" in accepted.message
    future = datetime(2030, 2, 20, 9, tzinfo=UTC)
    session = world.session(
        request,
        1,
        attendees=[world.john, world.sarah],
        starts_at=future,
        ends_at=future + timedelta(hours=2),
    )
    notifications, messages = _told("session_scheduled")
    assert {n.user_id for n in notifications} == {world.john.id, world.sarah.id}
    assert {m.recipient_user_id for m in messages} == {world.john.id, world.sarah.id}
    assert all(m.related_id == session.id for m in messages)


def test_a_channel_turned_off_for_a_kind_of_change_is_not_used(world):
    triggers.set_preference(
        world.org.id,
        machine="training_session",
        status="scheduled",
        channel="telegram",
        active=False,
    )
    request, _assignment = world.accepted()
    world.session(request, 1, attendees=[world.john])
    notifications, messages = _told("session_scheduled")
    assert [n.user_id for n in notifications] == [world.john.id] and messages == []
    # In-app off for any status of assignments: Sophia hears nothing of the next acceptance.
    triggers.set_preference(
        world.org.id, machine="assignment", status="*", channel="in_app", active=False
    )
    other = world.new_request()
    from portal.onboarding import services

    fresh = services.assign_trainer(other, world.tom, actor=world.sophia)
    transition(fresh, "accepted", actor=world.tom)
    assert len(_told("assignment_accepted")[0]) == 1  # only the first acceptance's
    # Turned on again, it is used again.
    triggers.set_preference(
        world.org.id,
        machine="training_session",
        status="scheduled",
        channel="telegram",
        active=True,
    )
    world.session(request, 2, attendees=[world.john])
    assert len(_told("session_scheduled")[1]) == 1
