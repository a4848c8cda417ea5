"""Message texts come from templates/messages/<type>.html: blocks subject, text and html,
rendered in the recipient's language and timezone. The subject and text are plain text, so
they are rendered without HTML escaping (a name with an apostrophe or "&" reads as typed); the
html block is escaped as every page is."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from jinja2_fragments import render_block

from portal.core.i18n import in_language_of
from portal.core.modules import message_types


def message_type_label(message_type: str) -> str:
    """What the admin pages call a message type (each module declares its own)."""
    return str(message_types().get(message_type, message_type))


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


_PLAIN = "portal_plain_text_jinja"


def _plain_text_env():
    """The app's template environment with escaping off, made once per app."""
    env = current_app.extensions.get(_PLAIN)
    if env is None:
        env = current_app.extensions[_PLAIN] = current_app.jinja_env.overlay(autoescape=False)
    return env


def _block(env, template, name: str, context: dict) -> str | None:
    if name not in template.blocks:
        return None
    return render_block(env, template.name, name, **context).strip() or None


def render_message(message_type: str, recipient=None, *, locale=None, timezone=None, **context):
    env = current_app.jinja_env
    template = env.get_template(f"messages/{message_type}.html")
    context = {"recipient": recipient, "base_url": current_app.config["BASE_URL"], **context}
    with in_language_of(recipient, locale=locale, timezone=timezone):
        current_app.update_template_context(context)
        plain = _plain_text_env()
        subject = _block(plain, template, "subject", context)
        text = _block(plain, template, "text", context) or ""
        html = _block(env, template, "html", context)
    return Rendered(subject=" ".join(subject.split()) if subject else None, text=text, html=html)
