"""Domain errors: raised by services with a translated message, mapped to HTTP by the API."""

from __future__ import annotations

from flask_babel import gettext as _

# PostgreSQL's answers when two transactions wait on each other's rows: one of them is ended.
LOST_RACE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


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


def changed_meanwhile(details: dict | None = None) -> InvalidTransition:
    """What the loser of two simultaneous changes to the same item is told."""
    return InvalidTransition(
        _("This item was changed meanwhile. Reload it and try again."), details=details
    )


def is_lost_race(exc: BaseException) -> bool:
    """Whether the database ended this transaction because another one held rows it needed."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in LOST_RACE_SQLSTATES
