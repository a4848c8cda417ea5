"""The outbound-message machine: pending → sent → delivered, or failed; an admin may retry."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.messaging.models import CHANNEL_LABELS, OutboundMessage
from portal.messaging.rendering import message_type_label
from portal.workflow.machines import Machine, Transition, register


def _visible(actor, message) -> bool:
    return actor.role == "admin" or message.recipient_user_id == actor.id


def _reset_for_retry(attempt) -> None:
    message = attempt.entity
    message.attempts = 0
    message.error_message = None
    message.error_detail = None
    message.next_attempt_at = None
    message.failed_at = None


def _describe(message) -> str:
    to = message.recipient.name if message.recipient else message.recipient_address or "—"
    kind = message.subject or message_type_label(message.message_type)
    return f"{CHANNEL_LABELS[message.channel]} · {to} · {kind}"


def _page(message) -> str | None:
    if message.transport != "mailbox":
        return None
    return url_for("messaging.mailbox_message", message_id=message.id)


MESSAGE = register(
    Machine(
        name="message",
        title=_l("Outbound message"),
        model=OutboundMessage,
        collection="messages",
        states={
            "pending": _l("Pending"),
            "sent": _l("Sent"),
            "delivered": _l("Delivered"),
            "failed": _l("Failed"),
        },
        transitions=[
            Transition("pending", "sent", ("system",)),
            Transition("sent", "delivered", ("system",)),
            Transition("pending", "failed", ("system",)),
            Transition("sent", "failed", ("system",)),
            Transition(
                "failed", "pending", ("admin",), effects=(_reset_for_retry,), label=_l("Retry")
            ),
        ],
        timestamps={"sent": "sent_at", "delivered": "delivered_at", "failed": "failed_at"},
        terminal=("delivered",),
        visible=_visible,
        describe=_describe,
        describe_load=(joinedload(OutboundMessage.recipient),),
        page=_page,
    )
)
