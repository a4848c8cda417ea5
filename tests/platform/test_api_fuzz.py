"""Every operation of the OpenAPI document, fed generated input — valid and invalid bodies,
queries and path ids — as each role: the answer is never a server error, and every answer with a
body is JSON in the error or response format the document declares.

Schemathesis builds the cases from `/api/v1/openapi.json`, so an operation added to the API is
fuzzed here without any change to this file.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error

from portal import create_app
from tests import factories
from tests.conftest import ROLES
from tests.conftest import test_config as config_for_tests

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "12"))  # more for a deeper local run


def _document() -> dict:
    """The document `/api/v1/openapi.json` serves, read once when the tests are collected."""
    response = create_app(config_for_tests()).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def callers(org):
    """Who sends each case: a bearer token of every role, and nobody."""
    headers = {"anonymous": {}}
    for role in ROLES:
        token = factories.make_token(factories.make_user(org, role))
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_input_never_gets_a_server_error(app, case, callers):
    client = app.test_client()
    for headers in callers.values():
        kwargs = case.as_transport_kwargs(base_url="", headers=headers)
        response = client.open(
            kwargs["url"],
            method=kwargs["method"],
            headers=kwargs.get("headers"),
            query_string=kwargs.get("params"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
        )
        case.validate_response(response, checks=[not_a_server_error, content_type_conformance])
