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


def test_unknown_chat_is_recorded_and_ignored(world, telegram_webhook):
    from portal.messaging.models import InboundUpdate

    assert telegram_webhook(9, "999999", "yes").status_code == 200
    row = db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "9"))
    assert row.handled_by is None and row.text == "yes"


def test_nul_character_in_an_update_is_dropped_not_a_server_error(world, telegram_webhook):
    from portal.messaging.models import InboundUpdate

    response = telegram_webhook(8, world.john.telegram_chat_id, "ye\x00s")
    assert response.status_code == 200
    row = db.session.scalar(select(InboundUpdate).where(InboundUpdate.external_id == "8"))
    assert row.text == "yes"
