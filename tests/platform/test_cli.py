"""The `portal` command's user and token commands."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from portal.accounts.models import User
from portal.cli import cli
from portal.extensions import db


def _run(app, monkeypatch, *args):
    # The command builds its app from the environment: point it at the test database.
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.commit()  # the command is another process in real life: leave no lock held
    if app.config.get("REDIS_URL"):
        monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_create_user_then_token(app, monkeypatch, api):
    result = _run(
        app,
        monkeypatch,
        "create-user",
        "--email",
        "Deniz@Example.com",
        "--name",
        "Deniz Arslan",
        "--role",
        "coordinator",
        "--password",
        "long-enough-1",
        "--org",
        "Acme",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "deniz@example.com"))
    assert user.role == "coordinator" and user.organisation.name == "Acme"

    token = _run(app, monkeypatch, "token", "--email", "deniz@example.com")
    assert token.exit_code == 0
    client = api()
    client.token = token.output.strip()
    assert client.get("/me").get_json()["name"] == "Deniz Arslan"


def test_create_user_refuses_bad_input(app, monkeypatch):
    result = _run(
        app,
        monkeypatch,
        "create-user",
        "--email",
        "nope",
        "--name",
        "X",
        "--role",
        "admin",
        "--password",
        "short",
    )
    assert result.exit_code != 0
    assert "email" in result.output and "password" in result.output
    assert db.session.scalar(select(User)) is None


def test_token_for_unknown_user_fails(app, monkeypatch):
    result = _run(app, monkeypatch, "token", "--email", "ghost@example.com")
    assert result.exit_code != 0
    assert "No active user" in result.output


def test_links_in_messages_point_to_the_address_being_served(monkeypatch, tmp_path):
    import sqlite3

    from portal.cli import _served_at

    monkeypatch.delenv("BASE_URL", raising=False)
    assert _served_at("127.0.0.1", 5077) == {"BASE_URL": "http://127.0.0.1:5077"}
    assert _served_at("0.0.0.0", 8000) == {"BASE_URL": "http://127.0.0.1:8000"}
    assert _served_at("::1", 8000) == {"BASE_URL": "http://[::1]:8000"}
    monkeypatch.setenv("BASE_URL", "https://parcours.example.org")
    assert _served_at("0.0.0.0", 8000) == {}  # the public address wins

    monkeypatch.delenv("BASE_URL")
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--port", "5077"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "demo.db") as demo:
        texts = [row[0] for row in demo.execute("SELECT content FROM outbound_messages")]
    links = [text for text in texts if "/onboarding/attendance/" in text]  # "confirm" links
    assert links and all("http://127.0.0.1:5077/onboarding/attendance/" in text for text in links)
