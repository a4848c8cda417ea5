"""Message texts come from templates/messages/<type>.html: blocks subject, text and html,
rendered in the recipient's language and timezone."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from jinja2_fragments import render_block

from portal.core.i18n import in_language_of


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


def _block(template, name: str, context: dict) -> str | None:
    if name not in template.blocks:
        return None
    env = current_app.jinja_env
    return render_block(env, template.name, name, **context).strip() or None


def render_message(message_type: str, recipient=None, *, locale=None, timezone=None, **context):
    env = current_app.jinja_env
    template = env.get_template(f"messages/{message_type}.html")
    context = {"recipient": recipient, "base_url": current_app.config["BASE_URL"], **context}
    with in_language_of(recipient, locale=locale, timezone=timezone):
        current_app.update_template_context(context)
        subject = _block(template, "subject", context)
        text = _block(template, "text", context) or ""
        html = _block(template, "html", context)
    return Rendered(subject=" ".join(subject.split()) if subject else None, text=text, html=html)
