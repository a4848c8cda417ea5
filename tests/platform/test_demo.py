"""`portal demo` builds its data through the services: every onboarding state is there."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, build_demo
from portal.extensions import db
from portal.onboarding.models import OnboardingRequest
from tests.conftest import login


def test_demo_has_every_role_and_every_request_state(app, client):
    accounts = build_demo()
    roles = {role for role, _email, _name in accounts}
    assert roles == {"admin", "coordinator", "trainer", "learner"}
    statuses = set(db.session.scalars(select(OnboardingRequest.status)))
    assert statuses == {"pending", "assigned", "in_progress", "completed", "cancelled"}
    priorities = set(db.session.scalars(select(OnboardingRequest.priority)))
    assert {"urgent", "high", "medium", "low"} <= priorities
    from portal.accounts.models import User

    for email in ("sophia@parcours.test", "tom@parcours.test", "john@abc-company.test"):
        user = db.session.scalar(select(User).where(User.email == email))
        page_client = login(app.test_client(), user, password=DEMO_PASSWORD)
        assert page_client.get("/").status_code == 200
