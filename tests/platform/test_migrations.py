"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.core import migrations
from portal.extensions import db


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
