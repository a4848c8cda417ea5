"""Every change knows where it came from: a page, the API, a webhook, a rule or the system; the
changes it causes (cascades in its transaction, handlers after its commit) inherit its origin
and name it as their cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.onboarding.models import SessionAttendee
from portal.webhooks.models import WebhookDelivery
from portal.workflow import events, origin
from portal.workflow.models import StatusChange


def _changes(entity_type: str, entity_id) -> list[StatusChange]:
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity_type == entity_type, StatusChange.entity_id == entity_id)
            .order_by(StatusChange.id)
        )
    )


@pytest.fixture
def after_commit_seen():
    seen: list[dict] = []

    def handler(event) -> None:
        seen.append(
            {
                "origin": event.origin,
                "cause_id": event.cause_id,
                "change_id": event.change_id,
                "running_as": origin.current(),
            }
        )

    events.on("attendee_confirmed", phase="after_commit")(handler)
    yield seen
    events.off("attendee_confirmed", handler, phase="after_commit")


def test_a_webhook_change_passes_its_origin_through_a_cascade_to_after_commit_work(
    world, telegram_webhook, after_commit_seen, run_jobs
):
    request, _assignment = world.accepted()
    future = datetime(2030, 2, 20, 9, tzinfo=UTC)
    session = world.session(
        request, 1, attendees=[world.john], starts_at=future, ends_at=future + timedelta(hours=2)
    )
    attendee_id = session.attendees[0].id
    db.session.commit()

    assert telegram_webhook(9101, world.john.telegram_chat_id, "yes").status_code == 200

    db.session.expire_all()
    [_created, confirmed] = _changes("attendee", attendee_id)
    assert confirmed.new_status == "confirmed"
    assert confirmed.origin == "webhook:telegram"
    # The delivery's arrival, kept by the webhook intake, starts the chain.
    delivery = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.delivery_id == "9101")
    )
    [arrived, processed] = _changes("webhook_delivery", delivery.id)
    assert (arrived.new_status, processed.new_status) == ("received", "processed")
    assert confirmed.cause_id == arrived.id == arrived.cause_id
    # The reply it caused, written in the same transaction, is in the same chain.
    reply = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.message_type == "attendance_confirmed")
    )
    [reply_created] = _changes("message", reply.id)[:1]
    assert (reply_created.origin, reply_created.cause_id) == ("webhook:telegram", arrived.id)

    run_jobs()  # the after-commit handler runs in a worker, with the event's origin and cause
    assert len(after_commit_seen) == 1
    seen = after_commit_seen[0]
    assert seen["origin"] == "webhook:telegram"
    assert seen["change_id"] == str(confirmed.id) and seen["cause_id"] == str(arrived.id)
    assert seen["running_as"] == origin.Cause("webhook:telegram", arrived.id)
    # The reply's delivery, made by the worker on its own, starts its own chain.
    [_first, sent, *_rest] = _changes("message", reply.id)
    assert sent.origin == "system" and sent.cause_id == sent.id


def test_pages_and_the_api_name_themselves(world, login_as, api):
    request, assignment = world.assigned()
    db.session.commit()
    tom_api = api(world.tom)
    answer = tom_api.put(f"/assignments/{assignment.id}/status", json={"new_status": "accepted"})
    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    accepted = _changes("assignment", assignment.id)[-1]
    assert accepted.origin == "api"
    # The request's move to in progress or any cascade shares the acceptance as its cause.
    cascaded = [c for c in _changes("onboarding_request", request.id) if c.cause_id == accepted.id]
    assert all(c.origin == "api" for c in cascaded)

    history = tom_api.get(f"/assignments/{assignment.id}/status-history").get_json()
    last = history["status_changes"][-1]
    assert (last["origin"], last["cause_id"]) == ("api", str(accepted.id))


def test_a_service_called_by_the_system_is_system(world):
    request = world.new_request()
    db.session.commit()
    [created] = _changes("onboarding_request", request.id)
    assert (created.origin, created.cause_id) == ("system", created.id)
    stages = db.session.scalars(
        select(StatusChange).where(StatusChange.entity_type == "stage_progress")
    ).all()
    assert stages and all(s.cause_id == s.id for s in stages)


def test_creation_publishes_a_created_event_with_its_first_history_row(world):
    seen = []

    def handler(event, entity) -> None:
        seen.append((event.name, event.old_status, event.new_status, entity))

    events.on("attendee_created")(handler)
    try:
        request, _ = world.accepted()
        session = world.session(request, 1, attendees=[world.john, world.sarah])
    finally:
        events.off("attendee_created", handler)
    attendees = db.session.scalars(
        select(SessionAttendee).where(SessionAttendee.session_id == session.id)
    ).all()
    assert sorted(id(a) for *_, a in seen) == sorted(id(a) for a in attendees)
    assert {(name, old, new) for name, old, new, _ in seen} == {
        ("attendee_created", None, "invited")
    }
    for attendee in attendees:
        [first] = _changes("attendee", attendee.id)
        assert (first.old_status, first.new_status) == (None, "invited")


def test_the_timeline_shows_where_a_change_came_from(world, login_as, telegram_webhook):
    request, _assignment = world.accepted()
    future = datetime(2030, 2, 20, 9, tzinfo=UTC)
    session = world.session(
        request, 1, attendees=[world.john], starts_at=future, ends_at=future + timedelta(hours=2)
    )
    attendee_id = session.attendees[0].id
    db.session.commit()
    telegram_webhook(9102, world.john.telegram_chat_id, "oui")
    admin = login_as("admin")
    page = admin.get(f"/admin/history/attendee/{attendee_id}")
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    assert "by a webhook (telegram)" in text
