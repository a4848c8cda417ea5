"""Signed webhooks in: one intake that verifies, stores each delivery once, processes it
through the services of the module it belongs to, and keeps the unmatched for review."""

from portal.core.modules import Module

MODULE = Module(
    name="webhooks",
    order=15,
    imports=("portal.webhooks.states", "portal.webhooks.api", "portal.webhooks.views"),
    blueprints=("portal.webhooks.views:bp",),
)
