"""The workflow engine: status machines declared as data, transitions with history and events."""

from portal.core.modules import Module, Periodic

MODULE = Module(
    name="workflow",
    order=80,  # the generic status routes come after the modules' own
    imports=("portal.workflow.api", "portal.workflow.views"),
    blueprints=("portal.workflow.views:bp", "portal.workflow.views:status_bp"),
    periodic=(Periodic("worker.jobs.events.relay_events", 10, "integrations"),),
)
