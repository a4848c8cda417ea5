"""Every route, every role: who may reach it is declared on the view and enforced.

Indico-style: views carry an `access` declaration; this test walks the URL map, so a new
route without a declaration, or one that lets the wrong role in, fails here.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.conftest import ROLES, login
from tests.factories import make_token

SKIP_ENDPOINTS = {"static"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods & set(METHODS)):
            yield rule, method, view


def _url(rule) -> str:
    # Ids that exist nowhere: allowed roles get 404, refused roles never get that far.
    url = re.sub(r"<int:[a-z_]+>", "0", rule.rule)
    return re.sub(r"<(?:[a-z_]+:)?[a-z_]+>", str(uuid.uuid4()), url)


def test_every_route_declares_its_access(app):
    missing = [
        f"{method} {rule.rule}"
        for rule, method, view in _routes(app)
        if not isinstance(getattr(view, "access", None), dict)
    ]
    assert missing == []


def _call(client, method, url, *, token=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if url.startswith("/api/"):
        return client.open(
            url, method=method, headers=headers, json={} if method != "GET" else None
        )
    if method != "GET":
        headers["X-CSRFToken"] = client.csrf_token()
    return client.open(url, method=method, headers=headers, data={})


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_for_every_role(app, users, role):
    client = app.test_client()
    token = None
    if role is not None:
        login(client, users[role])
        token = make_token(users[role])
    checked = 0
    # Logging out ends the session: walk it last.
    routes = sorted(_routes(app), key=lambda r: r[0].endpoint == "accounts.logout")
    for rule, method, view in routes:
        access = view.access
        url = _url(rule)
        is_api = url.startswith("/api/")
        response = _call(client, method, url, token=token if is_api else None)
        where = f"{role or 'anonymous'} {method} {rule.rule} -> {response.status_code}"
        # /healthz answers 503 here because no worker runs during this test.
        assert response.status_code < 500 or rule.rule == "/healthz", where
        allowed = access["public"] or (role is not None and role in access["roles"])
        if access.get("signed"):
            # Webhooks answer to their signature, never to a session or a token.
            assert response.status_code == 401, where
        elif allowed:
            assert response.status_code not in (401, 403), where
            if not is_api and not access["public"] and rule.endpoint != "accounts.logout":
                assert "/login" not in response.headers.get("Location", ""), where
        elif role is None:
            if is_api:
                assert response.status_code == 401, where
            else:
                assert response.status_code == 302, where
                assert "/login" in response.headers["Location"], where
        else:
            assert response.status_code == 403, where
        checked += 1
    assert checked > 20
