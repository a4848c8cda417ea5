"""Admin pages: webhook deliveries with how they were verified and what processing did, and a
button to process one in review or failed again."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core.errors import DomainError
from portal.core.htmx import redirect_to, render
from portal.core.navigation import registry
from portal.core.pagination import page_asked, paginate
from portal.core.permissions import roles_required
from portal.extensions import db
from portal.webhooks import intake, queries
from portal.webhooks.models import STATES
from portal.webhooks.states import DELIVERY

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _delivery(delivery_id):
    try:
        return queries.get_delivery(delivery_id, current_user)
    except DomainError:
        abort(404)


@bp.route("/")
@roles_required("admin")
def deliveries():
    state = request.args.get("state") if request.args.get("state") in STATES else None
    known = queries.sources(current_user)
    source = request.args.get("source") if request.args.get("source") in known else None
    limit, offset, _carried = page_asked(request.args, default=25)
    page = paginate(
        queries.list_deliveries(current_user, state=state, source=source), limit, offset
    )
    return render(
        "webhooks/deliveries.html",
        block="delivery_rows",
        page=page,
        state_filter=state,
        source_filter=source,
        states={name: DELIVERY.states[name] for name in STATES},
        sources=known,
    )


@bp.route("/<delivery_id>")
@roles_required("admin")
def delivery(delivery_id):
    found = _delivery(delivery_id)
    return render(
        "webhooks/delivery.html",
        delivery=found,
        reason=intake.reason_text(found),
        states=DELIVERY.states,
    )


@bp.route("/<delivery_id>/process", methods=["POST"])
@roles_required("admin")
def process_again(delivery_id):
    found = _delivery(delivery_id)
    try:
        intake.process_again(found, actor=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        messages = {
            "processed": _("The delivery is processed."),
            "review": _("The delivery is still in review: %(reason)s"),
            "failed": _("Processing failed again: %(reason)s"),
        }
        flash(
            messages[found.state] % {"reason": intake.reason_text(found) or ""},
            "success" if found.state == "processed" else "error",
        )
    return redirect_to(url_for("webhooks.delivery", delivery_id=found.id))


registry.add_nav(_l("Webhooks"), "webhooks.deliveries", ("admin",), 84)
