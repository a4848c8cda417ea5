"""Onboarding: clients, training programs, requests, trainer assignments, sessions,
attendance and stage progress (seeds/onboarding-status-flows.md)."""
