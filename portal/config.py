"""Settings read from the environment, with defaults that run the embedded product."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("en", "fr", "tr")


def _instance_dir() -> Path:
    path = Path(os.environ.get("PORTAL_INSTANCE_DIR", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'parcours.db'}"
    # psycopg 3 is the driver; accept the common short forms.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config() -> dict:
    """Build the application's configuration from the environment."""
    instance = _instance_dir()
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        # Pooled connections are pinged when they have been idle (portal.core.connections).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": redis_url,
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Parcours <no-reply@localhost>"
        ),
        "TELEGRAM_BOT_TOKEN": os.environ.get("TELEGRAM_BOT_TOKEN") or None,
        "TELEGRAM_API_BASE": os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org"),
        "TELEGRAM_WEBHOOK_SECRET": os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
        # The bot people open from their profile: https://t.me/<username>?start=<token>
        "TELEGRAM_BOT_USERNAME": (
            os.environ.get("TELEGRAM_BOT_USERNAME") or "ParcoursDemoBot"
        ).removeprefix("@"),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_WHATSAPP_FROM": os.environ.get("TWILIO_WHATSAPP_FROM") or None,
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", "https://api.twilio.com"),
        "CRM_API_BASE": os.environ.get("CRM_API_BASE") or None,
        "CRM_API_TOKEN": os.environ.get("CRM_API_TOKEN") or None,
        "CRM_WEBHOOK_SECRET": os.environ.get("CRM_WEBHOOK_SECRET") or None,
        "STUCK_AFTER_DAYS": _int("STUCK_AFTER_DAYS", 7),
        "WORKER_HEARTBEAT_SECONDS": _int("WORKER_HEARTBEAT_SECONDS", 90),
        # Start the in-process worker thread (portal run / demo); off for tests and serve.
        "EMBEDDED_WORKER": _flag("PORTAL_EMBEDDED_WORKER", False),
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "MAX_JSON_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "FORCE_HTTPS": _flag("FORCE_HTTPS"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LOCALES": LOCALES,
        "DEFAULT_TIMEZONE": os.environ.get("PORTAL_DEFAULT_TIMEZONE", "Europe/Paris"),
    }
