"""Webhook deliveries for admins: list, read, and process again."""

from __future__ import annotations

from portal.api.endpoints import current_api_user, endpoint
from portal.core.i18n import utc_iso
from portal.core.pagination import paginate
from portal.extensions import db
from portal.webhooks import intake, queries
from portal.webhooks.schemas import DeliveryList, DeliveryOut, DeliveryQuery


def delivery_json(delivery) -> dict:
    return {
        "id": str(delivery.id),
        "source": delivery.source,
        "delivery_id": delivery.delivery_id,
        "state": delivery.state,
        "verified_by": delivery.verified_by,
        "error": delivery.error,
        "reason": intake.reason_text(delivery),
        "attempts": delivery.attempts,
        "received_at": utc_iso(delivery.received_at),
        "processed_at": utc_iso(delivery.processed_at),
        "headers": {str(k): str(v) for k, v in (delivery.headers or {}).items()},
        "body": delivery.body_text,
    }


@endpoint(
    "/webhook-deliveries",
    summary="Webhook deliveries received (admin)",
    tag="webhooks",
    query=DeliveryQuery,
    response=DeliveryList,
    roles=("admin",),
)
def list_deliveries(query: DeliveryQuery):
    page = paginate(
        queries.list_deliveries(current_api_user(), state=query.state, source=query.source),
        query.limit,
        query.offset,
    )
    return {"items": [delivery_json(d) for d in page.items], "total_count": page.total_count}


@endpoint(
    "/webhook-deliveries/<delivery_id>",
    summary="One webhook delivery (admin)",
    tag="webhooks",
    response=DeliveryOut,
    roles=("admin",),
    errors=(404,),
)
def get_delivery(delivery_id):
    return delivery_json(queries.get_delivery(delivery_id, current_api_user()))


@endpoint(
    "/webhook-deliveries/<delivery_id>/process",
    method="POST",
    summary="Process a delivery in review or failed again, from its stored body (admin)",
    tag="webhooks",
    response=DeliveryOut,
    roles=("admin",),
    errors=(404, 409),
)
def process_again(delivery_id):
    user = current_api_user()
    delivery = queries.get_delivery(delivery_id, user)
    intake.process_again(delivery, actor=user)
    db.session.commit()
    return delivery_json(delivery)
