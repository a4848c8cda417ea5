"""Outbound messages (email, Telegram, WhatsApp, SMS): the outbox, its relay and the channels."""

from flask_babel import lazy_gettext as _l

from portal.core.modules import Module, Periodic

MODULE = Module(
    name="messaging",
    order=10,
    imports=(
        "portal.messaging.api",
        "portal.messaging.services",
        "portal.messaging.views",
        "portal.messaging.webhooks",
    ),
    blueprints=("portal.messaging.views:bp",),
    periodic=(Periodic("worker.jobs.messages.relay_messages", 10, "messages"),),
    message_types={"notification": _l("Notification")},
)
