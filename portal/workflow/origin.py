"""Where a change came from, and which change caused it.

Every status change records its origin — `ui` (a page), `api`, `webhook:<source>` (a partner,
the CRM, Telegram, Twilio), `rule` (a workflow rule), `chat` (the training bot) or `system` (a
worker on its own) — and its cause: the id of the first change of the chain it belongs to (its
own id when a person or a system made it directly). Cascades run inside the change that caused
them and after-commit handlers run with the event's origin and cause, so both inherit them: the
CRM sync can tell a change the CRM made from one to send it, at any depth.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SYSTEM_ORIGIN = "system"
WEBHOOK_PREFIX = "webhook:"

# What each origin reads as on a timeline (a webhook's source is shown after its label).
ORIGIN_LABELS = {
    "ui": _l("on the portal"),
    "api": _l("through the API"),
    "webhook": _l("by a webhook"),
    "rule": _l("by a workflow rule"),
    "chat": _l("in a chat"),
    "system": _l("automatically"),
}


@dataclass(frozen=True)
class Cause:
    origin: str
    change_id: uuid.UUID | None = None  # the first change of the chain, once there is one
    # A unit of work (a request, a job): its first change starts the chain that all its
    # later changes belong to, since one action of a person or a worker made them all.
    unit: bool = False


_current: contextvars.ContextVar[Cause | None] = contextvars.ContextVar(
    "change_cause", default=None
)


def current() -> Cause:
    return _current.get() or Cause(SYSTEM_ORIGIN)


def current_origin() -> str:
    return current().origin


@contextmanager
def changes_from(origin: str, change_id: uuid.UUID | str | None = None) -> Iterator[Cause]:
    """Changes made inside come from `origin` (and, with `change_id`, belong to that chain)."""
    if change_id is not None and not isinstance(change_id, uuid.UUID):
        change_id = uuid.UUID(str(change_id))
    token = _current.set(Cause(origin, change_id))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def enter(origin: str) -> contextvars.Token:
    """Start a unit of work from `origin` (a web request, a job); `leave()` ends it."""
    return _current.set(Cause(origin, unit=True))


def started(change_id: uuid.UUID) -> uuid.UUID:
    """A change was made with no chain to join: in a unit of work it starts the unit's chain.
    Returns the chain's first change (this one)."""
    cause = _current.get()
    if cause is not None and cause.unit and cause.change_id is None:
        _current.set(Cause(cause.origin, change_id, unit=True))
    return change_id


def leave(token: contextvars.Token) -> None:
    try:
        _current.reset(token)
    except ValueError:  # set in another context: nothing of this one to undo
        _current.set(None)


def webhook(source: str) -> str:
    return f"{WEBHOOK_PREFIX}{source}"


def origin_label(origin: str | None) -> str:
    """`webhook:telegram` reads "by a webhook (telegram)"; unknown origins read as they are."""
    if not origin:
        return ""
    if origin.startswith(WEBHOOK_PREFIX):
        return f"{ORIGIN_LABELS['webhook']} ({origin[len(WEBHOOK_PREFIX) :]})"
    return str(ORIGIN_LABELS.get(origin, origin))
