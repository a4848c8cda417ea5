"""One active administrator always remains, even when two admins demote or deactivate each
other at the same moment (PostgreSQL really overlaps them; SQLite runs them in turn)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts import services
from portal.accounts.models import User
from portal.core.errors import DomainError
from portal.extensions import db
from tests import factories
from tests.concurrency import run_together

ROUNDS = 20


def _active_admins(org_id) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.organisation_id == org_id, User.role == "admin", User.is_active.is_(True)
        )
    )


def _each_other(app, org, change) -> list:
    overlap = db.engine.dialect.name == "postgresql"  # SQLite's first reader holds the lock
    first, second = factories.make_user(org, "admin"), factories.make_user(org, "admin")
    pairs = [(first.id, second.id), (second.id, first.id)]
    db.session.commit()

    def step(actor_id, target_id):
        def run(ready) -> None:
            actor = db.session.get(User, actor_id)
            target = db.session.get(User, target_id)
            if overlap:
                assert actor.role == "admin" and target.is_active  # both read "two admins"
                ready()
            change(target, actor)

        return run

    return run_together(app, *(step(*pair) for pair in pairs))


@pytest.mark.parametrize(
    "change",
    [
        lambda target, actor: services.change_role(target, "trainer", actor=actor),
        lambda target, actor: services.set_user_active(target, False, actor=actor),
    ],
    ids=["demote", "deactivate"],
)
def test_two_admins_at_once_leave_one(app, change):
    for round_ in range(ROUNDS):
        org = factories.make_org(f"Pair {round_}")
        outcomes = _each_other(app, org, change)
        assert outcomes.count(None) == 1, outcomes
        [refused] = [o for o in outcomes if o is not None]
        assert isinstance(refused, DomainError) and refused.status in (403, 422), refused
        db.session.expire_all()
        assert _active_admins(org.id) == 1


def test_the_last_admin_cannot_be_demoted_or_deactivated(org):
    only = factories.make_user(org, "admin")
    other = factories.make_user(org, "admin")
    services.set_user_active(other, False, actor=only)
    with pytest.raises(DomainError) as demoted:
        services.change_role(only, "coordinator", actor=only)
    assert demoted.value.details == {
        "role": "The organisation needs at least one active administrator."
    }
    services.set_user_active(other, True, actor=only)
    services.change_role(other, "trainer", actor=only)
    assert _active_admins(org.id) == 1


def test_an_admin_demoted_meanwhile_can_no_longer_manage(org):
    first, second = factories.make_user(org, "admin"), factories.make_user(org, "admin")
    trainer = factories.make_user(org, "trainer")
    services.change_role(second, "trainer", actor=first)
    db.session.flush()
    second.role = "admin"  # what a page loaded before the demotion still believes
    db.session.expire(second, ["role"])
    with pytest.raises(DomainError) as refused:
        services.set_user_active(trainer, False, actor=second)
    assert refused.value.status == 403
