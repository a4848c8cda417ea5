"""Every form a person can reach, filled with generated input: never a server error.

Each role logs in to the demo data, walks the pages it can reach from its home page, and collects
every POST form on them (action, fields, the options of each select). Hypothesis then fills every
form with plausible and implausible values — empty, very long, wrong types, odd Unicode, dates
that do not exist, values outside the select's options — and posts it. Any answer of 500 or more
fails. A form added to any page is fuzzed here without a change to this file.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.accounts.models import User
from portal.demo import DEMO_PASSWORD, build_demo
from portal.extensions import db
from tests.conftest import login

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "12"))
PAGES_PER_ROUTE = 3
# Forms whose success ends the walk rather than testing input.
SKIPPED_ACTIONS = {"/logout"}


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> known good values
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type


class _Collector(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.links: set[str] = set()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.add(urljoin(self.page_url, a["href"]))
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = Form(action=urljoin(self.page_url, a.get("action") or self.page_url))
        elif self._form is None:
            return
        elif tag in {"input", "textarea"} and a.get("name") and a["name"] != "csrf_token":
            kind = a.get("type", "text") if tag == "input" else "textarea"
            if kind in {"submit", "button"}:
                return
            self._form.fields.setdefault(a["name"], [])
            self._form.kinds[a["name"]] = kind
            if a.get("value"):
                self._form.fields[a["name"]].append(a["value"])
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.fields.setdefault(a["name"], [])
            self._form.kinds[a["name"]] = "select"
        elif tag == "option" and self._select and a.get("value") is not None:
            self._form.fields[self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in {"", "localhost"} or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(("/static/", "/api/")):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=/)\d+(?=/|$)")


def _pattern(url: str) -> str:
    """A URL with its ids collapsed: /onboarding/requests/{id}."""
    return _ID.sub("{id}", urlsplit(url).path)


def _walk(client) -> list[Form]:
    """The POST forms on the pages reachable from the home page, breadth first, visiting
    `PAGES_PER_ROUTE` pages of each route (so twenty timelines do not crowd out the rest)."""
    visited: dict[str, int] = {}
    seen, queue, forms = set(), ["/"], {}
    while queue:
        url = queue.pop(0)
        pattern = _pattern(url)
        if url in seen or visited.get(pattern, 0) >= PAGES_PER_ROUTE:
            continue
        seen.add(url)
        visited[pattern] = visited.get(pattern, 0) + 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        collector = _Collector("http://localhost" + url)
        collector.feed(response.get_data(as_text=True))
        for form in collector.forms:
            action = _local(form.action)
            if action and urlsplit(action).path not in SKIPPED_ACTIONS:
                forms.setdefault(action, form)
        queue.extend(u for u in map(_local, sorted(collector.links)) if u and u not in seen)
    return [Form(action=_local(f.action), fields=f.fields, kinds=f.kinds) for f in forms.values()]


# The form routes each role must find on its walk: if a page stops offering one of these, or
# the walk stops reaching it, this test says so rather than fuzzing less without a word.
COMMON = {
    "/language",
    "/notifications/read-all",
    "/profile",
    "/profile/password",
    "/profile/telegram",
    "/profile/tokens",
}
EXPECTED = {
    # the demo's John is a contact whose chat id staff entered: he can unlink it
    "learner": COMMON | {"/profile/telegram/unlink", "/status/attendee/{id}"},
    "trainer": COMMON
    | {
        "/onboarding/requests/{id}/sessions",
        "/onboarding/sessions/{id}/materials",
        "/onboarding/sessions/{id}/reschedule",
        "/status/stage_progress/{id}",
        "/status/training_session/{id}",
    },
    "coordinator": COMMON
    | {
        "/onboarding/clients",
        "/onboarding/requests",
        "/onboarding/requests/{id}/assign",
        "/onboarding/requests/{id}/priority",
        "/status/onboarding_request/{id}",
    },
    "admin": COMMON
    | {
        "/admin/users",
        "/admin/users/{id}/active",
        "/admin/users/{id}/role",
        "/onboarding/clients",
        "/onboarding/programs",
    },
}


ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-1",
        "99999999999999999999999",
        "1e309",
        "NaN",
        "2024-02-30",
        "2024-13-01T25:61",
        "25:61",
        "null",
        "<script>x</script>",
        "İıŞşĞğ ÇçÖöÜü",
        "ᵖᵃʳᶜᵒᵘʳˢ",
        "x" * 5000,
        "../../etc/passwd",
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
    ]
)


def _value(form: Form, name: str):
    known = [v for v in form.fields[name] if v]
    choices = [ODD_TEXT, st.text(max_size=60)]
    if known:
        choices.insert(0, st.sampled_from(known))
    return st.one_of(*choices)


@st.composite
def filled(draw, form: Form) -> dict:
    data = {}
    for name in form.fields:
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing field
        data[name] = draw(_value(form, name))
    return data


@pytest.fixture
def demo_users():
    """The demo's first account of each role (the ones `portal demo` prints first)."""
    accounts = build_demo()
    db.session.commit()
    by_role = {}
    for role, email, _name in accounts:
        if role not in by_role:
            by_role[role] = db.session.scalar(select(User).where(User.email == email))
    return by_role


@pytest.mark.parametrize("role", ["learner", "trainer", "coordinator", "admin"])
def test_every_reachable_form_survives_generated_input(app, demo_users, role):
    client = login(app.test_client(), demo_users[role], password=DEMO_PASSWORD)
    forms = _walk(client)
    found = {_pattern(form.action) for form in forms}
    assert EXPECTED[role] <= found, f"{role} no longer reaches {EXPECTED[role] - found}"
    token = client.csrf_token()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def post_every_form(data):
        for form in forms:
            values = data.draw(filled(form), label=form.action)
            files = {}
            for name, kind in form.kinds.items():
                if kind == "file" and name in values:
                    file_name = data.draw(
                        st.sampled_from(["fuzz.pdf", "de\x00ck.pdf", "../../x.pdf", "ş" * 300]),
                        label="file name",
                    )
                    files[name] = (io.BytesIO(b"%PDF-1.4 fuzz"), file_name)
                    values.pop(name)
            headers = {"X-CSRFToken": token}
            if data.draw(st.booleans(), label="htmx"):
                headers["HX-Request"] = "true"  # the fragment path as well as the page path
            response = client.post(
                form.action,
                data={**values, **files},
                headers=headers,
                content_type="multipart/form-data" if files else None,
            )
            assert response.status_code < 500, (form.action, values, response.status_code)

    post_every_form()
