"""The bell in the header (polled, so new notifications appear without a reload) and the list."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core.errors import DomainError
from portal.core.htmx import is_htmx, render
from portal.core.navigation import registry
from portal.core.pagination import page_asked, paginate
from portal.core.permissions import roles_required
from portal.extensions import db
from portal.notifications import services

bp = Blueprint("notifications", __name__)


def _list_context():
    """The list as the query string asks for it, and `list_args`: the same view (unread only,
    page) for the buttons on it to come back to."""
    unread_only = request.args.get("unread") == "1"
    limit, offset, carried = page_asked(request.args, default=25)
    list_args = {"unread": 1, **carried} if unread_only else carried
    return {
        "page": paginate(services.list_for(current_user, unread_only=unread_only), limit, offset),
        "unread_only": unread_only,
        "unread": services.unread_count(current_user),
        "list_args": list_args,
    }


@bp.route("/notifications/bell")
@roles_required()
def bell():
    return render("notifications/_bell.html", unread=services.unread_count(current_user))


@bp.route("/notifications")
@roles_required()
def index():
    return render("notifications/index.html", block="notification_list", **_list_context())


@bp.route("/notifications/<notification_id>/read", methods=["POST"])
@roles_required()
def read(notification_id):
    try:
        notification = services.get_own(notification_id, current_user)
    except DomainError:
        abort(404)
    services.mark_read(notification)
    db.session.commit()
    if request.form.get("follow") and notification.link and notification.link.startswith("/"):
        return redirect(notification.link)
    return _back_to_the_list()


@bp.route("/notifications/read-all", methods=["POST"])
@roles_required()
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    return _back_to_the_list()


def _back_to_the_list():
    context = _list_context()
    if is_htmx():
        return render(
            "notifications/index.html", block="notification_list", oob=("bell_oob",), **context
        )
    return redirect(url_for("notifications.index", **context["list_args"]))


registry.add_nav(
    _l("Notifications"), "notifications.index", ("admin", "coordinator", "trainer", "learner"), 95
)
