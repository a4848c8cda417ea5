"""Notification triggers as data: which event tells which audience what, on which channels.

A module declares its rows (`Trigger`) and its audiences (who "sales" or "contacts" are for its
items). One dispatcher, subscribed to the event of every row, resolves the recipients, reads the
organisation's preferences for the machine, the status and each channel, and writes in-app
notifications and outbox messages (a message goes by the person's channel, falling back to
one that reaches them). Each recipient is told once per row, in their own language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.notifications.models import NotificationPreference
from portal.notifications.services import notify
from portal.workflow import events

IN_APP = "in_app"
ANY_STATUS = "*"


@dataclass(frozen=True)
class Notice:
    """What one recipient is told: title and message are callables, called in the recipient's
    language and timezone; `context` feeds the outbox message's template."""

    title: Callable[[], str]
    message: Callable[[], str]
    link: str | None
    related: object
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    event: str  # "assignment_accepted", "training_session_created", …
    audience: str  # a name the module registered with @audience
    type: str  # the notification type (and message template) people receive
    channels: tuple[str, ...]  # IN_APP and the outbox channels, before preferences
    compose: Callable  # (event, entity, person) -> Notice
    applies: Callable | None = None  # (event, entity) -> bool: this row is for this change


_TRIGGERS: dict[str, list[Trigger]] = defaultdict(list)
_AUDIENCES: dict[str, Callable] = {}


def audience(name: str):
    """Register who `name` is for an event and its entity: a function returning people."""

    def register(fn):
        _AUDIENCES[name] = fn
        return fn

    return register


def add(*rows: Trigger) -> None:
    """Add rows to the trigger table; the dispatcher listens to their events."""
    for row in rows:
        if row not in _TRIGGERS[row.event]:
            _TRIGGERS[row.event].append(row)
        events.on(row.event)(dispatch)


def rows() -> list[Trigger]:
    return [row for name in sorted(_TRIGGERS) for row in _TRIGGERS[name]]


_PREFERENCES = "portal_notification_preferences"


def enabled_channels(organisation_id, machine: str, status: str, channels) -> list[str]:
    """The trigger's channels less those the organisation turned off for this machine and
    status (or for any status of it). Read once per transaction and kind of change."""
    if organisation_id is None:
        return list(channels)
    known = db.session.info.setdefault(_PREFERENCES, {})
    key = (organisation_id, machine, status)
    if key not in known:
        known[key] = set(
            db.session.scalars(
                select(NotificationPreference.channel).where(
                    NotificationPreference.organisation_id == organisation_id,
                    NotificationPreference.machine == machine,
                    NotificationPreference.status.in_((status, ANY_STATUS)),
                    NotificationPreference.is_active.is_(False),
                )
            )
        )
    return [channel for channel in channels if channel not in known[key]]


def set_preference(
    organisation_id, *, machine: str, status: str, channel: str, active: bool, now=None
) -> NotificationPreference:
    """Turn one channel of one kind of change on or off for an organisation."""
    from portal.core.clock import utcnow

    row = db.session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.organisation_id == organisation_id,
            NotificationPreference.machine == machine,
            NotificationPreference.status == status,
            NotificationPreference.channel == channel,
        )
    )
    if row is None:
        row = NotificationPreference(
            organisation_id=organisation_id, machine=machine, status=status, channel=channel
        )
        db.session.add(row)
    row.is_active = active
    row.updated_at = now or utcnow()
    db.session.flush()
    db.session.info.pop(_PREFERENCES, None)
    return row


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_preferences(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PREFERENCES, None)


def dispatch(event, entity) -> None:
    """Tell every audience of every row of this event, on the channels in force."""
    from portal.messaging.services import queue_message

    for row in _TRIGGERS.get(event.name, ()):
        if row.applies is not None and not row.applies(event, entity):
            continue
        channels = enabled_channels(
            getattr(entity, "organisation_id", None), event.machine, event.new_status, row.channels
        )
        if not channels:
            continue
        told = set()
        for person in _AUDIENCES[row.audience](event, entity):
            if person is None or person.id in told:
                continue
            told.add(person.id)
            notice = row.compose(event, entity, person)
            if IN_APP in channels:
                notify(
                    person,
                    type=row.type,
                    title=notice.title,
                    message=notice.message,
                    link=notice.link,
                    related=notice.related,
                    now=event.when,
                )
            for channel in channels:
                if channel == IN_APP:
                    continue
                queue_message(
                    channel=channel,
                    message_type=row.type,
                    recipient=person,
                    context=notice.context,
                    related=notice.related,
                    dedupe_key=f"{row.type}:{notice.related.id}:{person.id}",
                    now=event.when,
                )
