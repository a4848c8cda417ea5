"""Work to do once the current transaction has committed (enqueueing jobs, mostly), and undo
work to do if it ends without committing (removing a file written for a row that never was).

After-commit callbacks are dropped on rollback, so a job is never enqueued for a change that
did not happen; undo callbacks are dropped on commit. Only the outermost transaction counts: a
savepoint released or rolled back changes neither list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "portal_after_commit"
_UNDO_KEY = "portal_undo"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault(_KEY, []).append(callback)


def undo_unless_committed(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` when the session's transaction ends without a commit: a rollback, or a
    session closed with the transaction still open."""
    session.info.setdefault(_UNDO_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction decides
        return
    session.info.pop(_UNDO_KEY, None)
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the outbox relay retries whatever could not be handed over
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # only a savepoint: its jobs are kept (they take ids,
        return  # and find nothing to do for a row that is gone)
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _undo_uncommitted(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: its outer transaction decides
        return
    for callback in session.info.pop(_UNDO_KEY, []):
        try:
            callback()
        except Exception:
            log.exception("undo callback failed")
