"""Outbound messages for admins, and Twilio's delivery-status callback."""

from __future__ import annotations

import hmac

from flask import current_app, request
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator

from portal.api.endpoints import current_api_user, endpoint, load_json
from portal.api.errors import error_response
from portal.core.i18n import utc_iso
from portal.core.pagination import paginate
from portal.extensions import db
from portal.messaging import inbound, queries, services
from portal.messaging.schemas import MessageList, MessageOut, MessageQuery


def message_json(m) -> dict:
    related_id = str(m.related_id) if m.related_id else None
    return {
        "id": str(m.id),
        "channel": m.channel,
        "message_type": m.message_type,
        "status": m.status,
        "recipient_user_id": str(m.recipient_user_id) if m.recipient_user_id else None,
        "recipient_address": m.recipient_address,
        "subject": m.subject,
        "content": m.content,
        "error_message": m.error_message,
        "related_type": m.related_type,
        "related_id": related_id,
        "related_session_id": related_id if m.related_type == "training_sessions" else None,
        "attempts": m.attempts,
        "transport": m.transport,
        "created_at": utc_iso(m.created_at),
        "sent_at": utc_iso(m.sent_at),
        "delivered_at": utc_iso(m.delivered_at),
        "failed_at": utc_iso(m.failed_at),
    }


@endpoint(
    "/messages",
    summary="Outbound messages of your organisation",
    tag="messaging",
    query=MessageQuery,
    response=MessageList,
    roles=("admin",),
)
def list_messages(query: MessageQuery):
    user = current_api_user()
    page = paginate(
        queries.list_messages(
            organisation_id=user.organisation_id,
            status=query.status,
            channel=query.channel,
            related_id=query.related_session_id,
        ),
        query.limit,
        query.offset,
    )
    return {"items": [message_json(m) for m in page.items], "total_count": page.total_count}


@endpoint(
    "/messages/<message_id>",
    summary="One outbound message",
    tag="messaging",
    response=MessageOut,
    roles=("admin",),
    errors=(404,),
)
def get_message(message_id):
    user = current_api_user()
    return message_json(queries.get_message(message_id, organisation_id=user.organisation_id))


@endpoint(
    "/messages/<message_id>/retry",
    method="POST",
    summary="Send a failed message again (to the recipient's current address; 422 if none)",
    tag="messaging",
    response=MessageOut,
    roles=("admin",),
    errors=(404, 409, 422),
)
def retry_message(message_id):
    user = current_api_user()
    message = queries.get_message(message_id, organisation_id=user.organisation_id)
    services.retry_message(message, actor=user)
    db.session.commit()
    return message_json(message)


@endpoint(
    "/webhooks/twilio/status",
    method="POST",
    summary="Twilio delivery-status callback (signed with X-Twilio-Signature)",
    tag="webhooks",
    signed=True,
    errors=(401,),
    content_type="text/plain",
)
def twilio_status():
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    url = current_app.config["BASE_URL"] + request.path  # Twilio signs the whole address
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        return error_response(401, "invalid_signature", _("The signature is not valid."))
    services.record_provider_status(
        request.form.get("MessageSid", ""),
        request.form.get("MessageStatus", ""),
        error=request.form.get("ErrorCode"),
        message_id=request.args.get("message_id"),
    )
    db.session.commit()
    return "", 204


@endpoint(
    "/webhooks/telegram",
    method="POST",
    summary="Telegram Bot API updates (X-Telegram-Bot-Api-Secret-Token must match)",
    tag="webhooks",
    signed=True,
    errors=(400, 401),
)
def telegram_update():
    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET") or ""
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(secret.encode(), given.encode()):
        return error_response(401, "invalid_signature", _("The signature is not valid."))
    update = _telegram_update(request.get_data())
    if update is None:
        return error_response(400, "bad_request", _("The body is not a Telegram update."))
    update_id, chat_id, text = update
    inbound.receive("telegram", update_id, chat_id, text)
    db.session.commit()
    return {"ok": True}


def _telegram_update(body: bytes) -> tuple[str, str | None, str | None] | None:
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
