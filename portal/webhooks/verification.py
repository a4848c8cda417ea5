"""Checking that a webhook delivery comes from who it says: Standard Webhooks signatures
(partners, the CRM), Telegram's secret token and Twilio's signature. Each answers how the
delivery was verified, or raises InvalidSignature (answered 401, and nothing is stored)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping

from flask_babel import gettext as _
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from twilio.request_validator import RequestValidator

from portal.core.errors import DomainError

STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 401


def _refused() -> InvalidSignature:
    return InvalidSignature(_("The signature is not valid."))


def standard_webhook(secrets: Iterable[str], body: bytes, headers: Mapping[str, str]) -> str:
    """Verify a Standard Webhooks delivery (`webhook-id`, `webhook-timestamp` within five
    minutes, `v1,` HMAC signatures) against each secret in force: during a rotation the old and
    the new one both verify. Returns which secret did ("standard-webhooks#2")."""
    wanted = {name: headers.get(name, "") for name in STANDARD_HEADERS}
    for number, secret in enumerate(s for s in secrets if s):
        try:
            Webhook(secret).verify(body, wanted, json_parse=False)
        except WebhookVerificationError:
            continue
        except ValueError:  # a secret that is not base64: configured wrong, never matches
            continue
        return f"standard-webhooks#{number + 1}"
    raise _refused()


def telegram_secret(expected: str | None, given: str | None) -> str:
    """Telegram sends the secret token set with setWebhook in a header."""
    if not expected or not hmac.compare_digest(expected.encode(), (given or "").encode()):
        raise _refused()
    return "telegram-secret-token"


def twilio_signature(auth_token: str | None, url: str, form: dict, signature: str | None) -> str:
    """Twilio signs the full address it called and the posted form."""
    if not auth_token or not RequestValidator(auth_token).validate(url, form, signature or ""):
        raise _refused()
    return "twilio-signature"
