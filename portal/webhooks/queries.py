"""Reading webhook deliveries: an admin's organisation's, and those no organisation claims."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from portal.core.errors import NotFound
from portal.extensions import db
from portal.webhooks.models import STATES, WebhookDelivery


def list_deliveries(actor, *, state: str | None = None, source: str | None = None) -> Select:
    query = (
        select(WebhookDelivery)
        .where(
            or_(
                WebhookDelivery.organisation_id == actor.organisation_id,
                WebhookDelivery.organisation_id.is_(None),
            )
        )
        .order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id)
    )
    if state in STATES:
        query = query.where(WebhookDelivery.state == state)
    if source:
        query = query.where(WebhookDelivery.source == source)
    return query


def get_delivery(delivery_id, actor) -> WebhookDelivery:
    try:
        key = uuid.UUID(str(delivery_id))
    except ValueError:
        raise NotFound(_("Not found.")) from None
    delivery = db.session.get(WebhookDelivery, key)
    if delivery is None or delivery.organisation_id not in (None, actor.organisation_id):
        raise NotFound(_("Not found."))
    return delivery


def sources(actor) -> list[str]:
    return list(
        db.session.scalars(
            list_deliveries(actor)
            .with_only_columns(WebhookDelivery.source)
            .order_by(None)
            .distinct()
            .order_by(WebhookDelivery.source)
        )
    )
