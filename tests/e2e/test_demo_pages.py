"""The demo's main pages open in chromium without errors for each role (and, with
PORTAL_SCREENSHOTS=1, refresh the README's screenshots)."""

from __future__ import annotations

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, build_demo
from portal.extensions import db
from portal.onboarding.models import OnboardingRequest
from tests.e2e.conftest import log_in, screenshot


def test_demo_pages_for_each_role(open_page, settle_db):
    build_demo()
    live = db.session.scalar(
        select(OnboardingRequest).where(OnboardingRequest.status == "in_progress")
    )
    live_url = f"/onboarding/requests/{live.id}"
    settle_db()
    pages = {
        "sophia@parcours.test": [
            ("/", "home-coordinator.png"),
            (live_url, "request.png"),
            ("/onboarding/requests", "requests.png"),
        ],
        "tom@parcours.test": [("/", "home-trainer.png")],
        "john@abc-company.test": [("/", "home-learner.png")],
        "admin@parcours.test": [
            ("/admin/workflows", "workflows.png"),
            ("/admin/messages", "messages.png"),
            ("/admin/changes", None),
        ],
        "zeynep@kaya-lojistik.test": [("/", "home-learner-tr.png")],
    }
    for email, visits in pages.items():
        page = open_page()
        log_in(page, email, DEMO_PASSWORD)
        for path, picture in visits:
            response = page.goto(path)
            assert response.status == 200, path
            if picture:
                screenshot(page, picture)
        assert page.csp_errors == [], email
