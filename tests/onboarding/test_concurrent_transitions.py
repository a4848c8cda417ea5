"""Two people change the same item at the same moment: one wins, the other gets a 409 and
nothing is written twice. Transactions really overlap only on PostgreSQL (CI's second run);
the embedded SQLite database runs writing transactions one after the other."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.core.errors import InvalidTransition
from portal.extensions import db
from portal.onboarding.models import TrainingAssignment
from portal.workflow.engine import transition
from portal.workflow.models import StatusChange


@pytest.fixture
def overlapping(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writing transactions (BEGIN IMMEDIATE)")


def test_two_acceptances_at_once_one_wins(app, world, overlapping):
    _, assignment = world.assigned()
    ids = (assignment.id, world.tom.id)
    db.session.commit()
    both_read = threading.Barrier(2)
    outcomes: list[object] = []

    def accept() -> None:
        from portal.accounts.models import User

        with app.app_context():
            try:
                item = db.session.get(TrainingAssignment, ids[0])
                tom = db.session.get(User, ids[1])
                assert item.status == "assigned"
                both_read.wait(timeout=30)  # each has checked "assigned" before either writes
                transition(item, "accepted", actor=tom)
                db.session.commit()
                outcomes.append("accepted")
            except InvalidTransition as exc:
                db.session.rollback()
                outcomes.append(exc)
            except BaseException as exc:  # reported below
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("accepted") == 1, outcomes
    [refused] = [o for o in outcomes if o != "accepted"]
    assert isinstance(refused, InvalidTransition) and refused.status == 409
    accepted = db.session.scalars(
        select(StatusChange).where(
            StatusChange.entity_id == ids[0], StatusChange.new_status == "accepted"
        )
    ).all()
    assert len(accepted) == 1
