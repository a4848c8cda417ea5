"""What Telegram and Twilio deliveries do once the webhook intake has verified and stored them:
a Telegram update is a chat message offered to the modules' handlers; a Twilio status callback
is the outcome of a WhatsApp or SMS message we sent."""

from __future__ import annotations

from urllib.parse import parse_qs

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.api.endpoints import load_json
from portal.extensions import db
from portal.messaging import inbound, services
from portal.webhooks.intake import Unmatched, processor
from portal.webhooks.models import WebhookDelivery


def telegram_update(body: bytes) -> tuple[str, str | None, str | None] | None:
    """The update id, chat id and text of a Telegram update (the Bot API's Update object:
    integer ids, a message or edited_message object with a chat object); None if the body is
    not one. Updates that are not messages (a button press, a poll) have no chat and no text."""
    try:
        update = load_json(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(update, dict) or not _is_telegram_id(update.get("update_id")):
        return None
    message = update.get("message") or update.get("edited_message") or {}
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    if not isinstance(chat, dict):
        return None
    chat_id, text = chat.get("id"), message.get("text")
    if chat_id is not None and not _is_telegram_id(chat_id):
        return None
    return (
        str(update["update_id"]),
        None if chat_id is None else str(chat_id),
        text if isinstance(text, str) else None,
    )


def _is_telegram_id(value) -> bool:
    """Telegram's ids are integers of at most 52 bits; booleans are not ids."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53


@processor(
    "telegram",
    reasons={"unknown_chat": _l("No one in Parcours uses this Telegram chat (%(chat)s).")},
)
def process_telegram(delivery: WebhookDelivery) -> None:
    update_id, chat_id, text = telegram_update(delivery.body)
    row = inbound.receive("telegram", update_id, chat_id, text, now=delivery.received_at)
    if row is None or not chat_id:
        return  # seen before, or not a chat message
    person = db.session.scalar(select(User).where(User.telegram_chat_id == chat_id))
    if person is not None:
        delivery.organisation_id = person.organisation_id
    elif row.handled_by is None and text:
        raise Unmatched(
            "unknown_chat", "No one in Parcours uses this Telegram chat (%(chat)s).", chat=chat_id
        )


@processor(
    "twilio",
    reasons={"unknown_message": _l("No message of ours has the Twilio id %(sid)s.")},
)
def process_twilio_status(delivery: WebhookDelivery) -> None:
    form = {k: v[0] for k, v in parse_qs(delivery.body.decode("utf-8", "replace")).items()}
    query = {k: v[0] for k, v in parse_qs(delivery.headers.get("query-string", "")).items()}
    sid = form.get("MessageSid", "")
    message = services.record_provider_status(
        sid,
        form.get("MessageStatus", ""),
        error=form.get("ErrorCode"),
        message_id=query.get("message_id"),
        now=delivery.received_at,
    )
    if message is None:
        raise Unmatched("unknown_message", "No message of ours has the Twilio id %(sid)s.", sid=sid)
    delivery.organisation_id = message.organisation_id
