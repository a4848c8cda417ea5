"""Creating notifications and marking them read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from portal.core.clock import utcnow
from portal.core.errors import NotFound
from portal.core.i18n import in_language_of
from portal.core.rows import insert_now
from portal.extensions import db
from portal.notifications.models import Notification
from portal.workflow.engine import count_notification
from portal.workflow.queries import parse_id


def notify(
    user,
    *,
    type: str,
    title: str | Callable[[], str],
    message: str | Callable[[], str],
    link: str | None = None,
    related=None,
    now: datetime | None = None,
) -> uuid.UUID:
    """Notify `user`; returns the notification's id. Callables are evaluated in the user's
    language and timezone. The row is written at once, in the caller's transaction."""
    with in_language_of(user):
        title_text = title() if callable(title) else str(title)
        message_text = message() if callable(message) else str(message)
    notification_id = uuid.uuid4()
    insert_now(
        _INSERT_NOTIFICATION,
        {
            "id": notification_id,
            "organisation_id": user.organisation_id,
            "user_id": user.id,
            "type": type,
            "title": title_text[:300],
            "message": message_text,
            "link": link,
            "related_type": getattr(related, "__tablename__", None)
            if related is not None
            else None,
            "related_id": getattr(related, "id", None),
            "is_read": False,
            "read_at": None,
            "created_at": now or utcnow(),
        },
    )
    count_notification()
    return notification_id


# Built once: a notification is written once and only its read mark changes afterwards.
_INSERT_NOTIFICATION = insert(Notification.__table__)


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.is_read.is_(False)
        )
    )


def list_for(user, *, unread_only: bool = False):
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.is_read.is_(False))
    return query.order_by(Notification.created_at.desc(), Notification.id)


def get_own(notification_id, user) -> Notification:
    notification = db.session.get(Notification, parse_id(notification_id))
    if notification is None or notification.user_id != user.id:
        raise NotFound(_("Not found."))
    return notification


def mark_read(notification: Notification, *, now: datetime | None = None) -> Notification:
    if not notification.is_read:
        notification.is_read = True
        notification.read_at = now or utcnow()
    return notification


def mark_all_read(user, *, now: datetime | None = None) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.is_read.is_(False))
        .values(is_read=True, read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
