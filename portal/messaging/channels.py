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
from flask_babel import gettext as _

TIMEOUT = 10


class PermanentFailure(Exception):
    pass


class TemporaryFailure(Exception):
    pass


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
    """Why a message on `channel` cannot go to a person with no address there."""
    if channel == "email":
        return _("This person has no email address.")
    if channel == "telegram":
        return _("Invalid telegram_chat_id: this person has no Telegram chat id.")
    return _("This person has no phone number.")


def send_email(message) -> Delivery:
    if not message.recipient_address:
        raise PermanentFailure(missing_address("email"))
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _mailbox()
    email = build_email(message)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=TIMEOUT) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(_("The mail server refused the address: %(e)s", e=exc)) from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(
                _("The mail server refused the message: %(e)s", e=exc.smtp_error)
            ) from exc
        raise TemporaryFailure(str(exc)) from exc
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(_("The mail server cannot be reached: %(e)s", e=exc)) from exc
    return Delivery(transport="smtp", provider_message_id=email["Message-ID"], delivered=True)


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
        raise TemporaryFailure(_("Telegram cannot be reached: %(e)s", e=exc)) from exc
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
            raise PermanentFailure(_("Invalid telegram_chat_id: %(e)s", e=description))
        raise PermanentFailure(_("Telegram refused the message: %(e)s", e=description))
    raise TemporaryFailure(
        _("Telegram answered %(code)s: %(e)s", code=response.status_code, e=description)
    )


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
        "StatusCallback": f"{config['BASE_URL']}/api/v1/webhooks/twilio/status",
    }
    try:
        response = requests.post(url, data=data, auth=(sid, token), timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise TemporaryFailure(_("Twilio cannot be reached: %(e)s", e=exc)) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code in (200, 201):
        return Delivery("twilio", body.get("sid"), delivered=False)
    detail = body.get("message") or response.reason or str(response.status_code)
    if response.status_code in (400, 401, 403, 404) or body.get("code") in TWILIO_PERMANENT_CODES:
        raise PermanentFailure(_("Twilio refused the message: %(e)s", e=detail))
    raise TemporaryFailure(
        _("Twilio answered %(code)s: %(e)s", code=response.status_code, e=detail)
    )


SENDERS = {
    "email": send_email,
    "telegram": send_telegram,
    "whatsapp": send_twilio,
    "sms": send_twilio,
}
