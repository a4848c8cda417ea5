"""Every test starts from empty tables: what the emptying after each test must achieve."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.demo import build_demo
from portal.extensions import db
from tests.conftest import empty_tables


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_emptying_after_a_test_removes_every_row_of_every_table(app):
    build_demo()
    db.session.commit()
    written = {name for name, count in _row_counts().items() if count}
    # The demo reaches most tables, parents and grandchildren alike, so an order that broke
    # a foreign key or a table left out would show.
    assert {
        "organisations",
        "users",
        "clients",
        "client_contacts",
        "onboarding_requests",
        "training_sessions",
        "session_attendees",
        "outbound_messages",
        "notifications",
        "status_changes",
    } <= written
    db.session.remove()
    empty_tables(app)
    assert set(_row_counts().values()) == {0}
