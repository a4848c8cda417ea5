"""API shapes for accounts: tokens, the caller's profile and users."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.accounts.telegram_links import chat_read_only_message
from portal.core.pagination import PageQuery

Role = Literal["admin", "coordinator", "trainer", "learner"]
Locale = Literal["en", "fr", "tr"]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenRequest(StrictBody):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    name: str | None = Field(default=None, max_length=100)


class OrganisationOut(BaseModel):
    id: str
    name: str
    slug: str


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    organisation: OrganisationOut
    locale: Locale
    timezone: str
    telegram_chat_id: str | None
    phone: str | None
    is_active: bool
    created_at: str
    last_login_at: str | None


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    is_active: bool


class TokenCreated(BaseModel):
    token: str
    token_id: str
    user: UserOut


class TokenList(BaseModel):
    items: list[TokenOut]
    total_count: int


class MePatch(StrictBody):
    """Each may be left out; none but the phone may be emptied (null is refused as a wrong
    type). `telegram_chat_id` is read-only (422): POST /me/telegram-link links a chat."""

    READ_ONLY: ClassVar[dict] = {"telegram_chat_id": chat_read_only_message}

    name: str = Field(default=None, min_length=1, max_length=200)
    locale: Locale = None
    timezone: str = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)


class TelegramLinkOut(BaseModel):
    url: str = Field(description="https://t.me/<bot>?start=<start_token>: open it in Telegram")
    start_token: str = Field(description="one-time, for the bot's /start")
    expires_at: str


class UserCreate(StrictBody):
    email: str = Field(max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = Field(default=None, max_length=1024)
    locale: Locale = "en"
    timezone: str | None = Field(default=None, max_length=64)
    telegram_chat_id: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)


class UserPatch(StrictBody):
    role: Role | None = None
    is_active: bool | None = None


class UserQuery(PageQuery):
    role: Role | None = None
    q: str | None = Field(default=None, max_length=100)


class UserList(BaseModel):
    items: list[UserOut]
    total_count: int
