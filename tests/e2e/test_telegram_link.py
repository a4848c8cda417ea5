"""Connecting Telegram from the profile, in chromium: the one-time link appears in place, the
bot's /start arrives, and the page shows the chat linked without a reload; then Unlink."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_org, make_user

SECRET = "e2e-telegram-secret"


@pytest.fixture
def learner(settle_db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TELEGRAM_WEBHOOK_SECRET", SECRET)
    make_user(make_org("Parcours Formation"), "learner", email="mia@parcours.test")
    settle_db()
    return "mia@parcours.test"


def test_connect_telegram_then_unlink(open_page, learner, live_server):
    import requests

    page = open_page()
    log_in(page, learner, PASSWORD)
    page.goto("/profile")
    expect(page.locator("#telegram-state")).to_contain_text("Not linked")
    page.click("#telegram-link button:has-text('Connect Telegram')")
    link = page.locator("#telegram-url")
    expect(link).to_have_attribute("href", re.compile(r"^https://t\.me/\w+\?start=[\w-]+$"))
    token = link.get_attribute("href").split("?start=", 1)[1]

    # The person presses Start in Telegram: the bot's update reaches the webhook.
    update = {"update_id": 90001, "message": {"chat": {"id": 4747}, "text": f"/start {token}"}}
    answer = requests.post(
        f"{live_server}/api/v1/webhooks/telegram",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=10,
    )
    assert answer.status_code == 200
    # The page polls and shows the new state by itself.
    expect(page.locator("#telegram-state")).to_contain_text("Linked", timeout=10_000)
    expect(page.locator("#telegram-link")).to_contain_text("Your Telegram is linked.")
    expect(page.locator("#telegram-url")).to_have_count(0)

    page.click("#telegram-link button:has-text('Unlink')")
    expect(page.locator("#telegram-state")).to_contain_text("Not linked")
    expect(page.locator("#telegram-link")).to_contain_text("Your Telegram is unlinked.")
    assert page.csp_errors == []
