"""Request codes stay unique and sequential when requests are created at the same moment
(run on PostgreSQL in CI, where transactions really overlap)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.onboarding import services
from portal.onboarding.models import OnboardingRequest
from tests.concurrency import run_together
from tests.onboarding.conftest import at


def test_twenty_requests_at_once_get_twenty_codes(app, world):
    ids = (world.org.id, world.client.id, world.program.id, world.sophia.id)
    db.session.commit()

    def create(ready) -> None:
        from portal.accounts.models import Organisation, User
        from portal.onboarding.models import Client, TrainingProgram

        org = db.session.get(Organisation, ids[0])
        client = db.session.get(Client, ids[1])
        program = db.session.get(TrainingProgram, ids[2])
        sophia = db.session.get(User, ids[3])
        db.session.commit()  # SQLite: reading must not hold the write lock while waiting
        ready()
        services.create_request(org, client=client, program=program, actor=sophia, now=at(1))

    assert run_together(app, *[create] * 20) == [None] * 20
    codes = db.session.scalars(select(OnboardingRequest.request_code)).all()
    assert sorted(codes) == [f"REQ-2024-{n:03d}" for n in range(1, 21)]


def test_codes_restart_each_year_and_per_organisation(world, other_org):
    first = world.new_request(now=at(1))
    next_year = services.create_request(
        world.org,
        client=world.client,
        program=world.program,
        actor=world.sophia,
        now=at(1).replace(year=2025),
    )
    assert (first.request_code, next_year.request_code) == ("REQ-2024-001", "REQ-2025-001")
    assert services.next_request_code(other_org.id, 2024) == "REQ-2024-001"
