"""Reading outbound messages within an organisation."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from portal.accounts.models import User
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
    search: str | None = None,
) -> Select:
    """`search`: part of the recipient's name or address, or of the subject, in any case."""
    query = select(OutboundMessage).where(OutboundMessage.organisation_id == organisation_id)
    if search:
        named = select(User.id).where(User.name.icontains(search, autoescape=True))
        query = query.where(
            or_(
                OutboundMessage.recipient_address.icontains(search, autoescape=True),
                OutboundMessage.subject.icontains(search, autoescape=True),
                OutboundMessage.recipient_user_id.in_(named.scalar_subquery()),
            )
        )
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
