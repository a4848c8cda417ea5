"""A notification created for the logged-in user appears in the bell without a reload."""

from __future__ import annotations

from portal.extensions import db
from portal.notifications.services import notify
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, make_user


def test_bell_updates_without_reload(open_page, org, settle_db):
    user = make_user(org, "trainer", name="Tom Becker", email="tom@parcours.test")
    email, user_id = user.email, user.id
    settle_db()
    page = open_page()
    log_in(page, email, PASSWORD)
    assert page.locator("#bell-count").count() == 0
    page.evaluate("window.__sameDocument = true")

    from portal.accounts.models import User

    notify(
        db.session.get(User, user_id),
        type="assignment_created",
        title="New Training Assignment",
        message="You have been assigned.",
    )
    settle_db()

    page.wait_for_selector("#bell-count", timeout=15_000)
    assert page.locator("#bell-count").inner_text() == "1"
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert page.csp_errors == []


def test_when_the_session_ends_the_bell_sends_the_browser_to_log_in(open_page, org, settle_db):
    user = make_user(org, "trainer", name="Tom Becker", email="tom@parcours.test")
    email = user.email
    settle_db()
    page = open_page()
    log_in(page, email, PASSWORD)
    page.goto("/notifications")
    page.context.clear_cookies()  # the session ends (expired, or logged out in another tab)

    page.wait_for_url("**/login?next=%2Fnotifications", timeout=15_000)
    assert page.locator("header form").count() == 0  # no login form pasted into the header
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/notifications")  # back on the page, not on the bell's fragment
    assert page.locator("#notification-bell").count() == 1
    assert page.csp_errors == []
