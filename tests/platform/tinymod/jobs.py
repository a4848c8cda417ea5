"""Its periodic job, kept in its own package."""

from portal import queue
from portal.queue.jobs import job


@job
def sweep() -> str:
    queue.connection().set("portal:tinymod:swept", "yes", ex=60)
    return "swept"
