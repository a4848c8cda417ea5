"""Admin pages: outbound messages with their delivery status and a retry button, and the
development mailbox (what would have been sent when no SMTP, Telegram or Twilio is set up)."""

from __future__ import annotations

import base64
import io

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.navigation import registry
from portal.core.pagination import page_asked, paginate
from portal.core.permissions import roles_required
from portal.extensions import db
from portal.messaging import queries, services
from portal.messaging.models import CHANNEL_LABELS, CHANNELS, OutboundMessage

bp = Blueprint("messaging", __name__, url_prefix="/admin")

STATUSES = ("pending", "sent", "delivered", "failed")
STATUS_LABELS = {
    "pending": _l("Pending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}


def _message(message_id):
    try:
        return queries.get_message(message_id, organisation_id=current_user.organisation_id)
    except DomainError:
        abort(404)


def _list_args() -> tuple[int, int, dict]:
    """The message list's window, and its filters and page from the query string with the
    unknown or invalid ones dropped: the Retry button carries them back to the list."""
    args = request.args
    kept = {}
    if args.get("status") in STATUSES:
        kept["status"] = args["status"]
    if args.get("channel") in CHANNELS:
        kept["channel"] = args["channel"]
    if search := (args.get("q") or "").strip()[:200]:
        kept["q"] = search
    limit, offset, carried = page_asked(args, default=25)
    return limit, offset, {**kept, **carried}


@bp.route("/messages")
@roles_required("admin")
def messages():
    limit, offset, kept = _list_args()
    page = paginate(
        queries.list_messages(
            organisation_id=current_user.organisation_id,
            status=kept.get("status"),
            channel=kept.get("channel"),
            search=kept.get("q"),
        ).options(selectinload(OutboundMessage.recipient)),
        limit,
        offset,
    )
    return render(
        "messaging/messages.html",
        block="message_rows",
        page=page,
        status_filter=kept.get("status"),
        search=kept.get("q", ""),
        channel_filter=kept.get("channel"),
        statuses=STATUS_LABELS,
        channels=CHANNEL_LABELS,
        list_args=kept,
    )


@bp.route("/messages/<message_id>/retry", methods=["POST"])
@roles_required("admin")
def retry(message_id):
    message = _message(message_id)
    error = None
    try:
        services.retry_message(message, actor=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        error = exc.message
    if not is_htmx():  # the button without HTMX: back to the list, with the outcome
        flash(error or _("The message is queued again."), "error" if error else "success")
        return redirect(url_for("messaging.messages", **_list_args()[2]))
    return render(
        "messaging/messages.html",
        block="message_row",
        status=422 if error else 200,
        message=message,
        row_error=error,
        statuses=STATUS_LABELS,
        channels=CHANNEL_LABELS,
        list_args=_list_args()[2],
    )


@bp.route("/mailbox")
@roles_required("admin")
def mailbox():
    limit, offset, _kept = page_asked(request.args, default=25)
    page = paginate(
        queries.list_messages(
            organisation_id=current_user.organisation_id, transport="mailbox"
        ).options(selectinload(OutboundMessage.recipient)),
        limit,
        offset,
    )
    return render(
        "messaging/mailbox.html", block="mailbox_rows", page=page, channels=CHANNEL_LABELS
    )


@bp.route("/mailbox/<message_id>")
@roles_required("admin")
def mailbox_message(message_id):
    return render(
        "messaging/mailbox_message.html", message=_message(message_id), channels=CHANNEL_LABELS
    )


@bp.route("/mailbox/<message_id>/attachments/<int:index>")
@roles_required("admin")
def attachment(message_id, index):
    message = _message(message_id)
    attachments = message.attachments or []
    if not 0 <= index < len(attachments):
        abort(404)
    item = attachments[index]
    return send_file(  # quotes and non-ASCII file names are encoded for the header
        io.BytesIO(base64.b64decode(item["data"])),
        mimetype=item["content_type"],
        as_attachment=True,
        download_name=item["filename"],
    )


registry.add_nav(_l("Messages"), "messaging.messages", ("admin",), 82)
registry.add_nav(_l("Mailbox"), "messaging.mailbox", ("admin",), 83)
