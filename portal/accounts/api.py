"""API handlers for tokens, the caller's profile and user administration."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from portal.accounts import queries, services, telegram_links
from portal.accounts.schemas import (
    MePatch,
    TelegramLinkOut,
    TokenCreated,
    TokenList,
    TokenOut,
    TokenRequest,
    UserCreate,
    UserList,
    UserOut,
    UserPatch,
    UserQuery,
)
from portal.api.endpoints import current_api_user, endpoint
from portal.api.errors import error_response
from portal.core.i18n import utc_iso
from portal.core.pagination import PageQuery, paginate, paginate_list
from portal.extensions import db, limiter


def user_json(user) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "organisation": {
            "id": str(user.organisation.id),
            "name": user.organisation.name,
            "slug": user.organisation.slug,
        },
        "locale": user.locale,
        "timezone": user.timezone,
        "telegram_chat_id": user.telegram_chat_id,
        "phone": user.phone,
        "is_active": user.is_active,
        "created_at": utc_iso(user.created_at),
        "last_login_at": utc_iso(user.last_login_at),
    }


def token_json(token) -> dict:
    return {
        "id": str(token.id),
        "name": token.name,
        "prefix": token.prefix,
        "created_at": utc_iso(token.created_at),
        "last_used_at": utc_iso(token.last_used_at),
        "revoked_at": utc_iso(token.revoked_at),
        "is_active": token.is_active,
    }


def _token_limit_key() -> str:
    data = request.get_json(silent=True)
    email = data.get("email", "") if isinstance(data, dict) else ""
    return f"login:{request.remote_addr}:{str(email).strip().casefold()}"


@endpoint(
    "/auth/tokens",
    method="POST",
    summary="Exchange email and password for an API token",
    tag="accounts",
    body=TokenRequest,
    response=TokenCreated,
    status=201,
    public=True,
    errors=(401, 429),
)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_token_limit_key)
def create_token(body: TokenRequest):
    user = services.authenticate(body.email, body.password)
    if user is None:
        return error_response(401, "invalid_credentials", _("Email or password is not correct."))
    row, plain = services.issue_token(user, name=body.name)
    db.session.commit()
    return {"token": plain, "token_id": str(row.id), "user": user_json(user)}


@endpoint(
    "/auth/tokens",
    summary="List your API tokens",
    tag="accounts",
    query=PageQuery,
    response=TokenList,
)
def list_tokens(query: PageQuery):
    page = paginate_list(queries.list_tokens(current_api_user()), query.limit, query.offset)
    return {"items": [token_json(t) for t in page.items], "total_count": page.total_count}


@endpoint(
    "/auth/tokens/<token_id>",
    method="DELETE",
    summary="Revoke one of your API tokens",
    tag="accounts",
    response=TokenOut,
    errors=(404,),
)
def revoke_token(token_id):
    user = current_api_user()
    token = services.revoke_token(queries.get_token(token_id, user=user), actor=user)
    db.session.commit()
    return token_json(token)


@endpoint("/me", summary="Your profile", tag="accounts", response=UserOut)
def get_me():
    return user_json(current_api_user())


@endpoint(
    "/me",
    method="PATCH",
    summary="Change your name, language, timezone or phone (telegram_chat_id is read-only: 422)",
    tag="accounts",
    body=MePatch,
    response=UserOut,
)
def patch_me(body: MePatch):
    user = current_api_user()
    services.update_profile(user, **body.model_dump(exclude_unset=True))
    db.session.commit()
    return user_json(user)


@endpoint(
    "/me/telegram-link",
    method="POST",
    summary="A one-time link to the bot: its /start <start_token> links that chat to you "
    "(15 minutes; a new link replaces the one before)",
    tag="accounts",
    response=TelegramLinkOut,
    status=201,
)
def create_telegram_link():
    row, token = telegram_links.issue_link(current_api_user())
    db.session.commit()
    return {
        "url": telegram_links.link_url(token),
        "start_token": token,
        "expires_at": utc_iso(row.expires_at),
    }


@endpoint(
    "/me/telegram-link",
    method="DELETE",
    summary="Unlink your Telegram chat (and void a link not used yet)",
    tag="accounts",
    response=UserOut,
)
def delete_telegram_link():
    user = telegram_links.unlink(current_api_user())
    db.session.commit()
    return user_json(user)


@endpoint(
    "/users",
    summary="List the users of your organisation",
    tag="accounts",
    query=UserQuery,
    response=UserList,
    roles=("admin",),
)
def list_users(query: UserQuery):
    user = current_api_user()
    page = paginate(
        queries.list_users(organisation_id=user.organisation_id, role=query.role, search=query.q),
        query.limit,
        query.offset,
    )
    return {"items": [user_json(u) for u in page.items], "total_count": page.total_count}


@endpoint(
    "/users",
    method="POST",
    summary="Create a user in your organisation",
    tag="accounts",
    body=UserCreate,
    response=UserOut,
    status=201,
    roles=("admin",),
    errors=(409,),
)
def create_user(body: UserCreate):
    actor = current_api_user()
    user = services.create_user(actor.organisation, actor=actor, **body.model_dump())
    db.session.commit()
    return user_json(user)


@endpoint(
    "/users/<user_id>",
    summary="One user of your organisation",
    tag="accounts",
    response=UserOut,
    roles=("admin",),
    errors=(404,),
)
def get_user(user_id):
    actor = current_api_user()
    return user_json(queries.get_user(user_id, organisation_id=actor.organisation_id))


@endpoint(
    "/users/<user_id>",
    method="PATCH",
    summary="Change a user's role or deactivate them",
    tag="accounts",
    body=UserPatch,
    response=UserOut,
    roles=("admin",),
    errors=(404,),
)
def patch_user(user_id, body: UserPatch):
    actor = current_api_user()
    user = queries.get_user(user_id, organisation_id=actor.organisation_id)
    if body.role is not None:
        services.change_role(user, body.role, actor=actor)
    if body.is_active is not None:
        services.set_user_active(user, body.is_active, actor=actor)
    db.session.commit()
    return user_json(user)
