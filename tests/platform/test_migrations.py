"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text

from portal.core import migrations
from portal.extensions import db
from tests.conftest import database_url
from tests.conftest import test_config as config_for_tests


def test_migrations_and_models_agree(app):
    # The session fixture built the schema with `alembic upgrade head`, not create_all().
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory

    config = migrations.configure(app).migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, "one line of migrations, no branches"
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert tuple(current) == tuple(heads)


def test_web_and_queue_processes_start_without_the_migration_tooling(tmp_path):
    """Alembic is loaded by `portal init` and `flask db`, and the in-process Redis stand-in by
    the embedded queue, not by every process that builds the app: a fresh interpreter that
    creates the app against a real Redis has imported neither."""
    code = (
        "import sys; from portal import create_app; create_app(); "
        "print(sorted(m for m in ('alembic', 'flask_migrate', 'fakeredis') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "PORTAL_INSTANCE_DIR": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:6379/15",  # named, never connected to here
        },
    )
    assert result.stdout.strip() == "[]"


def test_the_flask_db_commands_are_still_there(app):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["db", "--help"])
    assert listed.exit_code == 0, listed.output
    for command in ("upgrade", "downgrade", "migrate", "heads"):
        assert command in listed.output
    assert runner.invoke(args=["db", "current"]).exit_code == 0
    assert runner.invoke(args=["db", "nosuch"]).exit_code == 2  # click's usage error
    assert runner.invoke(args=["db", "downgrade", "zzzz"]).exit_code == 1  # Alembic's failure


BEFORE_ONE_CHAT_PER_PERSON = "b3f0a6d2e917"


@pytest.fixture
def empty_database(tmp_path, app):
    """A database of its own for a migration to run on: a SQLite file, or on PostgreSQL a
    schema of the test database (dropped afterwards)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            yield f"sqlite:///{tmp_path}/migrated.db"
            return
        db.session.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        db.session.execute(text("CREATE SCHEMA migration_check"))
        db.session.commit()
    url = database_url()
    yield url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dmigration_check"
    with app.app_context():
        db.session.execute(text("DROP SCHEMA migration_check CASCADE"))
        db.session.commit()


def test_a_chat_id_held_by_several_people_is_taken_from_all_before_it_becomes_unique(
    empty_database,
):
    """Nothing tells who really owns a chat id several profiles hold (any profile could type
    another person's): none keeps it, and its owner links it again. Blank ones become NULL and
    padded ones are trimmed, so they neither collide nor slip past the constraint."""
    from flask_migrate import upgrade as upgrade_to

    from portal import create_app
    from portal.accounts.models import Organisation, User

    old = create_app(config_for_tests(SQLALCHEMY_DATABASE_URI=empty_database))
    migrations.configure(old)
    held = {"a": "111", "b": "111", "c": " 222 ", "d": "", "e": "333", "f": None, "g": "  "}
    with old.app_context():
        upgrade_to(revision=BEFORE_ONE_CHAT_PER_PERSON)
        org = uuid.uuid4()
        now = datetime.now(UTC)
        db.session.execute(
            insert(Organisation.__table__).values(id=org, name="Old", slug="old", created_at=now)
        )
        db.session.execute(
            insert(User.__table__),
            [
                {
                    "id": uuid.uuid4(),
                    "organisation_id": org,
                    "email": f"{key}@old.example",
                    "name": key,
                    "role": "learner",
                    "locale": "en",
                    "timezone": "UTC",
                    "is_active": True,
                    "created_at": now,
                    "telegram_chat_id": chat_id,
                }
                for key, chat_id in held.items()
            ],
        )
        db.session.commit()
        upgrade_to()
        kept = dict(db.session.execute(select(User.name, User.telegram_chat_id)).all())
        db.session.remove()
        db.engine.dispose()
    assert kept == {"a": None, "b": None, "c": "222", "d": None, "e": "333", "f": None, "g": None}
