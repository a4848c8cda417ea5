"""The `portal` command: run, demo, init, create-user, token, serve, worker, translations."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from portal.core.migrations import upgrade

ROLES = ("admin", "coordinator", "trainer", "learner")


def _app(**overrides):
    from portal import create_app

    return create_app(overrides or None)


@contextmanager
def _app_context(**overrides):
    """An app context for a one-shot command; its connections are closed at the end."""
    from portal.extensions import db

    app = _app(**overrides)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _served_at(host: str, port: int) -> dict:
    """Links in emails and chats point to the address being served, unless BASE_URL says where
    the public one is."""
    if os.environ.get("BASE_URL"):
        return {}
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return {"BASE_URL": f"http://{shown}:{port}"}


def _serve(app, host: str, port: int, *, embedded_worker: bool) -> None:
    from werkzeug.serving import run_simple

    runner = None
    if embedded_worker:
        from worker.runner import EmbeddedWorker

        runner = EmbeddedWorker(app).start()
    click.echo(f"Parcours is running on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if runner is not None:
            runner.stop(timeout=2)


@click.group(help="Parcours, the training-operations portal.")
def cli() -> None:
    pass


@cli.command(help="Create or upgrade the database schema.")
def init() -> None:
    app = _app()
    upgrade(app)
    click.echo(f"Database is up to date: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")


@cli.command(help="Run the web application with the embedded worker.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    app = _app(**_served_at(host, port))
    upgrade(app)
    _serve(app, host, port, embedded_worker=True)


@cli.command(help="Run the web application only (workers run apart).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    app = _app(**_served_at(host, port))
    _serve(app, host, port, embedded_worker=False)


@cli.command(help="Start on a fresh demo database with realistic data and print the accounts.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Only build the demo database.")
def demo(host: str, port: int, no_serve: bool) -> None:
    from portal.config import _instance_dir
    from portal.demo import DEMO_PASSWORD, build_demo

    overrides = _served_at(host, port)
    if not os.environ.get("DATABASE_URL"):
        path = _instance_dir() / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
        overrides["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app = _app(**overrides)
    if os.environ.get("DATABASE_URL"):
        from portal.demo import reset_database

        with app.app_context():
            reset_database()
    upgrade(app)
    with app.app_context():
        accounts = build_demo()
    click.echo(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for role, email, name in accounts:
        click.echo(f"  {role:<12} {email:<40} {name}")
    click.echo("")
    if not no_serve:
        _serve(app, host, port, embedded_worker=True)


@cli.command("create-user", help="Create a user (and the organisation if it does not exist).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", required=True)
@click.option("--org", default="Parcours", show_default=True, help="Organisation name.")
@click.option("--locale", default="en", type=click.Choice(("en", "fr", "tr")))
@click.option("--timezone", default=None)
def create_user(email, name, role, password, org, locale, timezone) -> None:
    from sqlalchemy import select

    from portal.accounts import services
    from portal.accounts.models import Organisation
    from portal.core.errors import DomainError
    from portal.extensions import db

    with _app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == org))
        try:
            if organisation is None:
                organisation = services.create_organisation(org)
            user = services.create_user(
                organisation,
                email=email,
                name=name,
                role=role,
                password=password,
                locale=locale,
                timezone=timezone,
            )
        except DomainError as exc:
            db.session.rollback()
            details = "; ".join(f"{k}: {v}" for k, v in exc.details.items())
            raise click.ClickException(f"{exc.message} {details}".strip()) from None
        db.session.commit()
        click.echo(f"Created {user.role} {user.email} in {organisation.name} (id {user.id})")


@cli.command(help="Print a new API token for a user.")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True)
def token(email: str, name: str) -> None:
    from sqlalchemy import select

    from portal.accounts import services
    from portal.accounts.models import User
    from portal.extensions import db

    with _app_context():
        try:
            normalised = services.normalise_email(email)
        except Exception:
            raise click.ClickException(f"Not an email address: {email}") from None
        user = db.session.scalar(select(User).where(User.email == normalised))
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user with email {email}")
        _row, plain = services.issue_token(user, name=name)
        db.session.commit()
        click.echo(plain)


@cli.command(help="Run an RQ worker with the scheduler on the named queues.")
@click.option("--queue", "queues", multiple=True, help="Queues to serve (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues, burst: bool) -> None:
    from portal import queue as portal_queue

    app = _app()
    names = queues or portal_queue.QUEUES
    if portal_queue.is_embedded(app):
        raise click.ClickException(
            "REDIS_URL is not set: the embedded queue runs inside `portal run`."
        )
    from worker.runner import run_redis_worker

    click.echo(f"Worker on {', '.join(names)}")
    run_redis_worker(app, names, burst=burst)


@cli.command(help="Extract, update and compile the translation catalogs.")
@click.argument(
    "action", default="all", type=click.Choice(("all", "extract", "update", "compile", "check"))
)
def translations(action: str) -> None:
    from portal.core import catalogs

    if action in ("all", "extract"):
        click.echo(f"Extracted {catalogs.extract()}")
    if action in ("all", "update"):
        catalogs.update()
        click.echo("Updated fr and tr catalogs")
    if action in ("all", "compile"):
        for path in catalogs.compile_catalogs():
            click.echo(f"Compiled {path}")
    if action == "check":
        problems = catalogs.problems()
        for line in problems:
            click.echo(line)
        if problems:
            sys.exit(1)
        click.echo("Catalogs are complete.")


def main(argv=None) -> None:
    cli.main(args=argv, prog_name="portal")
