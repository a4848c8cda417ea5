"""Delivering outbound messages, and the relay that re-enqueues what was never picked up."""

from __future__ import annotations

import uuid

from portal.messaging import services
from portal.queue.jobs import job


@job
def deliver_message(message_id: str) -> str:
    return services.deliver(uuid.UUID(message_id))


@job
def relay_messages() -> int:
    return services.relay()
