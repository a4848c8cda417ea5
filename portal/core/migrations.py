"""The schema's Alembic migrations (through Flask-Migrate), set up only when something uses them.

Flask-Migrate brings in Alembic and its templating, about a tenth of a second of imports that a
web or queue worker never needs. `flask db …` and `portal init` load it on first use; every
other process starts without it.
"""

from __future__ import annotations

import click
from flask import Flask

from portal.config import ROOT

DIRECTORY = ROOT / "migrations"


def configure(app: Flask):
    """Flask-Migrate's configuration for `app` (what `flask_migrate.upgrade()` and the `db`
    commands read from `app.extensions`), set up once."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from portal.extensions import db

        Migrate(app, db, directory=str(DIRECTORY), compare_type=True, render_as_batch=True)
    return app.extensions["migrate"]


def upgrade(app: Flask) -> None:
    """Bring the database of `app` to the newest migration."""
    from flask_migrate import upgrade as upgrade_to_head

    configure(app)
    with app.app_context():
        upgrade_to_head()


def commands(app: Flask) -> click.Command:
    """`flask db …`: Flask-Migrate's command group, imported when it is first run."""

    @click.command(
        "db",
        help="Database migrations (Flask-Migrate and Alembic): flask db --help lists them.",
        context_settings={"ignore_unknown_options": True},
        add_help_option=False,
    )
    @click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
    def run(arguments: tuple[str, ...]) -> None:
        configure(app)
        from flask_migrate.cli import db as group

        code = group.main(args=list(arguments), prog_name="flask db", standalone_mode=False)
        if isinstance(code, int) and code:  # a subcommand that ended with ctx.exit(code)
            raise SystemExit(code)

    return run
