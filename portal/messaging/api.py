"""Outbound messages for admins, and Twilio's delivery-status callback."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from portal.api.endpoints import current_api_user, endpoint
from portal.api.errors import error_response
from portal.core.i18n import utc_iso
from portal.core.pagination import paginate
from portal.extensions import db
from portal.messaging import queries, services, webhooks
from portal.messaging.schemas import MessageList, MessageOut, MessageQuery
from portal.webhooks import intake, verification


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
    body = request.get_data()  # read (and kept) before the form is parsed from it
    url = current_app.config["BASE_URL"] + request.path  # Twilio signs the whole address
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    verified_by = verification.twilio_signature(
        current_app.config.get("TWILIO_AUTH_TOKEN"),
        url,
        request.form.to_dict(),
        request.headers.get("X-Twilio-Signature"),
    )
    form = request.form
    # Twilio calls once per status of a message; its idempotency token marks a retried call.
    delivery_id = request.headers.get("I-Twilio-Idempotency-Token") or (
        f"{form.get('MessageSid', '')}:{form.get('MessageStatus', '')}"
    )
    intake.receive(
        "twilio",
        delivery_id,
        body,
        verified_by=verified_by,
        headers={"query-string": request.query_string.decode("latin-1")},
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
    verified_by = verification.telegram_secret(
        current_app.config.get("TELEGRAM_WEBHOOK_SECRET"),
        request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
    )
    body = request.get_data()
    update = webhooks.telegram_update(body)
    if update is None:
        return error_response(400, "bad_request", _("The body is not a Telegram update."))
    intake.receive("telegram", update[0], body, verified_by=verified_by)
    db.session.commit()
    return {"ok": True}
