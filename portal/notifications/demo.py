"""Demo: a welcome notification for everyone, in their own language."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.demo import DemoWorld
from portal.notifications.services import notify


def seed_notifications(world: DemoWorld) -> None:
    for person in world.people.values():
        notify(
            person,
            type="welcome",
            title=lambda: _("Welcome to Parcours"),
            message=lambda: _("Set your language and timezone in your profile."),
            link="/profile",
        )
