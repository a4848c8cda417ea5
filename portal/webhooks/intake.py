"""One intake for every signed webhook: verify, store once per delivery id, process through
services, keep what cannot be matched in review, and process again on demand.

A source's endpoint verifies the signature (see verification.py) and calls `receive()`; a
source's processor, registered with `@processor(source)`, turns the stored delivery into
service calls. It raises `Unmatched` when the delivery names nothing we know (it then waits in
`review` for a person), and any other error leaves it `failed`; either way the processing's own
writes are rolled back and the delivery keeps its body for the next try.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.clock import utcnow
from portal.core.db_errors import savepoint
from portal.core.errors import DomainError, Duplicate, Forbidden
from portal.core.text_input import storable
from portal.extensions import db
from portal.webhooks.models import WebhookDelivery
from portal.workflow import origin
from portal.workflow.actors import SYSTEM
from portal.workflow.engine import create, transition

log = logging.getLogger(__name__)

_PROCESSORS: dict[str, Callable[[WebhookDelivery], None]] = {}

# Why a delivery waits in review or failed, in each reader's language (code → text).
REASONS: dict[str, object] = {
    "failed": _l("Processing failed: %(error)s"),
    "refused": _l("Refused: %(error)s"),
    "no_processor": _l("Nothing processes deliveries from this source."),
}


class Unmatched(Exception):
    """The delivery names nothing we know: keep it in review with this reason."""

    def __init__(self, code: str, text: str, **values):
        super().__init__(text % values if values else text)
        self.code = code
        self.values = values


def processor(source: str, reasons: dict[str, object] | None = None):
    """Register the processor of `source` (`partner` also serves `partner:<slug>`) and the
    texts of the reasons it may keep a delivery in review for."""

    def register(fn):
        _PROCESSORS[source] = fn
        REASONS.update(reasons or {})
        return fn

    return register


def _processor_for(source: str):
    return _PROCESSORS.get(source) or _PROCESSORS.get(source.split(":", 1)[0])


def reason_text(delivery: WebhookDelivery) -> str | None:
    """Why the delivery waits, in the reader's language (the stored English text otherwise)."""
    detail = delivery.error_detail or {}
    text = REASONS.get(detail.get("code"))
    if text is None:
        return delivery.error
    return str(text) % (detail.get("values") or {}) if detail.get("values") else str(text)


def receive(
    source: str,
    delivery_id: str,
    body: bytes,
    *,
    verified_by: str,
    headers: dict | None = None,
    organisation_id=None,
    now: datetime | None = None,
) -> tuple[WebhookDelivery, bool]:
    """Store a verified delivery once and process it. A delivery id this source sent before
    returns that delivery and False, and changes nothing."""
    now = now or utcnow()
    delivery_id = storable(str(delivery_id))[:200]
    seen = _find(source, delivery_id)
    if seen is not None:
        return seen, False
    delivery = WebhookDelivery(
        source=source,
        delivery_id=delivery_id,
        body=body,
        headers={k: storable(str(v)) for k, v in (headers or {}).items()},
        verified_by=verified_by,
        organisation_id=organisation_id,
        state="received",
        received_at=now,
        updated_at=now,
    )
    try:
        with savepoint():  # the same delivery arriving twice at once: one row, one processing
            created = create(delivery, actor=SYSTEM, now=now)
    except Duplicate:
        return _find(source, delivery_id), False
    process(delivery, cause=created.change_id, now=now)
    return delivery, True


def _find(source: str, delivery_id: str) -> WebhookDelivery | None:
    return db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.source == source, WebhookDelivery.delivery_id == delivery_id
        )
    )


def process(delivery: WebhookDelivery, *, cause, now: datetime | None = None) -> WebhookDelivery:
    """Run the source's processor on a received delivery: processed, review or failed. What it
    changes comes from the webhook, caused by the delivery's arrival (or its new try)."""
    now = now or utcnow()
    delivery.attempts += 1
    handler = _processor_for(delivery.source)
    outcome, code, values, text = "processed", None, {}, None
    try:
        if handler is None:
            raise Unmatched("no_processor", "Nothing processes deliveries from this source.")
        with (
            origin.changes_from(origin.webhook(delivery.source), cause),
            db.session.begin_nested(),  # a failure undoes the processing, not the delivery
        ):
            handler(delivery)
    except Unmatched as exc:
        outcome, code, values, text = "review", exc.code, exc.values, str(exc)
    except DomainError as exc:  # a service refused it: a person decides what to do
        outcome, code, text = "review", "refused", str(exc.message)
        values = {"error": text}
    except Exception as exc:
        log.exception("webhook delivery %s from %s failed", delivery.id, delivery.source)
        outcome, code, text = "failed", "failed", f"{exc.__class__.__name__}: {exc}"
        values = {"error": text}
    columns = {
        "error": text,
        "error_detail": {"code": code, "values": values} if code else None,
        "attempts": delivery.attempts,
    }
    return transition(delivery, outcome, actor=SYSTEM, reason=text, now=now, columns=columns).entity


def process_again(delivery: WebhookDelivery, *, actor, now: datetime | None = None):
    """An admin has a delivery in review or failed processed again, from its stored body."""
    if actor.role != "admin":
        raise Forbidden(_("Only administrators process deliveries again."))
    now = now or utcnow()
    moved = transition(delivery, "received", actor=actor, now=now)
    return process(delivery, cause=moved.change_id, now=now)
