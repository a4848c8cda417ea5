"""The webhook-delivery machine: received → processed | review | failed; an admin may have a
delivery in review or failed processed again."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.webhooks.models import WebhookDelivery
from portal.workflow.machines import Machine, Transition, register


def _visible(actor, delivery) -> bool:
    """Admins see their organisation's deliveries and those no organisation claims yet (a chat
    nobody has linked, a callback for a message we cannot find)."""
    return actor.role == "admin" and delivery.organisation_id in (None, actor.organisation_id)


def _describe(delivery) -> str:
    return f"{delivery.source} · {delivery.delivery_id}"


def _page(delivery) -> str:
    return url_for("webhooks.delivery", delivery_id=delivery.id)


DELIVERY = register(
    Machine(
        name="webhook_delivery",
        title=_l("Webhook delivery"),
        model=WebhookDelivery,
        collection="webhook-deliveries",
        status_attr="state",
        states={
            "received": _l("Received"),
            "processed": _l("Processed"),
            "review": _l("In review"),
            "failed": _l("Failed"),
        },
        transitions=[
            Transition("received", "processed", ("system",)),
            Transition("received", "review", ("system",)),
            Transition("received", "failed", ("system",)),
            Transition("review", "received", ("admin",), label=_l("Process again")),
            Transition("failed", "received", ("admin",), label=_l("Process again")),
        ],
        timestamps={"processed": "processed_at"},
        terminal=("processed",),
        visible=_visible,
        describe=_describe,
        page=_page,
        system_context=frozenset({"error_detail"}),
    )
)
