"""A test-only machine on a test-only table, so the engine is tested apart from any module."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal.core.errors import ValidationError
from portal.core.types import UTCDateTime
from portal.extensions import db
from portal.workflow import machines
from portal.workflow.machines import Machine, Transition


class TestBase(DeclarativeBase):
    pass


class Widget(TestBase):
    __tablename__ = "test_widgets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("test_widgets.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def needs_note(attempt) -> None:
    if not (attempt.context.get("note") or attempt.reason):
        raise ValidationError("A note is required.", details={"note": "Required."})


def copy_note(attempt) -> None:
    attempt.entity.note = attempt.context.get("note") or attempt.reason


WIDGET = Machine(
    name="widget",
    model=Widget,
    collection="widgets",
    states={"draft": "Draft", "active": "Active", "done": "Done", "dropped": "Dropped"},
    transitions=[
        Transition("draft", "active", ("coordinator", "trainer")),
        Transition("active", "done", ("trainer", "system")),
        Transition(
            "draft", "dropped", ("coordinator",), guards=(needs_note,), effects=(copy_note,)
        ),
        Transition(
            "active", "dropped", ("coordinator",), guards=(needs_note,), effects=(copy_note,)
        ),
    ],
    timestamps={"active": "started_at", "done": "done_at"},
    terminal=("done", "dropped"),
    visible=lambda actor, w: actor.role != "learner" or w.owner_id == actor.id,
)


@pytest.fixture
def widget_machine(app):
    TestBase.metadata.create_all(db.engine)
    machines.register(WIDGET)
    yield WIDGET
    machines.unregister(WIDGET)
    db.session.rollback()
    TestBase.metadata.drop_all(db.engine)
    db.session.commit()


@pytest.fixture
def make_widget(widget_machine):
    def make(org, **values):
        widget = Widget(organisation_id=org.id, **values)
        db.session.add(widget)
        db.session.commit()
        return widget

    return make
