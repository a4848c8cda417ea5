"""In-app notifications: the bell, the list, marking read."""

from portal.core.modules import Module

MODULE = Module(
    name="notifications",
    order=90,  # its demo reads what the other modules' demos made
    imports=("portal.notifications.api", "portal.notifications.views"),
    blueprints=("portal.notifications.views:bp",),
    demo="portal.notifications.demo:seed_notifications",
)
