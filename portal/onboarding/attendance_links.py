"""Signed links that let a contact confirm attendance from a Telegram message."""

from __future__ import annotations

import uuid

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal.extensions import db
from portal.onboarding.models import SessionAttendee


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="confirm-attendance")


def confirm_path(attendee: SessionAttendee) -> str:
    return f"/onboarding/attendance/{_serializer().dumps(str(attendee.id))}"


def attendee_for_token(token: str) -> SessionAttendee | None:
    try:
        return db.session.get(SessionAttendee, uuid.UUID(_serializer().loads(token)))
    except (BadSignature, ValueError, TypeError):
        return None
