"""Customer contacts answer the session invitation on Telegram: "yes" (also "oui", "evet")
confirms their next invitation."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.accounts.models import User
from portal.core.errors import InvalidTransition
from portal.extensions import db
from portal.messaging import inbound
from portal.messaging.services import queue_message
from portal.onboarding.models import SessionAttendee, TrainingSession
from portal.workflow.engine import transition

YES = {"yes", "y", "yep", "oui", "o", "evet", "e"}


def is_yes(text: str) -> bool:
    words = re.sub(r"[^\w]+", " ", text.casefold()).split()
    return len(words) == 1 and words[0] in YES


@inbound.handler("onboarding.confirm_attendance")
def confirm_by_reply(message: inbound.Inbound) -> bool:
    if message.channel != "telegram" or not is_yes(message.text):
        return False
    # One chat is one person's (a unique constraint; linked by the bot, never typed): the
    # answer is theirs alone, whatever other people's invitations are waiting.
    person = db.session.scalar(
        select(User).where(User.telegram_chat_id == message.sender, User.is_active)
    )
    if person is None:
        return False
    attendee = db.session.scalar(
        select(SessionAttendee)
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .where(
            SessionAttendee.user_id == person.id,
            SessionAttendee.attendance_status == "invited",
            TrainingSession.status == "scheduled",
            TrainingSession.ends_at >= message.received_at,
        )
        .order_by(TrainingSession.starts_at)
    )
    if attendee is not None:
        try:
            transition(
                attendee,
                "confirmed",
                actor=attendee.user,
                reason="Telegram",
                now=message.received_at,
            )
        except InvalidTransition:  # the same "yes" confirmed it a moment ago
            attendee = None
    if attendee is None:
        queue_message(
            channel="telegram",
            message_type="attendance_nothing_to_confirm",
            recipient=person,
            now=message.received_at,
        )
        return True
    queue_message(
        channel="telegram",
        message_type="attendance_confirmed",
        recipient=attendee.user,
        context={"session": attendee.session},
        related=attendee.session,
        related_type="training_sessions",
        now=message.received_at,
    )
    return True
