"""Health of the running system: database, queue and workers."""

from portal.core.modules import Module

MODULE = Module(
    name="monitoring",
    order=85,
    imports=("portal.monitoring.views",),
    blueprints=("portal.monitoring.views:bp",),
)
