"""Background jobs: thin functions that take ids and call portal services."""
