"""Links that let a person created by staff choose their password (single use, 7 days)."""

from __future__ import annotations

import uuid

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.accounts.models import User
from portal.extensions import db

MAX_AGE = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def _fingerprint(user: User) -> str:
    # Changes as soon as a password is set, so a link works once.
    return (user.password_hash or "none")[-12:]


def make_link_token(user: User) -> str:
    return _serializer().dumps({"uid": str(user.id), "fp": _fingerprint(user)})


def user_for_link_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
        user = db.session.get(User, uuid.UUID(data["uid"]))
    except (BadSignature, KeyError, ValueError, TypeError):
        return None
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        return None
    return user
