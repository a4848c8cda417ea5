"""Work tied to the fate of the current transaction: after commit, or undone without one."""

from __future__ import annotations

from sqlalchemy import text

from portal.core.transactions import after_commit, undo_unless_committed
from portal.extensions import db


def _start_transaction() -> None:
    db.session.execute(text("SELECT 1"))


def test_undo_runs_on_rollback_and_not_after_a_commit():
    undone, enqueued = [], []
    _start_transaction()
    undo_unless_committed(db.session, lambda: undone.append("rolled back"))
    after_commit(db.session, lambda: enqueued.append("rolled back"))
    db.session.rollback()
    _start_transaction()
    undo_unless_committed(db.session, lambda: undone.append("committed"))
    after_commit(db.session, lambda: enqueued.append("committed"))
    db.session.commit()
    assert undone == ["rolled back"] and enqueued == ["committed"]


def test_undo_runs_when_the_session_is_closed_with_its_transaction_open():
    undone = []
    _start_transaction()
    undo_unless_committed(db.session, lambda: undone.append("closed"))
    db.session.close()
    assert undone == ["closed"]


def test_a_savepoint_leaves_the_decision_to_its_outer_transaction():
    undone = []
    _start_transaction()
    with db.session.begin_nested():
        undo_unless_committed(db.session, lambda: undone.append("inner"))
    assert undone == []  # the savepoint is released; the outer transaction decides
    db.session.commit()
    assert undone == []
    _start_transaction()
    savepoint = db.session.begin_nested()
    undo_unless_committed(db.session, lambda: undone.append("outer rollback"))
    savepoint.rollback()
    assert undone == []
    db.session.rollback()
    assert undone == ["outer rollback"]


def test_a_failing_undo_does_not_stop_the_others(caplog):
    undone = []
    _start_transaction()
    undo_unless_committed(db.session, lambda: 1 / 0)
    undo_unless_committed(db.session, lambda: undone.append("second"))
    db.session.rollback()
    assert undone == ["second"] and "undo callback failed" in caplog.text


def test_a_released_savepoint_neither_runs_jobs_nor_keeps_files_of_a_rolled_back_outer():
    undone, enqueued = [], []
    _start_transaction()
    undo_unless_committed(db.session, lambda: undone.append("before"))
    with db.session.begin_nested():
        undo_unless_committed(db.session, lambda: undone.append("inside"))
        after_commit(db.session, lambda: enqueued.append("inside"))
    assert enqueued == []  # released, not committed: nothing runs yet
    db.session.rollback()
    assert sorted(undone) == ["before", "inside"] and enqueued == []


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs():
    enqueued = []
    _start_transaction()
    after_commit(db.session, lambda: enqueued.append("outer"))
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    db.session.commit()
    assert enqueued == ["outer"]
