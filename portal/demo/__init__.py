"""Demo data: each module declares its seeder; `portal demo` runs them in the modules' order on
a fresh database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import MetaData

from portal.extensions import db

DEMO_PASSWORD = "parcours-demo"


@dataclass
class DemoWorld:
    """What seeders share: the organisation, people by key, and accounts to print."""

    organisation: object = None
    people: dict = field(default_factory=dict)
    accounts: list = field(default_factory=list)


def build_demo() -> list[tuple[str, str, str]]:
    from portal.core.modules import seeders

    world = DemoWorld()
    for seed in seeders():
        seed(world)
        db.session.commit()
    return world.accounts


def reset_database() -> None:
    """Drop every table of the configured database (the demo starts from nothing)."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)
    db.session.commit()
