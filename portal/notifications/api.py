"""Notifications of the caller."""

from __future__ import annotations

from portal.api.endpoints import current_api_user, endpoint
from portal.core.i18n import utc_iso
from portal.core.pagination import paginate
from portal.extensions import db
from portal.notifications import services
from portal.notifications.schemas import (
    NotificationList,
    NotificationOut,
    NotificationQuery,
    ReadAllResult,
)


def notification_json(n) -> dict:
    return {
        "id": str(n.id),
        "type": n.type,
        "title": n.title,
        "message": n.message,
        "link": n.link,
        "is_read": n.is_read,
        "created_at": utc_iso(n.created_at),
        "read_at": utc_iso(n.read_at),
    }


@endpoint(
    "/notifications",
    summary="Your notifications, newest first",
    tag="notifications",
    query=NotificationQuery,
    response=NotificationList,
)
def list_notifications(query: NotificationQuery):
    user = current_api_user()
    page = paginate(services.list_for(user, unread_only=query.unread), query.limit, query.offset)
    return {
        "items": [notification_json(n) for n in page.items],
        "total_count": page.total_count,
        "unread_count": services.unread_count(user),
    }


@endpoint(
    "/notifications/<notification_id>/read",
    method="POST",
    summary="Mark one of your notifications read",
    tag="notifications",
    response=NotificationOut,
    errors=(404,),
)
def read_notification(notification_id):
    user = current_api_user()
    notification = services.mark_read(services.get_own(notification_id, user))
    db.session.commit()
    return notification_json(notification)


@endpoint(
    "/notifications/read-all",
    method="POST",
    summary="Mark all your notifications read",
    tag="notifications",
    response=ReadAllResult,
)
def read_all_notifications():
    count = services.mark_all_read(current_api_user())
    db.session.commit()
    return {"marked_read": count}
