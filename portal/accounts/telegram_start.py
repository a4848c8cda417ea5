"""The bot's /start. With the one-time token of a profile's "Connect Telegram" link, it links the
chat the command came from to that person; without one, it says how to. Every answer goes to
the chat through the outbox, in the language of the chat's person (or of the person whose link
it was, while the chat is nobody's)."""

from __future__ import annotations

import re

from portal.accounts import telegram_links
from portal.messaging import inbound
from portal.messaging.services import queue_message

# "/start", "/start <token>", and "/start@<bot> <token>" as group chats send it.
START = re.compile(r"/start(?:@\w+)?(?:\s+(?P<token>.*))?", re.DOTALL | re.IGNORECASE)

ANSWERS = {
    telegram_links.LINKED: "telegram_linked",
    telegram_links.INVALID: "telegram_link_invalid",
    telegram_links.TAKEN: "telegram_link_taken",
}


@inbound.handler("accounts.telegram_start")
def start(message: inbound.Inbound) -> bool:
    if message.channel != "telegram":
        return False
    match = START.fullmatch(message.text)
    if match is None:
        return False
    token = (match.group("token") or "").strip()
    owner = telegram_links.chat_owner(message.sender)
    if not token:
        _answer("telegram_start", message, owner=owner)
        return True
    outcome, person = telegram_links.link_chat(token, message.sender, now=message.received_at)
    if outcome == telegram_links.LINKED:
        owner = person
    _answer(ANSWERS[outcome], message, owner=owner, person=person)
    return True


def _answer(message_type: str, message: inbound.Inbound, *, owner, person=None) -> None:
    speaker = owner or person
    queue_message(
        channel="telegram",
        message_type=message_type,
        recipient=owner,
        address=message.sender,
        organisation_id=getattr(speaker, "organisation_id", None),
        locale=getattr(speaker, "locale", None),
        timezone=getattr(speaker, "timezone", None),
        now=message.received_at,
    )
