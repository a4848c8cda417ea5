"""The outbound-message machine: pending → sent → delivered, or failed; an admin may retry."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.core.errors import ValidationError
from portal.messaging.models import CHANNEL_LABELS, OutboundMessage
from portal.messaging.rendering import message_type_label
from portal.workflow.machines import Machine, Transition, register


def _visible(actor, message) -> bool:
    """Admins and coordinators see their organisation's messages (a request's page lists its
    contacts' messages); anyone else only those sent to them."""
    return actor.role in ("admin", "coordinator") or message.recipient_user_id == actor.id


def _address_now(message) -> str | None:
    """Where the message's recipient can be reached now (a chat id or phone number added since
    the first try counts); a message written to an address, not a person, keeps it."""
    from portal.messaging.services import address_of

    if message.recipient is None:
        return message.recipient_address
    return address_of(message.recipient, message.channel)


def _reachable(attempt) -> None:
    """A recipient still without an address is refused before anything is queued: the retry
    button, POST /messages/{id}/retry and the status API all come through here."""
    from portal.messaging import channels

    if not _address_now(attempt.entity):
        error = channels.failure_text(channels.missing_address(attempt.entity.channel), {})
        raise ValidationError(error, details={"recipient_address": error})


def _reset_for_retry(attempt) -> None:
    message = attempt.entity
    message.recipient_address = _address_now(message)
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
                "failed",
                "pending",
                ("admin",),
                guards=(_reachable,),
                effects=(_reset_for_retry,),
                label=_l("Retry"),
            ),
        ],
        timestamps={"sent": "sent_at", "delivered": "delivered_at", "failed": "failed_at"},
        terminal=("delivered",),
        visible=_visible,
        describe=_describe,
        describe_load=(joinedload(OutboundMessage.recipient),),
        page=_page,
        system_context=frozenset({"error_detail"}),
    )
)
