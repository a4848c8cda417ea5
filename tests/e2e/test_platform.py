"""Login, switching to Turkish, accessibility (axe) and the 360 px layout, in chromium."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD, make_org, make_user


@pytest.fixture
def people(settle_db):
    org = make_org("Parcours Formation")
    admin = make_user(org, "admin", name="Claire Dubois", email="claire@parcours.test")
    learner = make_user(
        org, "learner", name="Elif Yılmaz", email="elif@parcours.test", timezone="Europe/Istanbul"
    )
    make_user(org, "trainer", name="Tom Becker", email="tom@parcours.test")
    emails = {"admin": admin.email, "learner": learner.email}
    settle_db()
    return emails


def test_login_switch_to_turkish_and_logout(open_page, people):
    page = open_page()
    log_in(page, people["learner"], PASSWORD)
    assert page.locator("h1").inner_text().startswith("Welcome")
    page.goto("/profile")
    page.select_option("#locale", "tr")
    page.click("#profile-form button[type=submit]")
    # Polled by Playwright itself: a string predicate would be evaluated by the page, which
    # the Content Security Policy refuses whenever the first check is too early.
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    assert page.locator("h1").inner_text() == "Profiliniz"
    screenshot(page, "profile-tr.png")
    page.click(".user-menu button[type=submit]")
    page.wait_for_url("**/login")
    assert page.csp_errors == []


def test_form_errors_show_in_place(open_page, people):
    """A form refused with 422 is swapped in with its errors (htmx leaves 4xx answers out
    unless told otherwise)."""
    page = open_page()
    log_in(page, people["learner"], PASSWORD)
    page.goto("/profile")
    page.fill("#name", "")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("#profile-form .errors")).to_contain_text("Required.")
    assert page.csp_errors == []


AXE_PAGES = (
    ("anonymous", "/login"),
    ("admin", "/"),
    ("learner", "/"),
    ("learner", "/profile"),
    ("admin", "/profile"),
    ("admin", "/admin/users"),
)


@pytest.mark.parametrize(("who", "path"), AXE_PAGES)
def test_no_accessibility_violations(open_page, people, who, path):
    page = open_page(bypass_csp=True)  # axe injects its own script
    if who != "anonymous":
        log_in(page, people[who], PASSWORD)
    page.goto(path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize(
    ("who", "path"),
    (("anonymous", "/login"), ("admin", "/"), ("admin", "/admin/users"), ("learner", "/profile")),
)
def test_pages_fit_360_px(open_page, people, who, path):
    page = open_page(width=360, height=740)
    if who != "anonymous":
        log_in(page, people[who], PASSWORD)
    page.goto(path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide"
    if (who, path) == ("admin", "/"):
        screenshot(page, "mobile-home.png")


def test_screenshots_for_the_readme(open_page, people):
    page = open_page()
    page.goto("/login")
    screenshot(page, "login.png")
    log_in(page, people["admin"], PASSWORD)
    screenshot(page, "home-admin.png")
    page.goto("/admin/users")
    screenshot(page, "users-admin.png")


def test_the_mailbox_shows_an_emails_html_part_in_a_sandboxed_frame(open_page, people, settle_db):
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.messaging.services import queue_message

    admin = db.session.scalar(select(User).where(User.email == people["admin"]))
    message = queue_message(
        channel="email",
        message_type="notification",
        recipient=admin,
        context={"title": "Your <session>", "body": "Friday 10:00.", "link": "/"},
    )
    message.transport, message.status = "mailbox", "delivered"  # as the worker leaves it
    message_id = message.id
    settle_db()
    page = open_page()
    log_in(page, people["admin"], PASSWORD)
    page.goto(f"/admin/mailbox/{message_id}")
    frame = page.frame_locator("iframe.message-html")
    expect(frame.locator("h1")).to_have_text("Your <session>")
    expect(frame.locator("a")).to_have_text("Open in Parcours")
    assert page.locator("iframe.message-html").get_attribute("sandbox") == ""
    assert page.csp_errors == []
