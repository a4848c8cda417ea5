"""Messages people send us on a chat channel: recorded once, then offered to the handlers that
modules register (onboarding: "yes" confirms attendance; chat training later: the bot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.clock import utcnow
from portal.core.text_input import storable
from portal.extensions import db
from portal.messaging.models import InboundUpdate


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender: str
    text: str
    received_at: datetime


# Each handler returns True when the message was for it; the first to say so wins.
HANDLERS: list[tuple[str, Callable[[Inbound], bool]]] = []


def handler(name: str):
    def register(fn):
        if all(existing is not fn for _name, existing in HANDLERS):
            HANDLERS.append((name, fn))
        return fn

    return register


def receive(
    channel: str,
    external_id: str,
    sender: str | None,
    text: str | None,
    now: datetime | None = None,
) -> InboundUpdate | None:
    """Record an update and hand it to the handlers. None if this update was already seen."""
    now = now or utcnow()
    external_id, sender, text = (storable(v) for v in (external_id, sender, text))
    if db.session.scalar(
        select(InboundUpdate.id).where(
            InboundUpdate.channel == channel, InboundUpdate.external_id == external_id
        )
    ):
        return None
    row = InboundUpdate(
        channel=channel, external_id=external_id, sender=sender, text=text, received_at=now
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same update arrived twice at once
        return None
    if sender and text:
        message = Inbound(channel=channel, sender=sender, text=text.strip(), received_at=now)
        for name, fn in HANDLERS:
            if fn(message):
                row.handled_by = name
                break
    return row
