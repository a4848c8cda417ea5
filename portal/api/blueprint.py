"""The /api/v1 blueprint and the bearer-token authentication in front of it."""

from __future__ import annotations

from flask import Blueprint, g, request

from portal.accounts.services import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_app_request  # also for an unknown /api/v1 path: its 404 is in the caller's language
def authenticate_bearer() -> None:
    if not request.path.startswith(bp.url_prefix + "/") and request.path != bp.url_prefix:
        return
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = user_for_token(token.strip())
        g.api_token_given = True
