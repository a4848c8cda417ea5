"""Everything that changes organisations, users and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts import telegram_links
from portal.accounts.models import ApiToken, Organisation, User
from portal.core.clock import utcnow
from portal.core.db_errors import savepoint
from portal.core.errors import Forbidden, NotFound, ValidationError
from portal.core.i18n import is_timezone
from portal.core.locks import lock
from portal.core.permissions import ROLES
from portal.core.text_input import too_long
from portal.extensions import db

TOKEN_PREFIX = "pcs_"
MIN_PASSWORD_LENGTH = 8


def normalise_email(email: str) -> str:
    """Validate an address and fold its case (Turkish İ/ı included) for comparisons."""
    try:
        result = validate_email(
            (email or "").strip(), check_deliverability=False, test_environment=True
        )
    except EmailNotValidError:
        raise ValidationError(
            _("Please check the form."), details={"email": _("Enter a valid email address.")}
        ) from None
    return result.normalized.casefold()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "org"


def create_organisation(name: str, *, slug: str | None = None) -> Organisation:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Please check the form."), details={"name": _("Required.")})
    base = slug or _slug(name)
    candidate, n = base, 1
    while db.session.scalar(select(Organisation.id).where(Organisation.slug == candidate)):
        n += 1
        candidate = f"{base}-{n}"
    organisation = Organisation(name=name, slug=candidate)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def optional_text(value) -> str | None:
    """An optional detail as it is stored: trimmed text, or None when there is none."""
    return None if value is None else (str(value).strip() or None)


def check_profile_values(
    errors: dict,
    *,
    locale=None,
    timezone=None,
    role=None,
    name=None,
    telegram_chat_id=None,
    phone=None,
):
    """Add to `errors` what is wrong with these values of a person (None: not given)."""
    if locale is not None and locale not in current_app.config["LOCALES"]:
        errors["locale"] = _("Choose English, French or Turkish.")
    if timezone is not None and not is_timezone(timezone):
        errors["timezone"] = _("Choose a timezone from the list.")
    if role is not None and role not in ROLES:
        errors["role"] = _("Choose a role from the list.")
    if name is not None and not name.strip():
        errors["name"] = _("Required.")
    for field, value in (("name", name), ("telegram_chat_id", telegram_chat_id), ("phone", phone)):
        error = too_long(optional_text(value), User.__table__.c[field])
        if error and field not in errors:
            errors[field] = error


def _check_password(errors: dict, password: str | None, field: str = "password"):
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors[field] = _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(
    organisation: Organisation,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
    locale: str = "en",
    timezone: str | None = None,
    telegram_chat_id: str | None = None,
    phone: str | None = None,
    actor: User | None = None,
) -> User:
    """Create a person in an organisation. Staff-created people may have no password yet:
    they get an invitation email. Admins create anyone; coordinators create learners."""
    if actor is not None and not (
        actor.role == "admin" or (actor.role == "coordinator" and role == "learner")
    ):
        raise Forbidden(_("Only administrators can create users."))
    timezone = timezone or current_app.config["DEFAULT_TIMEZONE"]
    telegram_chat_id, phone = optional_text(telegram_chat_id), optional_text(phone)
    errors: dict = {}
    try:
        email = normalise_email(email)
    except ValidationError as exc:
        errors.update(exc.details)
    check_profile_values(
        errors,
        locale=locale,
        timezone=timezone,
        role=role,
        name=name or "",
        telegram_chat_id=telegram_chat_id,
        phone=phone,
    )
    _check_password(errors, password)
    if errors:
        raise ValidationError(_("Please check the form."), details=errors)
    user = User(
        organisation_id=organisation.id,
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        locale=locale,
        timezone=timezone,
        telegram_chat_id=telegram_chat_id,
        phone=phone,
    )
    # A taken email, or a chat linked to someone else, is refused by its constraint, even when
    # a concurrent twin took it.
    with savepoint():
        db.session.add(user)
    if password is None and actor is not None:
        invite_user(user, actor=actor)
    return user


def invite_user(user: User, *, actor: User | None = None):
    """Email a link to choose a password (people created by staff without one)."""
    from portal.accounts.invitations import make_link_token
    from portal.messaging.services import queue_message

    return queue_message(
        channel="email",
        message_type="account_invitation",
        recipient=user,
        context={
            "link": f"/set-password/{make_link_token(user)}",
            "organisation": user.organisation.name,
            "inviter": actor.name if actor is not None else None,
        },
        related=user,
    )


def set_password(user: User, password: str) -> User:
    errors: dict = {}
    _check_password(errors, password or "")
    if errors:
        raise ValidationError(_("Please check the form."), details=errors)
    user.password_hash = hash_password(password)
    return user


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The active user with this email and password, or None (same answer for every failure)."""
    try:
        email = normalise_email(email)
    except ValidationError:
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.password_hash or not user.is_active:
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = now or utcnow()
    return user


def update_profile(user: User, **changes) -> User:
    """Change one's own name, language, timezone or phone. The Telegram chat is not among
    them: it is linked by the bot (telegram_links), and refused here."""
    errors: dict = {}
    if "telegram_chat_id" in changes:
        errors["telegram_chat_id"] = telegram_links.chat_read_only_message()
    allowed = {"name", "locale", "timezone", "phone"}
    changes = {key: value for key, value in changes.items() if key in allowed}
    errors.update(
        (key, _("Required."))
        for key in ("name", "locale", "timezone")
        if key in changes and changes[key] is None  # these can be changed, not emptied
    )
    check_profile_values(
        errors,
        locale=changes.get("locale"),
        timezone=changes.get("timezone"),
        name=changes.get("name"),
        phone=optional_text(changes.get("phone")),
    )
    if errors:
        raise ValidationError(_("Please check the form."), details=errors)
    for key, value in changes.items():
        if key == "phone":
            value = optional_text(value)
        elif key == "name":
            value = value.strip()
        setattr(user, key, value)
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    errors: dict = {}
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = _("The current password is not correct.")
    _check_password(errors, new or "", field="new_password")
    if errors:
        raise ValidationError(_("Please check the form."), details=errors)
    user.password_hash = hash_password(new)


def _keep_an_admin(user: User, actor: User, *, field: str) -> None:
    """Lock the organisation's active admins before counting them, and check that the actor
    is still one of them: two admins demoting or deactivating each other at the same moment
    take turns, and the second finds what the first did."""
    admins = {
        row.id
        for row in lock(
            select(User.id)
            .where(
                User.organisation_id == user.organisation_id,
                User.role == "admin",
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    }
    if actor.id not in admins:
        raise Forbidden(_("Only administrators can manage users."))
    db.session.refresh(user)  # its role and activity as the lock found them
    if user.role == "admin" and user.is_active and admins <= {user.id}:
        message = _("The organisation needs at least one active administrator.")
        raise ValidationError(message, details={field: message})


def _check_admin_change(user: User, actor: User) -> None:
    if actor.role != "admin":
        raise Forbidden(_("Only administrators can manage users."))
    if user.organisation_id != actor.organisation_id:
        raise NotFound(_("No such user."))


def change_role(user: User, role: str, *, actor: User) -> User:
    _check_admin_change(user, actor)
    errors: dict = {}
    check_profile_values(errors, role=role)
    if errors:
        raise ValidationError(_("Please check the form."), details=errors)
    if role != "admin":
        _keep_an_admin(user, actor, field="role")
    user.role = role
    return user


def set_user_active(user: User, active: bool, *, actor: User) -> User:
    _check_admin_change(user, actor)
    if not active and user.id == actor.id:
        raise ValidationError(
            _("You cannot deactivate your own account."),
            details={"is_active": _("You cannot deactivate your own account.")},
        )
    if not active:
        _keep_an_admin(user, actor, field="is_active")
    user.is_active = active
    if not active:
        for token in user.tokens:
            if token.revoked_at is None:
                token.revoked_at = utcnow()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, name: str | None = None, now: datetime | None = None):
    """A new API token for `user`: returns the row and the token, which is shown only once."""
    name = (name or "").strip() or _("API token")
    if len(name) > 100:
        raise ValidationError(
            _("Please check the form."), details={"name": _("At most 100 characters.")}
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_token_hash(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        created_at=now or utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row, plain


def revoke_token(token: ApiToken, *, actor: User, now: datetime | None = None) -> ApiToken:
    if token.user_id != actor.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


# Built once: every API request runs it, and a prepared statement skips rebuilding its cache key.
_USER_FOR_TOKEN = (
    select(User, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.is_active.is_(True),
    )
)
_TOKEN_USED = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


def user_for_token(plain: str, *, now: datetime | None = None) -> User | None:
    """The active user behind a live bearer token, recording when it was last used."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    found = db.session.execute(_USER_FOR_TOKEN, {"token_hash": _token_hash(plain)}).first()
    if found is None:
        return None
    user, token_id, last_used_at = found
    now = now or utcnow()
    # Write the last use at most once a minute, so reads stay reads.
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        db.session.execute(_TOKEN_USED, {"token_id": token_id, "now": now})
        db.session.commit()
    return user
