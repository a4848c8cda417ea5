"""Rows read with Core become ordinary session entities, without a second read."""

from __future__ import annotations

from sqlalchemy import inspect, select

from portal.accounts.models import User
from portal.core.rows import entity_from_row
from portal.extensions import db
from tests.statements import counted

USERS = User.__table__


def _row(user_id):
    return db.session.execute(select(USERS).where(USERS.c.id == user_id)).one()._mapping


def test_a_row_becomes_a_persistent_entity_without_a_query(users):
    user_id, name = users["learner"].id, users["learner"].name
    db.session.commit()
    db.session.expunge_all()
    row = _row(user_id)
    with counted() as statements:
        user = entity_from_row(User, row)
        assert (user.id, user.name, user.role) == (user_id, name, "learner")
    assert statements == []  # every column came with the row
    state = inspect(user)
    assert state.persistent and not state.modified
    assert db.session.get(User, user_id) is user  # the identity map knows it

    user.name = "Renamed"  # an ordinary entity: its changes are written
    db.session.commit()
    assert db.session.execute(select(USERS.c.name).where(USERS.c.id == user_id)).scalar() == (
        "Renamed"
    )


def test_an_entity_already_in_the_session_is_refreshed_in_place(users):
    user = users["learner"]
    db.session.commit()
    db.session.execute(USERS.update().where(USERS.c.id == user.id).values(name="From elsewhere"))
    row = _row(user.id)
    with counted() as statements:
        assert entity_from_row(User, row) is user
        assert user.name == "From elsewhere"
    assert statements == [] and not inspect(user).modified
