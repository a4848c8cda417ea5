"""Scenario 1 in the browser, across the three roles: Sophia (coordinator), Tom (trainer)
and John (customer contact), each in their own browser context."""

from __future__ import annotations

from tests.e2e.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tests.onboarding.conftest import world  # noqa: F401 - the seed's people as a fixture


def test_scenario_1_across_roles(open_page, world, settle_db):  # noqa: F811
    emails = {"sophia": world.sophia.email, "tom": world.tom.email, "john": world.john.email}
    settle_db()
    sophia, tom, john = open_page(), open_page(), open_page()
    for page, who in ((sophia, "sophia"), (tom, "tom"), (john, "john")):
        log_in(page, emails[who], PASSWORD)

    # Sophia creates the request and assigns Tom.
    sophia.goto("/onboarding/requests")
    sophia.select_option("#client_id", label="ABC Company")
    sophia.select_option("#program_id", label="CRM system")
    sophia.click("#request-form button[type=submit]")
    sophia.wait_for_url("**/onboarding/requests/*")
    code = sophia.locator("h1").inner_text().split(" ")[0]
    assert code.startswith("REQ-")
    request_url = sophia.url
    tom_option = sophia.locator("#trainer_id option", has_text="Tom").first
    sophia.select_option("#trainer_id", value=tom_option.get_attribute("value"))
    sophia.click("text=Assign >> nth=-1")
    sophia.wait_for_selector(".toast-success")

    # Tom sees the assignment on his home page and accepts it.
    tom.goto("/")
    tom.click(f"text={code}")
    tom.click("button:has-text('Accept')")
    tom.wait_for_selector(".toast-success")
    # Tom schedules the first session with John.
    tom.select_option("#stage_id", index=0)
    tom.fill("#day", "2030-02-20")
    tom.fill("#start", "10:00")
    tom.fill("#end", "12:00")
    tom.fill("#meeting_link", "https://zoom.us/j/123456")
    tom.check("input[name=attendee_ids] >> nth=0")
    tom.click("#session-form button[type=submit]")
    tom.wait_for_selector("text=The session is scheduled")

    # John confirms from his home page.
    john.goto("/")
    john.click("button:has-text('Confirm attendance')")
    john.wait_for_selector(".toast-success")

    # Tom runs the session: start, mark John attended, complete with notes.
    tom.goto(request_url)
    tom.click("table a >> nth=0")
    tom.click("button:has-text('Start')")
    tom.wait_for_selector(".toast-success")
    tom.click(".attendees button:has-text('Attended')")
    tom.wait_for_selector(".toast-success")
    tom.fill("textarea[name=notes]", "Covered all initial setup steps.")
    tom.click("button:has-text('Complete')")
    tom.wait_for_selector(".toast-success")

    # Sophia's page follows without a reload: stage 1 completed, request in progress.
    sophia.wait_for_selector(
        "#request-live .stages .progress-value:has-text('100 %')", timeout=20_000
    )
    screenshot(sophia, "request-coordinator.png")
    assert sophia.csp_errors == [] and tom.csp_errors == [] and john.csp_errors == []
