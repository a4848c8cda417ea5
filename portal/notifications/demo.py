"""Demo: a welcome notification for everyone, and a few messages the worker will deliver."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.demo import DemoWorld, seeder
from portal.messaging.services import queue_message
from portal.notifications.services import notify


@seeder(order=90)
def seed_notifications(world: DemoWorld) -> None:
    for person in world.people.values():
        notify(
            person,
            type="welcome",
            title=lambda: _("Welcome to Parcours"),
            message=lambda: _("Set your language and timezone in your profile."),
            link="/profile",
        )
    world.people["learner"].telegram_chat_id = "100200300"
    world.people["learner_fr"].telegram_chat_id = "100200301"
    for key in ("learner", "learner_fr", "learner_tr"):
        person = world.people[key]
        # Zeynep has no Telegram chat id yet: her message fails, as the admin pages show.
        queue_message(
            channel="telegram",
            message_type="notification",
            recipient=person,
            context={
                # Lazy: rendered in each recipient's language.
                "title": _l("Welcome to Parcours"),
                "body": _l("Set your language and timezone in your profile."),
                "link": "/profile",
            },
        )
