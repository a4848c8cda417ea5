"""The JSON API v1: blueprint, bearer-token auth, errors, pagination and the OpenAPI document."""

from portal.api.blueprint import bp  # noqa: F401
from portal.core.modules import Module

MODULE = Module(
    name="api",
    order=100,  # its blueprint holds every module's endpoints, and the document lists them
    imports=("portal.api.openapi",),
    blueprints=("portal.api.blueprint:bp",),
)
