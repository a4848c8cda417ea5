"""Reading people and tokens, always within the caller's organisation."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from portal.accounts.models import ApiToken, TelegramLinkToken, User
from portal.core.errors import NotFound
from portal.extensions import db


def _uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def get_user(user_id, *, organisation_id) -> User:
    """One user of the organisation, or NotFound (also for other organisations' users)."""
    key = _uuid(user_id)
    user = db.session.get(User, key) if key else None
    if user is None or user.organisation_id != organisation_id:
        raise NotFound(_("No such user."))
    return user


def list_users(*, organisation_id, role: str | None = None, search: str | None = None) -> Select:
    query = select(User).where(User.organisation_id == organisation_id)
    if role:
        query = query.where(User.role == role)
    if search:
        pattern = f"%{search.strip().casefold()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), User.email.like(pattern)))
    return query.order_by(User.name, User.email)


def count_users_by_role(*, organisation_id) -> dict[str, int]:
    rows = db.session.execute(
        select(User.role, func.count(User.id))
        .where(User.organisation_id == organisation_id, User.is_active)
        .group_by(User.role)
    )
    return dict(rows.all())


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def get_token(token_id, *, user: User) -> ApiToken:
    key = _uuid(token_id)
    token = db.session.get(ApiToken, key) if key else None
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    return token


def get_telegram_link(link_id, *, user: User) -> TelegramLinkToken | None:
    """One of `user`'s Telegram links, or None (someone else's, replaced, or no such link)."""
    key = _uuid(link_id)
    link = db.session.get(TelegramLinkToken, key) if key else None
    return link if link is not None and link.user_id == user.id else None
