"""Linking a Telegram chat to a person. A person asks for a one-time link to the bot
(`https://t.me/<bot>?start=<token>`); the bot's `/start <token>` from a chat binds that chat to
them. A chat id is never typed by the person it is for, and one chat belongs to one person in
the whole product (a unique constraint, answered in accounts.models); staff may give a contact's
chat id, as long as it is nobody else's."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import TelegramLinkToken, User
from portal.core.clock import utcnow
from portal.core.db_errors import constraint_name
from portal.extensions import db

LINK_LIFETIME = timedelta(minutes=15)
CHAT_CONSTRAINT = "uq_users_telegram_chat_id"

# What the bot's /start <token> came to (see link_chat).
LINKED, INVALID, TAKEN = "linked", "invalid", "taken"


def chat_read_only_message() -> str:
    return _("Connect Telegram from your profile: a chat is linked by the bot, not typed.")


def chat_owner(chat_id: str | None) -> User | None:
    """The person this chat is linked to, if any."""
    if not chat_id:
        return None
    return db.session.scalar(select(User).where(User.telegram_chat_id == chat_id))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"https://t.me/{current_app.config['TELEGRAM_BOT_USERNAME']}?start={token}"


def issue_link(user: User, *, now: datetime | None = None) -> tuple[TelegramLinkToken, str]:
    """A new one-time token for `user` (usable once, for LINK_LIFETIME); it replaces the unused
    ones they had. Returns the row and the token, which only the link shown now carries."""
    now = now or utcnow()
    db.session.execute(
        delete(TelegramLinkToken).where(
            TelegramLinkToken.user_id == user.id, TelegramLinkToken.used_at.is_(None)
        )
    )
    # Telegram's start parameter takes at most 64 of A-Z, a-z, 0-9, _ and -: 32 of them here.
    token = secrets.token_urlsafe(24)
    row = TelegramLinkToken(
        user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=now + LINK_LIFETIME
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def unlink(user: User) -> User:
    """Telegram is no longer used for `user`; a link they asked for and did not use is void."""
    user.telegram_chat_id = None
    db.session.execute(
        delete(TelegramLinkToken).where(
            TelegramLinkToken.user_id == user.id, TelegramLinkToken.used_at.is_(None)
        )
    )
    return user


class _Spent(Exception):
    """The token was used by another /start a moment ago."""


def link_chat(token: str, chat_id: str, *, now: datetime | None = None):
    """The bot's `/start <token>` from `chat_id`. Returns (outcome, person): LINKED (the chat is
    now the person's), INVALID (a token unknown, expired, used or of a deactivated person; the
    person is None when the token is unknown) or TAKEN (the chat is someone else's; the token
    stays usable from another chat). A token is spent only by a link that holds."""
    now = now or utcnow()
    row = db.session.scalar(
        select(TelegramLinkToken).where(TelegramLinkToken.token_hash == _hash(token))
    )
    if row is None:
        return INVALID, None
    person = row.user
    if row.used_at is not None or row.expires_at <= now or not person.is_active:
        return INVALID, person
    owner = chat_owner(chat_id)
    if owner is not None and owner.id != person.id:
        return TAKEN, person
    try:
        with db.session.begin_nested():
            spent = db.session.execute(
                update(TelegramLinkToken)
                .where(TelegramLinkToken.id == row.id, TelegramLinkToken.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if spent.rowcount != 1:
                raise _Spent
            person.telegram_chat_id = chat_id
            db.session.flush()
    except _Spent:
        return INVALID, person
    except IntegrityError as exc:  # another person linked this chat at the same moment
        if constraint_name(exc) != CHAT_CONSTRAINT:
            raise
        return TAKEN, person
    return LINKED, person
