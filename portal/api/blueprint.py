"""The /api/v1 blueprint and the bearer-token authentication in front of it."""

from __future__ import annotations

from flask import Blueprint, g, request

from portal.accounts.services import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def authenticate_bearer() -> None:
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = user_for_token(token.strip())
        g.api_token_given = True
