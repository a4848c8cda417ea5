"""The engine with a test-only machine: allowed and refused moves, roles, guards, history,
rollback and cascades in one transaction."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from portal.core.errors import DomainError, Forbidden, InvalidTransition, NotFound, ValidationError
from portal.extensions import db
from portal.workflow import events
from portal.workflow.actors import SYSTEM
from portal.workflow.engine import transition
from portal.workflow.models import DomainEvent, StatusChange
from tests.statements import counted
from tests.workflow.conftest import Widget

NOW = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)


def _history(widget):
    return db.session.scalars(
        select(StatusChange)
        .where(StatusChange.entity_id == widget.id)
        .order_by(StatusChange.created_at)
    ).all()


def test_allowed_transition_sets_status_timestamp_and_history(users, org, make_widget):
    widget = make_widget(org)
    result = transition(widget, "active", actor=users["trainer"], reason="go", now=NOW)
    db.session.commit()
    assert (result.old_status, result.new_status) == ("draft", "active")
    assert widget.status == "active" and widget.started_at == NOW and widget.updated_at == NOW
    [change] = _history(widget)
    assert (change.entity_type, change.old_status, change.new_status) == (
        "widget",
        "draft",
        "active",
    )
    assert change.actor_id == users["trainer"].id and change.actor_kind == "user"
    assert change.reason == "go" and change.created_at == NOW
    assert change.organisation_id == org.id


def test_system_actor_is_recorded_as_system(users, org, make_widget):
    widget = make_widget(org, status="active")
    transition(widget, "done", actor=SYSTEM, now=NOW)
    [change] = _history(widget)
    assert change.actor_id is None and change.actor_kind == "system"
    assert widget.done_at == NOW


def test_role_that_can_never_reach_the_status_is_forbidden(users, org, make_widget):
    widget = make_widget(org, owner_id=users["learner"].id)  # visible to the learner
    with pytest.raises(Forbidden):
        transition(widget, "active", actor=users["learner"])
    with pytest.raises(Forbidden):
        transition(widget, "dropped", actor=users["trainer"], reason="x")
    assert widget.status == "draft" and _history(widget) == []


def test_move_not_allowed_from_the_current_status_is_invalid(users, org, make_widget):
    widget = make_widget(org)
    with pytest.raises(InvalidTransition) as refused:
        transition(widget, "done", actor=users["trainer"])
    assert refused.value.status == 409
    assert "draft" in refused.value.message.lower() or "Draft" in refused.value.message
    db.session.rollback()
    assert db.session.get(Widget, widget.id).status == "draft"
    assert _history(widget) == []


def test_unknown_status_is_bad_input(users, org, make_widget):
    widget = make_widget(org)
    with pytest.raises(ValidationError) as refused:
        transition(widget, "flying", actor=users["coordinator"])
    assert refused.value.status == 422 and set(refused.value.details) == {"new_status"}


def test_guard_refuses_and_writes_nothing(users, org, make_widget):
    widget = make_widget(org)
    with pytest.raises(ValidationError):
        transition(widget, "dropped", actor=users["coordinator"])
    assert widget.status == "draft" and _history(widget) == []
    transition(widget, "dropped", actor=users["coordinator"], context={"note": "budget"})
    assert widget.note == "budget" and widget.status == "dropped"


def test_status_changed_meanwhile_is_refused_and_writes_nothing(users, org, make_widget):
    widget = make_widget(org)
    assert widget.status == "draft"  # what this request read
    # Someone else's transaction moved it on since (behind this session's back).
    db.session.execute(
        update(Widget.__table__).where(Widget.id == widget.id).values(status="active")
    )
    with pytest.raises(InvalidTransition) as refused:
        transition(widget, "active", actor=users["trainer"], now=NOW)
    assert refused.value.status == 409 and "meanwhile" in refused.value.message
    assert _history(widget) == []  # not even inside the transaction that lost
    db.session.rollback()
    assert _history(widget) == []


def test_transition_writes_its_row_at_once_with_the_columns_given(users, org, make_widget):
    widget = make_widget(org)
    transition(widget, "active", actor=users["trainer"], now=NOW, columns={"note": "kick-off"})
    assert not db.session.dirty  # the status row is already written, with its history
    assert (widget.status, widget.note, widget.started_at) == ("active", "kick-off", NOW)
    row = db.session.execute(
        select(Widget.__table__.c.status, Widget.__table__.c.note).where(Widget.id == widget.id)
    ).one()
    assert tuple(row) == ("active", "kick-off")
    assert len(_history(widget)) == 1


def test_status_and_history_take_one_statement_on_postgresql_two_elsewhere(users, org, make_widget):
    widget = make_widget(org)
    assert widget.status == "draft" and users["trainer"].role == "trainer"  # both loaded
    with counted() as statements:
        transition(widget, "active", actor=users["trainer"], now=NOW)
    written = [statement.verb for statement in statements]
    if db.engine.dialect.name == "postgresql":
        assert written == ["WITH"]  # UPDATE … RETURNING feeding the history INSERT
    else:
        assert written == ["UPDATE", "INSERT"]
    [change] = _history(widget)
    assert (change.entity_id, change.old_status, change.new_status) == (
        widget.id,
        "draft",
        "active",
    )


def test_entity_another_organisation_cannot_see_is_not_found(users, org, other_org, make_widget):
    from tests.factories import make_user

    widget = make_widget(org)
    stranger = make_user(other_org, "trainer")
    from portal.workflow.queries import get_entity

    with pytest.raises(NotFound):
        get_entity(widget_machine_of(widget), widget.id, actor=stranger)
    learner_widget = make_widget(org, owner_id=users["learner"].id)
    assert get_entity(widget_machine_of(widget), learner_widget.id, actor=users["learner"])
    with pytest.raises(NotFound):
        get_entity(widget_machine_of(widget), widget.id, actor=users["learner"])


def widget_machine_of(widget):
    from portal.workflow.machines import machine_for

    return machine_for(widget)


def test_cascade_runs_in_the_same_transaction(users, org, make_widget):
    parent = make_widget(org, status="active")
    child = make_widget(org, status="active", parent_id=parent.id)

    def finish_parent(event, entity):
        if entity.parent_id:
            transition(db.session.get(Widget, entity.parent_id), "done", actor=SYSTEM)

    events.on("widget_done")(finish_parent)
    try:
        transition(child, "done", actor=users["trainer"], now=NOW)
        db.session.commit()
    finally:
        events.off("widget_done", finish_parent)
    assert parent.status == "done"
    kinds = [(c.entity_id, c.actor_kind) for c in db.session.scalars(select(StatusChange))]
    assert (child.id, "user") in kinds and (parent.id, "system") in kinds


def test_failing_cascade_rolls_everything_back(users, org, make_widget):
    parent = make_widget(org, status="draft")  # draft → done is not allowed: the cascade fails
    child = make_widget(org, status="active", parent_id=parent.id)

    def finish_parent(event, entity):
        transition(db.session.get(Widget, entity.parent_id), "done", actor=SYSTEM)

    events.on("widget_done")(finish_parent)
    try:
        with pytest.raises(InvalidTransition):
            transition(child, "done", actor=users["trainer"])
        db.session.rollback()
    finally:
        events.off("widget_done", finish_parent)
    assert db.session.get(Widget, child.id).status == "active"
    assert db.session.scalar(select(func.count(StatusChange.id))) == 0


def test_after_commit_handlers_run_once_through_the_outbox(users, org, make_widget, run_jobs):
    seen = []

    def remember(event):
        seen.append((event.name, event.old_status, event.new_status))

    events.on("widget_active", phase="after_commit")(remember)
    try:
        widget = make_widget(org)
        transition(widget, "active", actor=users["coordinator"])
        assert seen == []  # nothing runs before the commit
        db.session.commit()
        run_jobs()
        run_jobs()
    finally:
        events.off("widget_active", remember, phase="after_commit")
    assert seen == [("widget_active", "draft", "active")]
    row = db.session.scalar(select(DomainEvent))
    assert row.dispatched_at is not None


def test_the_relay_goes_past_a_job_in_flight_and_hands_over_one_that_died(
    users, org, make_widget, run_jobs
):
    """Three events left undispatched: one whose job is still waiting (left alone), one whose
    job failed for good in the queue (enqueued again) and one whose enqueue was lost with
    Redis down at commit. The sweep hands over the last two; each event runs once."""
    from datetime import timedelta

    from rq.job import Job, JobStatus

    from portal import queue
    from portal.core.clock import utcnow
    from portal.workflow import outbox

    seen = []

    def remember(event):
        seen.append(event.entity_id)

    events.on("widget_active", phase="after_commit")(remember)
    try:
        waiting, died, lost = (make_widget(org) for _ in range(3))
        for widget in (waiting, died, lost):
            transition(widget, "active", actor=users["coordinator"])
            db.session.commit()
        integrations = queue.get_queue("integrations")
        jobs = {job.args[0]: job for job in integrations.jobs}
        rows = {r.payload["entity_id"]: str(r.id) for r in db.session.scalars(select(DomainEvent))}
        died_job = jobs[rows[str(died.id)]]
        integrations.remove(died_job)
        died_job.set_status(JobStatus.FAILED)  # its retries are over
        lost_job = jobs[rows[str(lost.id)]]
        integrations.remove(lost_job)
        lost_job.delete()
        waiting_job = events.handling_job_id(rows[str(waiting.id)], events.handler_name(remember))
        assert Job.exists(waiting_job, connection=integrations.connection)
        assert outbox.relay(now=utcnow() + timedelta(minutes=1)) == 2
        run_jobs()
        assert outbox.relay(now=utcnow() + timedelta(minutes=2)) == 0
        run_jobs()
    finally:
        events.off("widget_active", remember, phase="after_commit")
    assert sorted(seen) == sorted(str(w.id) for w in (waiting, died, lost))


def test_rolled_back_transition_enqueues_nothing(users, org, make_widget, run_jobs):
    seen = []
    events.on("widget_active", phase="after_commit")(seen.append)
    try:
        widget = make_widget(org)
        transition(widget, "active", actor=users["coordinator"])
        db.session.rollback()
        assert run_jobs() is False
    finally:
        events.off("widget_active", seen.append, phase="after_commit")
    assert seen == [] and db.session.scalar(select(func.count(DomainEvent.id))) == 0


def test_changes_made_at_the_same_moment_keep_their_order_in_the_history(
    users, org, make_widget, widget_machine
):
    from portal.workflow.queries import list_history, list_recent_changes

    widgets = [make_widget(org) for _ in range(20)]
    for widget in widgets:  # one clock reading for both moves, as a cascade or a delivery has
        transition(widget, "active", actor=users["trainer"], now=NOW)
        transition(widget, "done", actor=users["trainer"], now=NOW)
    db.session.commit()
    for widget in widgets:
        history = db.session.scalars(list_history(widget_machine, widget.id)).all()
        assert [change.new_status for change in history] == ["active", "done"]
    feed = db.session.scalars(list_recent_changes(organisation_id=org.id)).all()  # newest first
    assert [change.new_status for change in feed] == ["done", "active"] * len(widgets)
    assert [change.entity_id for change in feed[::2]] == [w.id for w in reversed(widgets)]


def test_a_path_of_moves_is_one_statement_with_a_history_row_and_event_each(
    users, org, make_widget, widget_machine
):
    from portal.workflow.queries import list_history

    widget = make_widget(org)
    assert widget.status == "draft" and users["trainer"].role == "trainer"  # both loaded
    seen = []

    def remember(event, entity):
        seen.append((event.name, event.old_status, event.new_status, entity.status))

    events.on("status_changed")(remember)
    try:
        with counted() as statements:
            result = transition(
                widget,
                "done",
                via=("active",),
                actor=users["trainer"],
                reason="all at once",
                now=NOW,
                columns={"note": "fast"},
            )
    finally:
        events.off("status_changed", remember)
    db.session.commit()
    written = [statement.verb for statement in statements]
    assert written == (["WITH"] if db.engine.dialect.name == "postgresql" else ["UPDATE", "INSERT"])
    assert (result.old_status, result.new_status) == ("draft", "done")
    assert (widget.status, widget.started_at, widget.done_at, widget.note) == (
        "done",
        NOW,
        NOW,
        "fast",
    )
    history = db.session.scalars(list_history(widget_machine, widget.id)).all()
    assert [(c.old_status, c.new_status, c.reason) for c in history] == [
        ("draft", "active", "all at once"),
        ("active", "done", "all at once"),
    ]
    assert result.change_id == history[-1].id
    # Handlers see each step in order; the row already has the final status.
    assert seen == [
        ("widget_active", "draft", "active", "done"),
        ("widget_done", "active", "done", "done"),
    ]


def test_a_path_with_one_step_refused_writes_nothing(users, org, make_widget, widget_machine):
    widget = make_widget(org)
    with pytest.raises(InvalidTransition):  # dropped is final: nothing leads on to done
        transition(widget, "done", via=("dropped",), actor=SYSTEM, reason="x")
    with pytest.raises(Forbidden):  # a coordinator starts a widget but cannot finish it
        transition(widget, "done", via=("active",), actor=users["coordinator"])
    assert widget.status == "draft" and _history(widget) == []


def test_a_guard_on_an_early_step_of_a_path_refuses_it(
    users, org, make_widget, widget_machine, monkeypatch
):
    from portal.workflow.machines import Transition

    def not_today(attempt):
        if attempt.target == "active":
            raise ValidationError("Not today.")

    guarded = [
        Transition(t.source, t.target, t.roles, guards=(not_today,)) if t.target == "active" else t
        for t in widget_machine.transitions
    ]
    monkeypatch.setattr(widget_machine, "transitions", guarded)
    widget = make_widget(org)
    with pytest.raises(ValidationError):
        transition(widget, "done", via=("active",), actor=users["trainer"])
    assert widget.status == "draft" and _history(widget) == []


def test_a_path_that_lost_a_race_writes_no_history(users, org, make_widget, widget_machine):
    widget = make_widget(org)
    db.session.execute(update(Widget).where(Widget.id == widget.id).values(status="active"))
    with pytest.raises(DomainError) as refused:
        transition(widget, "done", via=("active",), actor=users["trainer"], now=NOW)
    assert refused.value.status == 409
    assert _history(widget) == []


def test_the_machine_locks_what_its_guards_read_before_they_run(
    users, org, make_widget, widget_machine, monkeypatch
):
    widget = make_widget(org)
    seen: list[str] = []

    def lock_rows(attempt) -> None:
        seen.append(f"lock {attempt.source}→{attempt.target}")

    def guard(attempt) -> None:
        seen.append("guard")

    monkeypatch.setattr(widget_machine, "lock", lock_rows)
    found = widget_machine.find("draft", "active")
    moved = dataclasses.replace(found, guards=(guard,))
    monkeypatch.setattr(
        widget_machine,
        "transitions",
        [moved if t is found else t for t in widget_machine.transitions],
    )
    transition(widget, "active", actor=users["coordinator"])
    assert seen == ["lock draft→active", "guard"]
