"""Two people change the same items at the same moment: one wins, the other gets a 409 and
nothing is written twice. Transactions really overlap only on PostgreSQL (CI's second run);
the embedded SQLite database runs writing transactions one after the other, so the pages'
and the webhook's answers to a lost race are also checked by losing it on purpose."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from portal.accounts.models import User
from portal.core.errors import InvalidTransition, is_lost_race
from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.onboarding import services
from portal.onboarding.models import (
    OnboardingRequest,
    SessionAttendee,
    TrainingAssignment,
    TrainingSession,
)
from portal.workflow.engine import transition
from portal.workflow.models import StatusChange
from tests.concurrency import run_together
from tests.onboarding.conftest import at


@pytest.fixture
def overlapping(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writing transactions (BEGIN IMMEDIATE)")


def test_two_acceptances_at_once_one_wins(app, world, overlapping):
    _, assignment = world.assigned()
    ids = (assignment.id, world.tom.id)
    db.session.commit()

    def accept(ready) -> None:
        item = db.session.get(TrainingAssignment, ids[0])
        tom = db.session.get(User, ids[1])
        assert item.status == "assigned"
        ready()  # each has checked "assigned" before either writes
        transition(item, "accepted", actor=tom)

    outcomes = run_together(app, accept, accept)
    assert outcomes.count(None) == 1, outcomes
    [refused] = [o for o in outcomes if o is not None]
    assert isinstance(refused, InvalidTransition) and refused.status == 409
    accepted = db.session.scalars(
        select(StatusChange).where(
            StatusChange.entity_id == ids[0], StatusChange.new_status == "accepted"
        )
    ).all()
    assert len(accepted) == 1


def test_session_start_and_request_cancel_at_once_leave_one_story(app, world, overlapping):
    """The trainer's start moves the session, then (Rule 1) the request; the coordinator's
    cancellation moves the request, then (Rule 3) the session: opposite orders, so PostgreSQL
    may end one of them as a deadlock. Either way one wins and nothing is half done."""
    request, _ = world.accepted()
    session = world.session(request, 1, attendees=[world.john])
    ids = (session.id, request.id, world.tom.id, world.sophia.id)
    db.session.commit()

    def start(ready) -> None:
        item, actor = db.session.get(TrainingSession, ids[0]), db.session.get(User, ids[2])
        ready()
        transition(item, "in_progress", actor=actor, now=at(20, 10))

    def cancel(ready) -> None:
        item, actor = db.session.get(OnboardingRequest, ids[1]), db.session.get(User, ids[3])
        ready()
        services.cancel_request(item, reason="budget", actor=actor, now=at(20, 10))

    outcomes = dict(zip(("start", "cancel"), run_together(app, start, cancel), strict=True))
    winners = [name for name, outcome in outcomes.items() if outcome is None]
    assert len(winners) == 1, outcomes
    [loser] = [o for o in outcomes.values() if o is not None]
    assert isinstance(loser, InvalidTransition) or is_lost_race(loser), loser
    db.session.expire_all()
    request = db.session.get(OnboardingRequest, ids[1])
    session = db.session.get(TrainingSession, ids[0])
    if winners == ["start"]:
        assert (session.status, request.status) == ("in_progress", "in_progress")
    else:
        assert (session.status, request.status) == ("cancelled", "cancelled")


def _deadlock(*_args, **_kwargs):
    raise OperationalError("UPDATE …", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


def test_a_lost_race_is_a_translated_409_in_the_api(app, world, monkeypatch, api):
    _, assignment = world.assigned()
    trainer = api(world.tom)
    monkeypatch.setattr("portal.workflow.api.transition", _deadlock)
    answer = trainer.put(
        f"/assignments/{assignment.id}/status",
        json={"new_status": "accepted"},
        headers={"Accept-Language": "fr"},
    )
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_transition" and "entre-temps" in error["message"]


def _attendance_link(world, **when) -> tuple[str, object]:
    request, _ = world.accepted()
    session = world.session(request, 1, attendees=[world.john], **when)
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.message_type == "session_scheduled")
    )
    path = re.search(r"http://localhost(/onboarding/attendance/\S+)", message.content).group(1)
    return path, session.attendees[0].id


def _confirmed_by_someone_else_first(monkeypatch, module: str, *, commit: bool = True):
    """The transition finds the invitation already confirmed by a transaction that committed
    a moment before: the same "yes" sent twice, or the confirm button pressed twice. (Inside
    a webhook delivery's processing, which runs in a savepoint, the row is changed without a
    commit: what the transition reads is the same.)"""
    from portal.workflow import engine

    def late(attendee, *args, **kwargs):
        db.session.execute(
            update(SessionAttendee)
            .where(SessionAttendee.id == attendee.id)
            .values(attendance_status="confirmed")
        )
        if commit:
            db.session.commit()
        return engine.transition(attendee, *args, **kwargs)

    monkeypatch.setattr(f"{module}.transition", late)


def test_link_confirmed_meanwhile_still_shows_the_confirmation(app, world, client, monkeypatch):
    path, attendee_id = _attendance_link(world)
    _confirmed_by_someone_else_first(monkeypatch, "portal.onboarding.views")
    done = client.post_form(path)
    assert done.status_code == 200
    assert "your attendance is confirmed" in done.get_data(as_text=True)
    assert db.session.get(SessionAttendee, attendee_id).attendance_status == "confirmed"


def test_link_that_loses_a_deadlock_says_so(app, world, client, monkeypatch):
    path, _ = _attendance_link(world)
    monkeypatch.setattr("portal.onboarding.views.transition", _deadlock)
    page = client.post_form(path)
    assert page.status_code == 409
    assert "Someone else changed this at the same moment." in page.get_data(as_text=True)


def test_second_yes_at_once_gets_nothing_to_confirm(app, world, monkeypatch, telegram_webhook):
    future = datetime(2030, 2, 20, 9, tzinfo=UTC)  # replies confirm upcoming sessions only
    _, attendee_id = _attendance_link(world, starts_at=future, ends_at=future + timedelta(hours=2))
    _confirmed_by_someone_else_first(monkeypatch, "portal.onboarding.replies", commit=False)
    answer = telegram_webhook(7001, world.john.telegram_chat_id, "yes")
    assert answer.status_code == 200
    assert db.session.get(SessionAttendee, attendee_id).attendance_status == "confirmed"
    answers = db.session.scalars(
        select(OutboundMessage.message_type).where(OutboundMessage.channel == "telegram")
    ).all()
    assert "attendance_nothing_to_confirm" in answers
