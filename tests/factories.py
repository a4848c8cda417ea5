"""Small callables that make test data through the services."""

from __future__ import annotations

import itertools

from portal.accounts import services
from portal.extensions import db

PASSWORD = "correct-horse-42"
_counter = itertools.count(1)


def make_org(name: str | None = None):
    organisation = services.create_organisation(name or f"Org {next(_counter)}")
    db.session.commit()
    return organisation


def make_user(
    org=None, role: str = "learner", *, email=None, name=None, password=PASSWORD, **extra
):
    org = org or make_org()
    n = next(_counter)
    user = services.create_user(
        org,
        email=email or f"{role}{n}@example.com",
        name=name or f"{role.title()} {n}",
        role=role,
        password=password,
        **extra,
    )
    db.session.commit()
    return user


def make_token(user) -> str:
    _row, plain = services.issue_token(user, name="tests")
    db.session.commit()
    return plain
