"""Contacts confirm by replying "yes" (or "oui", "evet") to the bot; updates are verified and
a replayed update changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.onboarding.replies import is_yes
from tests.onboarding.conftest import SECRET


@pytest.mark.parametrize("text", ["yes", "Yes!", "oui", "OUI.", "evet", "Evet", " EVET "])
def test_yes_in_three_languages(text):
    assert is_yes(text)


@pytest.mark.parametrize("text", ["no", "yes please move it", "", "evet ama"])
def test_other_answers_are_not_yes(text):
    assert not is_yes(text)


def test_reply_yes_confirms_the_next_invitation(world, telegram_webhook):
    request, _assignment = world.accepted()
    future = datetime(2030, 2, 20, 9, tzinfo=UTC)
    first = world.session(
        request, 1, attendees=[world.john], starts_at=future, ends_at=future + timedelta(hours=2)
    )
    second = world.session(
        request,
        2,
        attendees=[world.john],
        starts_at=future + timedelta(7),
        ends_at=future + timedelta(days=7, hours=2),
    )
    response = telegram_webhook(5001, world.john.telegram_chat_id, "Yes")
    assert response.status_code == 200
    db.session.expire_all()
    assert first.attendees[0].attendance_status == "confirmed"
    assert second.attendees[0].attendance_status == "invited"
    reply = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.message_type == "attendance_confirmed")
    )
    assert reply.recipient_user_id == world.john.id
    # The same update again (Telegram retries): nothing changes.
    assert telegram_webhook(5001, world.john.telegram_chat_id, "Yes").status_code == 200
    db.session.expire_all()
    assert second.attendees[0].attendance_status == "invited"
    # A new "evet" confirms the next one.
    telegram_webhook(5002, world.john.telegram_chat_id, "evet")
    db.session.expire_all()
    assert second.attendees[0].attendance_status == "confirmed"


def test_wrong_secret_and_bad_bodies(world, telegram_webhook, client):
    assert telegram_webhook(1, "1001", "yes", secret="nope").status_code == 401
    bad = client.post(
        "/api/v1/webhooks/telegram",
        data="not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400


def test_yes_with_nothing_to_confirm_gets_an_answer(world, telegram_webhook):
    telegram_webhook(7, world.john.telegram_chat_id, "oui")
    reply = db.session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.message_type == "attendance_nothing_to_confirm"
        )
    )
    assert reply is not None and reply.recipient_user_id == world.john.id


def test_unknown_chat_waits_in_review_until_someone_uses_it(world, telegram_webhook):
    from portal.messaging.models import InboundUpdate
    from portal.webhooks import intake
    from portal.webhooks.models import WebhookDelivery

    assert telegram_webhook(9, "999999", "yes").status_code == 200
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == "9"))
    assert (delivery.source, delivery.state) == ("telegram", "review")
    assert intake.reason_text(delivery) == "No one in Parcours uses this Telegram chat (999999)."
    assert db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "9")) is None
    # Once the chat is someone's, processing it again hands the reply to the handlers.
    world.mike.telegram_chat_id = "999999"
    intake.process_again(delivery, actor=world.admin)
    db.session.commit()
    assert delivery.state == "processed" and delivery.organisation_id == world.org.id
    row = db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "9"))
    assert row.text == "yes"


def test_nul_character_in_an_update_is_dropped_not_a_server_error(world, telegram_webhook):
    from portal.messaging.models import InboundUpdate

    response = telegram_webhook(8, world.john.telegram_chat_id, "ye\x00s")
    assert response.status_code == 200
    row = db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "8"))
    assert row.text == "yes"


def test_malformed_updates_are_refused_not_a_server_error(world, telegram_webhook, client):
    """What the Bot API never sends (a message that is not an object, a chat that is not one,
    ids that are not integers, JSON nested without end) is a 400, and nothing is recorded."""
    from portal.messaging.models import InboundUpdate

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    bodies = [
        {"update_id": 11, "message": "hi"},
        {"update_id": 12, "edited_message": [1]},
        {"update_id": 13, "message": {"chat": "x", "text": "yes"}},
        {"update_id": 14, "message": {"chat": {"id": "1" * 200}, "text": "yes"}},
        {"update_id": 15, "message": {"chat": {"id": True}, "text": "yes"}},
        {"update_id": 10**200, "message": {"chat": {"id": 1}, "text": "yes"}},
        {"update_id": "16"},
    ]
    for body in bodies:
        response = client.post("/api/v1/webhooks/telegram", json=body, headers=headers)
        assert response.status_code == 400, body
    for raw in ("[" * 100_000, '{"update_id": 17, "message": {"chat": {"id": NaN}}}'):
        response = client.post("/api/v1/webhooks/telegram", data=raw, headers=headers)
        assert response.status_code == 400, raw[:40]
    assert db.session.scalar(select(InboundUpdate.id)) is None


def test_unpaired_surrogates_in_an_update_are_replaced_not_a_server_error(
    world, telegram_webhook, client
):
    from portal.messaging.models import InboundUpdate

    chat = int(world.john.telegram_chat_id)
    raw = f'{{"update_id": 18, "message": {{"chat": {{"id": {chat}}}, "text": "ye\\ud800s"}}}}'
    response = client.post(
        "/api/v1/webhooks/telegram",
        data=raw,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    row = db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "18"))
    assert row.text == "ye\ufffds"
