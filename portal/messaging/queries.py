"""Reading outbound messages within an organisation."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, select

from portal.core.errors import NotFound
from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.workflow.queries import parse_id


def list_messages(
    *,
    organisation_id,
    status: str | None = None,
    channel: str | None = None,
    related_id=None,
    transport: str | None = None,
    recipient_user_id=None,
    related_ids=None,
) -> Select:
    query = select(OutboundMessage).where(OutboundMessage.organisation_id == organisation_id)
    if status:
        query = query.where(OutboundMessage.status == status)
    if channel:
        query = query.where(OutboundMessage.channel == channel)
    if related_id:
        query = query.where(OutboundMessage.related_id == parse_id(related_id))
    if transport:
        query = query.where(OutboundMessage.transport == transport)
    if related_ids is not None:
        query = query.where(OutboundMessage.related_id.in_(list(related_ids)))
    if recipient_user_id:
        query = query.where(OutboundMessage.recipient_user_id == recipient_user_id)
    return query.order_by(OutboundMessage.created_at.desc(), OutboundMessage.id)


def get_message(message_id, *, organisation_id) -> OutboundMessage:
    message = db.session.get(OutboundMessage, parse_id(message_id))
    if message is None or message.organisation_id != organisation_id:
        raise NotFound(_("Not found."))
    return message
