"""One public page."""

from flask import Blueprint

from portal.core.permissions import public

bp = Blueprint("tinymod", __name__, url_prefix="/tiny")


@bp.route("/")
@public
def page():
    return "A tiny module's page"
