"""The outbound-message machine: pending → sent → delivered, or failed; an admin may retry."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.messaging.models import OutboundMessage
from portal.workflow.machines import Machine, Transition, register


def _visible(actor, message) -> bool:
    return actor.role == "admin" or message.recipient_user_id == actor.id


def _reset_for_retry(attempt) -> None:
    message = attempt.entity
    message.attempts = 0
    message.error_message = None
    message.next_attempt_at = None
    message.failed_at = None


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
    )
)
