"""Language and timezone of the current request, and date formatting in them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_request_context, request, session
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "tr": "Türkçe"}


def current_person():
    """The authenticated user of this request: API token first, then the browser session."""
    if not has_request_context():
        return None
    user = g.get("api_user")
    if user is not None:
        return user
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None


def _header_locale() -> str | None:
    if not request.accept_languages:
        return None
    return request.accept_languages.best_match(current_app.config["LOCALES"])


def select_locale() -> str:
    """API: Accept-Language overrides the profile. Pages: the profile, then the browser."""
    forced = g.get("forced_locale")
    if forced:
        return forced
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        header = _header_locale()
        if header and "Accept-Language" in request.headers:
            return header
    user = current_person()
    if user is not None and user.locale:
        return user.locale
    if session.get("lang") in current_app.config["LOCALES"]:
        return session["lang"]
    return _header_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    forced = g.get("forced_timezone")
    if forced:
        return forced
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    user = current_person()
    if user is not None and user.timezone:
        return user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def is_timezone(name: str) -> bool:
    return name in timezone_names()


def local_iso(value: datetime | None, tz_name: str) -> str | None:
    """An ISO 8601 string with the offset of the given zone (for `*_local` API fields)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz_name)).isoformat()


def utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z")


def format_when(value: datetime | None, format: str = "medium") -> str:
    """A date and time in the current user's language and timezone."""
    if value is None:
        return ""
    return format_datetime(value, format)


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in current_app.config["LOCALES"]]


def current_language() -> str:
    return str(get_locale() or "en")


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "trainer": _l("Trainer"),
    "learner": _l("Learner"),
}


@contextmanager
def in_language_of(person=None, *, locale: str | None = None, timezone: str | None = None):
    """Render text for someone else (a message recipient) in their language and timezone."""
    from flask_babel import refresh

    previous = (g.get("forced_locale"), g.get("forced_timezone"))
    g.forced_locale = locale or getattr(person, "locale", None) or "en"
    g.forced_timezone = timezone or getattr(person, "timezone", None) or "UTC"
    refresh()
    try:
        yield
    finally:
        g.forced_locale, g.forced_timezone = previous
        refresh()


def local_to_utc(day, clock, tz_name: str) -> datetime:
    """A wall-clock date and time in a zone, as aware UTC. A time skipped by a DST change
    does not exist: ValueError. An ambiguous one takes its first occurrence (fold=0)."""
    from datetime import UTC
    from datetime import datetime as _datetime

    zone = ZoneInfo(tz_name)
    naive = _datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError("nonexistent local time")
    return utc
