"""Demo data: modules register seeders; `portal demo` runs them in order on a fresh database."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import MetaData

from portal.extensions import db

DEMO_PASSWORD = "parcours-demo"

# Modules whose demo.py registers a seeder, in the order they build on each other.
DEMO_MODULES = ("portal.accounts.demo", "portal.onboarding.demo", "portal.notifications.demo")


@dataclass
class DemoWorld:
    """What seeders share: the organisation, people by key, and accounts to print."""

    organisation: object = None
    people: dict = field(default_factory=dict)
    accounts: list = field(default_factory=list)


_SEEDERS: list[tuple[int, Callable[[DemoWorld], None]]] = []


def seeder(order: int):
    def register(fn):
        if all(existing is not fn for _order, existing in _SEEDERS):
            _SEEDERS.append((order, fn))
        return fn

    return register


def build_demo() -> list[tuple[str, str, str]]:
    for name in DEMO_MODULES:
        importlib.import_module(name)
    world = DemoWorld()
    for _order, fn in sorted(_SEEDERS, key=lambda item: item[0]):
        fn(world)
        db.session.commit()
    return world.accounts


def reset_database() -> None:
    """Drop every table of the configured database (the demo starts from nothing)."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)
    db.session.commit()
