"""Domain errors: raised by services with a translated message, mapped to HTTP by the API."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action. `message` is already translated for the current user."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, details: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class ValidationError(DomainError):
    code = "validation_error"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Duplicate(Conflict):
    code = "duplicate"


class InvalidTransition(Conflict):
    code = "invalid_transition"
