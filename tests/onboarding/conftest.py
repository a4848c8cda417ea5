"""The seed's world: ABC Company, Sophia (sales), Tom (trainer), John, Sarah and Mike
(customer contacts), and a CRM program with three stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from portal.accounts import services as accounts
from portal.extensions import db
from portal.onboarding import services
from tests.factories import PASSWORD, make_user


def at(day: int, hour: int = 9, minute: int = 0, month: int = 2) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    org: object
    admin: object
    sophia: object
    tom: object
    other_trainer: object
    client: object
    program: object
    john: object
    sarah: object
    mike: object

    def new_request(self, priority="medium", now=None):
        request = services.create_request(
            self.org,
            client=self.client,
            program=self.program,
            priority=priority,
            actor=self.sophia,
            now=now or at(16),
        )
        db.session.commit()
        return request

    def assigned(self, request=None, trainer=None, now=None):
        request = request or self.new_request()
        assignment = services.assign_trainer(
            request, trainer or self.tom, actor=self.sophia, now=now or at(17, 9)
        )
        db.session.commit()
        return request, assignment

    def accepted(self, now=None):
        from portal.workflow.engine import transition

        request, assignment = self.assigned()
        transition(assignment, "accepted", actor=self.tom, now=now or at(17, 14, 30))
        db.session.commit()
        return request, assignment

    def session(self, request, stage_order=1, day=20, attendees=None, **extra):
        stage = next(s for s in request.stages if s.order == stage_order)
        values = {
            "starts_at": at(day, 10),
            "ends_at": at(day, 12),
            "location_type": "online",
            "meeting_link": "https://zoom.us/j/123456",
        }
        values.update(extra)
        session = services.create_session(
            request.current_assignment,
            stage,
            attendee_ids=[u.id for u in (attendees or [self.john])],
            actor=self.tom,
            now=at(17, 15),
            **values,
        )
        db.session.commit()
        return session


@pytest.fixture
def world(org):
    admin = make_user(org, "admin", name="Claire Admin")
    sophia = make_user(org, "coordinator", name="Sophia", email="sophia@coms.example")
    tom = make_user(org, "trainer", name="Tom", email="tom@coms.example")
    other_trainer = make_user(org, "trainer", name="Ayşe", email="ayse@coms.example")
    program = services.create_program(
        org,
        name="CRM system",
        actor=admin,
        stages=[
            {"name": "Initial Setup", "order": 1},
            {"name": "Basic Features", "order": 2},
            {"name": "Advanced Features", "order": 3},
        ],
    )
    client = services.create_client(
        org,
        name="ABC Company",
        actor=sophia,
        contacts=[
            {"name": "John", "email": "john@abc.example", "telegram_chat_id": "1001"},
            {
                "name": "Sarah",
                "email": "sarah@abc.example",
                "telegram_chat_id": "1002",
                "locale": "fr",
            },
            {"name": "Mike", "email": "mike@abc.example"},
        ],
    )
    john, sarah, mike = (c.user for c in client.contacts)
    for contact in (john, sarah, mike):  # as if they had used their invitation link
        accounts.set_password(contact, PASSWORD)
    db.session.commit()
    return World(org, admin, sophia, tom, other_trainer, client, program, john, sarah, mike)


SECRET = "telegram-secret"


@pytest.fixture
def telegram_webhook(app, monkeypatch, client):
    monkeypatch.setitem(app.config, "TELEGRAM_WEBHOOK_SECRET", SECRET)

    def post(update_id: int, chat_id: str, text: str, secret: str = SECRET):
        return client.post(
            "/api/v1/webhooks/telegram",
            json={
                "update_id": update_id,
                "message": {"message_id": 1, "chat": {"id": int(chat_id)}, "text": text},
            },
            headers={"X-Telegram-Bot-Api-Secret-Token": secret},
        )

    return post
