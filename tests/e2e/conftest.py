"""Browser tests: the app served on 127.0.0.1 by a real HTTP server, driven by Playwright in
Debian's chromium. Without /usr/bin/chromium they skip, unless PORTAL_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required for the browser tests")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(width=1280) → a fresh page in its own context (own cookies)."""
    contexts = []

    def make(width: int = 1280, height: int = 800, *, bypass_csp: bool = False):
        context = chromium.new_context(
            viewport={"width": width, "height": height},
            base_url=live_server,
            bypass_csp=bypass_csp,
            locale="en-GB",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.csp_errors = []
        page.on(
            "console",
            lambda message: (
                page.csp_errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def settle_db():
    """End the test's own transaction so the server threads can write (SQLite's lock)."""

    def settle():
        db.session.commit()
        db.session.remove()

    return settle


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> None:
    """Refresh the README's pictures: only when PORTAL_SCREENSHOTS=1 (they change each run)."""
    if os.environ.get("PORTAL_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
