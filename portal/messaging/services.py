"""Writing messages into the outbox, delivering them once, relaying what was never picked up."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import datetime, timedelta

from flask_babel import gettext as _
from rq.exceptions import DuplicateJobError
from sqlalchemy import bindparam, or_, select, update

from portal import queue
from portal.core.clock import utcnow
from portal.core.errors import DomainError, ValidationError
from portal.core.text_input import storable
from portal.core.transactions import after_commit
from portal.extensions import db
from portal.messaging import channels
from portal.messaging.models import CHANNELS, OutboundMessage
from portal.messaging.rendering import render_message
from portal.messaging.states import MESSAGE  # noqa: F401 - registers the machine
from portal.workflow import events
from portal.workflow.actors import SYSTEM
from portal.workflow.engine import count_notification, create, transition

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
BACKOFF = (30, 120, 600, 1800)  # seconds before attempt 2, 3, 4, 5
RELAY_GRACE = timedelta(seconds=60)  # older than this and still unclaimed: lost or stuck


def address_of(person, channel: str) -> str | None:
    if person is None:
        return None
    if channel == "email":
        return person.email
    if channel == "telegram":
        return person.telegram_chat_id
    return person.phone


def ics_attachment(filename: str, content: bytes, method: str = "REQUEST") -> dict:
    return {
        "filename": filename,
        "content_type": f"text/calendar; method={method}",
        "data": base64.b64encode(content).decode(),
    }


def queue_message(
    *,
    channel: str,
    message_type: str,
    recipient=None,
    address: str | None = None,
    organisation_id=None,
    locale: str | None = None,
    timezone: str | None = None,
    context: dict | None = None,
    attachments: list[dict] | None = None,
    related=None,
    related_type: str | None = None,
    dedupe_key: str | None = None,
    actor=SYSTEM,
    now: datetime | None = None,
) -> OutboundMessage:
    """Write a pending message (rendered in the recipient's language) and hand it to the
    queue once the transaction commits. The same `dedupe_key` never writes a second message."""
    if channel not in CHANNELS:
        raise ValidationError(_("Unknown channel."), details={"channel": _("Unknown channel.")})
    if dedupe_key:
        existing = db.session.scalar(
            select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    now = now or utcnow()
    rendered = render_message(
        message_type, recipient, locale=locale, timezone=timezone, **(context or {})
    )
    message = OutboundMessage(
        organisation_id=organisation_id or getattr(recipient, "organisation_id", None),
        channel=channel,
        message_type=message_type,
        status="pending",
        recipient_user_id=getattr(recipient, "id", None),
        recipient_address=address or address_of(recipient, channel),
        locale=locale or getattr(recipient, "locale", None) or "en",
        subject=rendered.subject,
        content=rendered.text,
        html=rendered.html,
        attachments=attachments or None,
        related_type=related_type or (getattr(related, "__tablename__", None) if related else None),
        related_id=getattr(related, "id", None),
        dedupe_key=dedupe_key,
        created_at=now,
        updated_at=now,
    )
    db.session.add(message)
    db.session.flush()
    create(message, actor=actor, now=now)
    count_notification()
    message_id = str(message.id)
    after_commit(db.session, lambda: enqueue_delivery(message_id, 0))
    return message


def _job_id(message_id: str, attempts: int) -> str:
    return f"outbox-{message_id}-{attempts}"


def enqueue_delivery(message_id: str, attempts: int) -> bool:
    """Hand a message to the queue. False when Redis is down: the relay will try again."""
    try:
        queue.enqueue(
            "worker.jobs.messages.deliver_message",
            message_id,
            queue="messages",
            job_id=_job_id(message_id, attempts),
            retries=0,  # retries are the relay's job: it honours the backoff stored on the row
            result_ttl=0,
        )
    except DuplicateJobError:
        return True  # already queued
    except queue.UNREACHABLE as exc:
        log.warning("queue unreachable, message %s left for the relay: %s", message_id, exc)
        return False
    return True


# Built once: every delivery runs it.
_CLAIM = (
    update(OutboundMessage)
    .where(
        OutboundMessage.id == bindparam("message_id"),
        OutboundMessage.status == "pending",
        OutboundMessage.attempts < MAX_ATTEMPTS,  # see relay(): a message is never sent more
        or_(
            OutboundMessage.next_attempt_at.is_(None),
            OutboundMessage.next_attempt_at <= bindparam("now"),
        ),
    )
    .values(
        attempts=OutboundMessage.attempts + 1,
        next_attempt_at=bindparam("lease_until"),
        updated_at=bindparam("now"),
    )
    .returning(OutboundMessage)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def _claim(message_id, now: datetime) -> OutboundMessage | None:
    """Take the message for one attempt, atomically; None if it is not ours to send.

    One `UPDATE … RETURNING` both claims the row and loads it, and is committed before the
    network is touched; the loaded message stays usable without a second read. On PostgreSQL
    the statement commits itself (autocommit): one round trip instead of three. SQLite keeps
    its `BEGIN IMMEDIATE` transactions, which its autocommit setting would undo."""
    db.session.commit()  # pending edits to the message are written, not overwritten by the load
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    message = db.session.scalars(
        _CLAIM, {"message_id": message_id, "now": now, "lease_until": now + LEASE}
    ).one_or_none()
    if message is None:
        db.session.commit()
        return None
    db.session.expunge(message)  # kept out of the commit's expiry: its row is what we wrote
    db.session.commit()  # ends the claim's transaction (on PostgreSQL it has committed itself)
    db.session.add(message)
    return message


def deliver(message_id, *, now: datetime | None = None) -> str:
    """One delivery attempt. Returns what happened: skipped, sent, delivered, retry, failed, or
    recorded (the provider's callback wrote the outcome first)."""
    now = now or utcnow()
    message = _claim(message_id, now)
    if message is None:
        return "skipped"
    send = channels.SENDERS[message.channel]
    try:
        delivery = send(message)
    except channels.PermanentFailure as exc:
        _fail(message, exc, now)
        return "failed"
    except channels.TemporaryFailure as exc:
        message.error_message, message.error_detail = str(exc), exc.detail
        if message.attempts >= MAX_ATTEMPTS:
            gave_up = channels.TemporaryFailure("gave_up", n=message.attempts, e=exc.detail)
            _fail(message, gave_up, now)
            return "failed"
        wait = BACKOFF[min(message.attempts - 1, len(BACKOFF) - 1)]
        message.next_attempt_at = now + timedelta(seconds=wait)
        message.updated_at = now
        db.session.commit()
        return "retry"
    outcome = {
        "transport": delivery.transport,
        "provider_message_id": delivery.provider_message_id,
        "error_message": None,
        "error_detail": None,
        "next_attempt_at": None,
    }
    try:
        if delivery.delivered:  # one statement: the row and both history rows
            transition(message, "delivered", via=("sent",), actor=SYSTEM, now=now, columns=outcome)
        else:
            transition(message, "sent", actor=SYSTEM, now=now, columns=outcome)
    except DomainError:  # the provider's callback was quicker and wrote the outcome already
        db.session.rollback()
        return "recorded"
    db.session.commit()
    return "delivered" if delivery.delivered else "sent"


def _fail(message: OutboundMessage, failure: channels.Failure, now: datetime) -> None:
    message.error_message, message.error_detail = str(failure), failure.detail
    message.next_attempt_at = None
    transition(
        message,
        "failed",
        actor=SYSTEM,
        reason=message.error_message,
        context={"error_detail": failure.detail},  # the timeline shows it translated
        now=now,
    )
    db.session.commit()


def failure_reason(detail: dict | None, english: str | None) -> str | None:
    """A failure in the reader's language when it is one of ours (a provider's own words,
    such as a Twilio callback's, are shown as they came)."""
    if detail and detail.get("code") in channels.FAILURES:
        return channels.failure_text(detail["code"], detail.get("params") or {})
    return english


def error_text(message: OutboundMessage) -> str | None:
    """Why the message failed, in the reader's language."""
    return failure_reason(message.error_detail, message.error_message)


def relay(*, now: datetime | None = None, batch: int = 200) -> int:
    """Re-enqueue pending messages that are due and were never picked up (or whose worker
    died, or whose backoff is over). Returns how many were handed to the queue. A message
    whose every attempt stopped before its outcome was written (a worker killed mid-send, an
    error of ours) ends as failed after MAX_ATTEMPTS claims, never to be sent again."""
    now = now or utcnow()
    due = or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now)
    rows = db.session.execute(
        select(OutboundMessage.id, OutboundMessage.attempts)
        .where(
            OutboundMessage.status == "pending",
            OutboundMessage.created_at <= now - RELAY_GRACE,
            due,
        )
        .order_by(OutboundMessage.created_at)
        .limit(batch)
    ).all()
    db.session.commit()
    handed = 0
    for message_id, attempts in rows:
        if attempts >= MAX_ATTEMPTS:
            _give_up(message_id, attempts, now)
            continue
        if not enqueue_delivery(str(message_id), attempts):
            break  # the queue is down; the next sweep tries again
        handed += 1
    return handed


def _give_up(message_id, attempts: int, now: datetime) -> None:
    """Fail a message whose attempts are used up, unless its last attempt wrote an outcome
    meanwhile (the failed move only matches a row still pending: else nothing is written)."""
    message = db.session.get(OutboundMessage, message_id, populate_existing=True)
    if message is None or message.status != "pending":
        return
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return  # claimed again since the sweep read it
    stopped = {"code": "interrupted", "params": {}}
    if message.error_detail:  # the last failure a channel reported, if any
        stopped = message.error_detail
    try:
        _fail(message, channels.TemporaryFailure("gave_up", n=attempts, e=stopped), now)
    except DomainError:  # its attempt wrote sent, delivered or failed a moment ago
        db.session.rollback()


def retry_message(message: OutboundMessage, *, actor, now: datetime | None = None):
    """An admin sends a failed message again, to where its recipient can be reached now: a chat
    id or phone number added since the first try is used. A recipient still without one is
    refused before anything is queued."""
    return transition(message, "pending", actor=actor, reason=_("Retried by hand"), now=now)


@events.on("message_pending")
def _enqueue_retried(event, message) -> None:
    after_commit(db.session, lambda: enqueue_delivery(event.entity_id, message.attempts))


def record_provider_status(
    provider_message_id: str,
    provider_status: str,
    *,
    error=None,
    message_id: str | None = None,
    now: datetime | None = None,
) -> OutboundMessage | None:
    """Twilio's status callback: delivered, or failed/undelivered with an error code. The
    message is found by Twilio's id, or by ours (in the callback's address) when the callback
    comes before the worker has written the outcome of its send: then the callback's outcome
    is written, with Twilio's id, and the worker's own write finds it done."""
    provider_message_id, provider_status, error = (
        storable(v) for v in (provider_message_id, provider_status, error)
    )
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.provider_message_id == provider_message_id)
    )
    if message is None and message_id:
        message = _in_flight(message_id)
    if message is None:
        return None
    now = now or utcnow()
    early = {"provider_message_id": provider_message_id, "transport": "twilio"}
    if provider_status in ("delivered", "read") and message.status == "sent":
        transition(message, "delivered", actor=SYSTEM, now=now)
    elif provider_status in ("delivered", "read") and message.status == "pending":
        transition(message, "delivered", via=("sent",), actor=SYSTEM, now=now, columns=early)
    elif provider_status in ("failed", "undelivered") and message.status in ("pending", "sent"):
        message.error_message, message.error_detail = error or provider_status, None
        columns = early if message.status == "pending" else None
        transition(
            message, "failed", actor=SYSTEM, reason=message.error_message, now=now, columns=columns
        )
    return message


def _in_flight(message_id: str) -> OutboundMessage | None:
    """A Twilio message being sent right now: ours, claimed, its provider id not yet written."""
    try:
        key = uuid.UUID(str(message_id))
    except ValueError:
        return None
    message = db.session.get(OutboundMessage, key)
    if message is None or message.channel not in ("whatsapp", "sms"):
        return None
    return message if message.provider_message_id is None else None
