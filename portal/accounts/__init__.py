"""Organisations, people, roles, API tokens, login and profile."""

from flask_babel import lazy_gettext as _l

from portal.core.modules import Module

MODULE = Module(
    name="accounts",
    order=0,
    imports=("portal.accounts.api", "portal.accounts.telegram_start", "portal.accounts.views"),
    blueprints=("portal.accounts.views:bp",),
    demo="portal.accounts.demo:seed_people",
    message_types={
        "account_invitation": _l("Account invitation"),
        "telegram_link_invalid": _l("Telegram link not valid"),
        "telegram_link_taken": _l("Telegram chat linked to someone else"),
        "telegram_linked": _l("Telegram linked"),
        "telegram_start": _l("Telegram bot started"),
    },
)
