"""Channels that hand a message to the outside world: SMTP, the Telegram Bot API, Twilio.

A channel returns a Delivery, or raises PermanentFailure (retrying cannot help: bad address,
blocked bot) or TemporaryFailure (network, rate limit, provider outage: try again later).
A channel with no configuration keeps its messages in the development mailbox instead.
"""

from __future__ import annotations

import base64
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import requests
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

TIMEOUT = 10


# Why a delivery failed, by code: stored with the message and shown in each reader's language.
FAILURES = {
    "no_email": _l("This person has no email address."),
    "no_telegram": _l("Invalid telegram_chat_id: this person has no Telegram chat id."),
    "no_phone": _l("This person has no phone number."),
    "smtp_refused_address": _l("The mail server refused the address: %(e)s"),
    "smtp_refused_message": _l("The mail server refused the message: %(e)s"),
    "smtp_unreachable": _l("The mail server cannot be reached: %(e)s"),
    "smtp_answered": _l("The mail server answered: %(e)s"),
    "telegram_unreachable": _l("Telegram cannot be reached: %(e)s"),
    "telegram_bad_chat": _l("Invalid telegram_chat_id: %(e)s"),
    "telegram_refused": _l("Telegram refused the message: %(e)s"),
    "telegram_answered": _l("Telegram answered %(code)s: %(e)s"),
    "twilio_unreachable": _l("Twilio cannot be reached: %(e)s"),
    "twilio_refused": _l("Twilio refused the message: %(e)s"),
    "twilio_answered": _l("Twilio answered %(code)s: %(e)s"),
    "gave_up": _l("Gave up after %(n)d attempts: %(e)s"),
    "interrupted": _l("Every attempt stopped before its outcome was recorded."),
}


def failure_text(code: str, params: dict) -> str:
    """The failure in the current language; a value that is itself a failure's detail (what
    a delivery gave up on) is put in the same language."""
    values = {
        name: failure_text(value["code"], value["params"]) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return str(FAILURES[code]) % values


class Failure(Exception):
    def __init__(self, code: str, /, **params):  # a failure may have a "code" value too
        super().__init__(code)
        self.code = code
        self.params = {
            name: value if isinstance(value, int | dict) else str(value)
            for name, value in params.items()
        }

    @property
    def detail(self) -> dict:
        return {"code": self.code, "params": self.params}

    def __str__(self) -> str:  # what error_message and the history keep: English
        with force_locale("en"):
            return failure_text(self.code, self.params)


class PermanentFailure(Failure):
    """Retrying cannot help: a bad address, a refused message."""


class TemporaryFailure(Failure):
    """Worth another try later: a server that cannot be reached."""


@dataclass(frozen=True)
class Delivery:
    transport: str
    provider_message_id: str | None = None
    delivered: bool = False  # True when the channel confirms delivery at once


def _mailbox() -> Delivery:
    return Delivery(transport="mailbox", delivered=True)


def build_email(message) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject or ""
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient_address
    email["Message-ID"] = make_msgid(idstring=str(message.id))
    email.set_content(message.content)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments or []:
        maintype, _slash, subtype = attachment["content_type"].partition("/")
        subtype, _semi, params = subtype.partition(";")
        email.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype.strip(),
            filename=attachment["filename"],
            params=dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p),
        )
    return email


def missing_address(channel: str) -> str:
    """The failure code of a message on `channel` to a person with no address there."""
    return {"email": "no_email", "telegram": "no_telegram"}.get(channel, "no_phone")


def send_email(message) -> Delivery:
    if not message.recipient_address:
        raise PermanentFailure(missing_address("email"))
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _mailbox()
    email = build_email(message)
    smtp = None
    try:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=TIMEOUT)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        # 5xx for every recipient is final; a 4xx (greylisting, a full mailbox) is worth a retry
        codes = [code for code, _text in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentFailure("smtp_refused_address", e=exc) from exc
        raise TemporaryFailure("smtp_answered", e=exc) from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure("smtp_refused_message", e=exc.smtp_error) from exc
        raise TemporaryFailure("smtp_answered", e=exc) from exc
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure("smtp_unreachable", e=exc) from exc
    finally:
        _hang_up(smtp)
    return Delivery(transport="smtp", provider_message_id=email["Message-ID"], delivered=True)


def _hang_up(smtp: smtplib.SMTP | None) -> None:
    """QUIT after the message was accepted (or refused): the server's answer to it changes
    nothing, so an odd one never turns a sent email into a failure and a resend."""
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def send_telegram(message) -> Delivery:
    if not message.recipient_address:
        raise PermanentFailure(missing_address("telegram"))
    config = current_app.config
    token = config.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return _mailbox()
    url = f"{config['TELEGRAM_API_BASE'].rstrip('/')}/bot{token}/sendMessage"
    try:
        response = requests.post(
            url,
            json={
                "chat_id": message.recipient_address,
                "text": message.content,
                "disable_web_page_preview": True,
            },
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TemporaryFailure("telegram_unreachable", e=exc) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code == 200 and body.get("ok"):
        result = body.get("result") or {}
        # The Bot API has no delivery receipts: accepted by Telegram counts as delivered.
        return Delivery("telegram", str(result.get("message_id", "")) or None, delivered=True)
    description = body.get("description") or response.reason or str(response.status_code)
    if response.status_code in (400, 401, 403, 404):
        if "chat not found" in description.lower() or response.status_code == 400:
            raise PermanentFailure("telegram_bad_chat", e=description)
        raise PermanentFailure("telegram_refused", e=description)
    raise TemporaryFailure("telegram_answered", code=response.status_code, e=description)


TWILIO_PERMANENT_CODES = {21211, 21408, 21610, 21612, 21614, 63003, 63016}


def send_twilio(message) -> Delivery:
    if not message.recipient_address:
        raise PermanentFailure(missing_address(message.channel))
    config = current_app.config
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        return _mailbox()
    sender = config.get("TWILIO_WHATSAPP_FROM") or ""
    to = message.recipient_address
    if message.channel == "whatsapp":
        to = to if to.startswith("whatsapp:") else f"whatsapp:{to}"
        sender = sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"
    else:
        sender = sender.removeprefix("whatsapp:")
    url = f"{config['TWILIO_API_BASE'].rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
    data = {
        "To": to,
        "From": sender,
        "Body": message.content,
        # our id in the address: a callback that comes before the worker has written the
        # provider's id still finds its message
        "StatusCallback": (
            f"{config['BASE_URL']}/api/v1/webhooks/twilio/status?message_id={message.id}"
        ),
    }
    try:
        response = requests.post(url, data=data, auth=(sid, token), timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise TemporaryFailure("twilio_unreachable", e=exc) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code in (200, 201):
        return Delivery("twilio", body.get("sid"), delivered=False)
    detail = body.get("message") or response.reason or str(response.status_code)
    if response.status_code in (400, 401, 403, 404) or body.get("code") in TWILIO_PERMANENT_CODES:
        raise PermanentFailure("twilio_refused", e=detail)
    raise TemporaryFailure("twilio_answered", code=response.status_code, e=detail)


SENDERS = {
    "email": send_email,
    "telegram": send_telegram,
    "whatsapp": send_twilio,
    "sms": send_twilio,
}
