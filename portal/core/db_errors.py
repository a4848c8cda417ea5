"""Database refusals as answers: what a constraint violation or a lost race means to a person.

A constraint's name says which domain error its violation is (a unique name → 409 `duplicate`
naming the field, `bookings_no_overlap` → 409 `slot_unavailable`); a transaction the database
ended because another one held rows it needed is run once more, then answered 409. The web
error handler, the API and the worker's jobs all read this one mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from flask_babel import gettext as _
from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from portal.core.errors import Conflict, DomainError, Duplicate, changed_meanwhile, is_lost_race
from portal.extensions import db

UNIQUE_VIOLATION = "23505"
EXCLUSION_VIOLATION = "23P01"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


@dataclass(frozen=True)
class ConstraintAnswer:
    """What a violation of one named constraint tells the person."""

    field: str | None
    message: object  # a lazy string, translated when the answer is made
    error: type[DomainError] = Duplicate
    code: str | None = None


_ANSWERS: dict[str, ConstraintAnswer] = {}


def answer_constraint(
    name: str,
    *,
    field: str | None,
    message,
    error: type[DomainError] = Duplicate,
    code: str | None = None,
) -> None:
    """Declare what a violation of the constraint `name` means (modules call this beside the
    model that holds the constraint)."""
    _ANSWERS[name] = ConstraintAnswer(field=field, message=message, error=error, code=code)


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def _constraint_for_columns(columns: list[str]) -> str | None:
    """SQLite names the table and columns of a failed unique check, not the constraint: find
    the constraint (or unique index) of that table over exactly those columns."""
    tables = {column.split(".", 1)[0] for column in columns}
    if len(tables) != 1:
        return None
    table = db.metadata.tables.get(tables.pop())
    if table is None:
        return None
    wanted = {column.split(".", 1)[1] for column in columns}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and {c.name for c in constraint.columns} == (
            wanted
        ):
            return constraint.name
    for index in table.indexes:
        if isinstance(index, Index) and index.unique and {c.name for c in index.columns} == wanted:
            return index.name
    return None


def constraint_name(exc: BaseException) -> str | None:
    """The name of the constraint an IntegrityError violated, on PostgreSQL and SQLite."""
    orig = getattr(exc, "orig", None)
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name
    text = str(orig) if orig is not None else str(exc)
    if text in _ANSWERS:  # a SQLite trigger raises with the constraint's name as its message
        return text
    found = _SQLITE_UNIQUE.search(text)
    if found:
        return _constraint_for_columns([c.strip() for c in found.group(1).split(",")])
    return None


def _field_of(name: str | None) -> str | None:
    """The field a person would change to clear a unique violation: its constraint's last
    column that is not the organisation (names are unique within one organisation)."""
    if not name:
        return None
    for table in db.metadata.tables.values():
        for item in (*table.constraints, *table.indexes):
            if getattr(item, "name", None) == name:
                columns = [c.name for c in item.columns if c.name != "organisation_id"]
                return columns[-1] if columns else None
    return None


def _is_unique(exc: IntegrityError) -> bool:
    return _sqlstate(exc) == UNIQUE_VIOLATION or "UNIQUE constraint failed" in str(exc.orig)


def domain_error(exc: BaseException) -> DomainError | None:
    """The domain error a database exception means, or None if it means a fault of ours."""
    if isinstance(exc, DomainError):
        return exc
    if is_lost_race(exc):
        return changed_meanwhile()
    if not isinstance(exc, IntegrityError):
        return None
    name = constraint_name(exc)
    answer = _ANSWERS.get(name or "")
    if answer is not None:
        message = str(answer.message)
        details = {answer.field: message} if answer.field else {}
        return answer.error(message, details=details, code=answer.code)
    if _sqlstate(exc) == EXCLUSION_VIOLATION:
        return Conflict(_("This time is no longer available."), code="slot_unavailable")
    if _is_unique(exc):
        field = _field_of(name)
        message = _("This already exists.")
        return Duplicate(message, details={field: message} if field else {})
    return None


@contextmanager
def savepoint() -> Iterator[None]:
    """Wrap an insert that may collide with a concurrent one: a violation rolls back only the
    savepoint and is raised as its domain error, so the caller's form or answer can show it."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as exc:
        error = domain_error(exc)
        if error is None:
            raise
        raise error from None


def retry_once(fn: Callable) -> Callable:
    """Run `fn`; if the database ended its transaction for a lost race, roll back and run it
    once more (a second loss is raised, and answered 409 by the error handlers)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if not is_lost_race(exc):
                raise
            db.session.rollback()
        return fn(*args, **kwargs)

    return wrapper
