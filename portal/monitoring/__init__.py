"""Health of the running system: database, queue and workers."""
