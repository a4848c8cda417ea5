"""Lists load what they show with the page: the number of SQL statements a list costs does not
grow with the number of rows on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.clock import utcnow
from tests.conftest import login
from tests.statements import counted


def _add_requests(world, count):
    """`count` accepted requests for Tom, each with an upcoming session for John and Sarah."""
    soon = utcnow() + timedelta(days=3)
    for n in range(count):
        request, _assignment = world.accepted()
        world.session(
            request,
            attendees=[world.john, world.sarah],
            starts_at=soon + timedelta(hours=n),
            ends_at=soon + timedelta(hours=n, minutes=45),
        )


def _cost(fetch) -> int:
    fetch()  # warm caches that are not per row (translations, templates)
    with counted() as statements:
        response = fetch()
    assert response.status_code == 200
    return len(statements)


PAGES = [
    ("sophia", "/"),
    ("tom", "/"),
    ("john", "/"),
    ("sophia", "/onboarding/requests"),
    ("tom", "/onboarding/requests"),
]
API = [
    ("sophia", "/onboarding-requests"),
    ("tom", "/onboarding-requests"),
    ("john", "/onboarding-requests"),
    ("sophia", "/assignments"),
    ("tom", "/assignments"),
    ("sophia", "/training-sessions"),
    ("tom", "/training-sessions?upcoming=true"),
    ("john", "/training-sessions"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_page_cost_does_not_grow_with_rows(app, world, who, path):
    browser = login(app.test_client(), getattr(world, who))
    _add_requests(world, 1)
    one = _cost(lambda: browser.get(path))
    _add_requests(world, 4)
    five = _cost(lambda: browser.get(path))
    assert five == one, f"{path} as {who}: {one} statements with 1 request, {five} with 5"


@pytest.mark.parametrize(("who", "path"), API)
def test_api_list_cost_does_not_grow_with_rows(app, world, api, who, path):
    caller = api(getattr(world, who))
    _add_requests(world, 1)
    one = _cost(lambda: caller.get(path))
    _add_requests(world, 4)
    five = _cost(lambda: caller.get(path))
    assert five == one, f"{path} as {who}: {one} statements with 1 request, {five} with 5"
