"""Jobs by module; each one is enqueued by its dotted name."""
