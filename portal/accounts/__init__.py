"""Organisations, people, roles, API tokens, login and profile."""
