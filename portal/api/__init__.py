"""The JSON API v1: blueprint, bearer-token auth, errors, pagination and the OpenAPI document."""

from portal.api.blueprint import bp  # noqa: F401
