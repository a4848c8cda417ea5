"""A module plugs in through the declaration in its package alone: mounted as `portal.tinymod`
(a copy of tests/platform/tinymod), it is served, demoed and scheduled, and its message types
are named, without a line changed anywhere else. A handler waiting for an event that no
machine emits stops the start."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import portal
from portal import create_app, queue
from portal.core import modules
from portal.extensions import db
from portal.workflow import events
from tests import conftest

TINY = Path(__file__).parent / "tinymod"


@pytest.fixture
def new_app():
    """create_app() as a deployment would run it; its database connections closed after."""
    made = []

    def make():
        made.append(create_app(conftest.test_config()))
        return made[-1]

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def tiny_mounted(tmp_path, monkeypatch):
    shutil.copytree(TINY, tmp_path / "tinymod")
    monkeypatch.setattr(portal, "__path__", [*portal.__path__, str(tmp_path)])
    modules.all_modules.cache_clear()
    yield
    modules.all_modules.cache_clear()
    for name in [n for n in sys.modules if n.startswith("portal.tinymod")]:
        del sys.modules[name]


def test_every_feature_package_declares_itself():
    names = [module.name for module in modules.all_modules()]
    assert names == [
        "accounts",
        "messaging",
        "webhooks",
        "onboarding",
        "workflow",
        "monitoring",
        "notifications",
        "api",
    ]


def test_a_module_is_served_demoed_scheduled_and_named_from_its_declaration(
    tiny_mounted, app, new_app
):
    tiny_app = new_app()
    assert "tinymod" in [m.name for m in tiny_app.extensions["portal_modules"]]
    page = tiny_app.test_client().get("/tiny/")
    assert page.status_code == 200 and page.get_data(as_text=True) == "A tiny module's page"

    with tiny_app.app_context():
        from portal.demo import build_demo
        from portal.messaging.rendering import message_type_label
        from worker.runner import drain
        from worker.schedule import tick

        accounts = build_demo()
        assert ("Tiny", "tiny@tiny.test", "learner") in accounts

        now = datetime(2030, 1, 1, 12, tzinfo=UTC)
        enqueued = tick(lambda name: queue.get_queue(name, tiny_app), now=now)
        assert any("portal-tinymod-jobs-sweep" in job_id for job_id in enqueued)
        drain(tiny_app)
        assert queue.connection(tiny_app).get("portal:tinymod:swept") == b"yes"

        assert message_type_label("tiny_hello") == "Tiny hello"


def test_a_handler_for_an_event_no_machine_emits_stops_the_start(app, new_app, monkeypatch):
    def misspelt(event, entity) -> None:
        raise AssertionError("never called")

    checked = []
    real_check = events.check_subscriptions
    monkeypatch.setattr(events, "check_subscriptions", lambda: checked.append(real_check()))
    new_app()
    assert checked == [None]  # create_app checks the subscriptions

    events.on("assignmnet_accepted")(misspelt)
    try:
        with pytest.raises(RuntimeError, match="assignmnet_accepted"):
            real_check()
    finally:
        events.off("assignmnet_accepted", misspelt)
    events.on("assignment_created")(misspelt)  # creation is an event of every machine
    try:
        real_check()
    finally:
        events.off("assignment_created", misspelt)
