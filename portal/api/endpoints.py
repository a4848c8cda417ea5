"""Declaring API endpoints: auth, roles, body and query validation, and their OpenAPI entry.

One declaration does all of it, so the OpenAPI document is generated from the very
pydantic models that validate requests and shape responses.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from portal.api.blueprint import bp
from portal.api.errors import error_response
from portal.core.errors import DomainError, ValidationError
from portal.core.permissions import ROLES
from portal.core.text_input import (
    multidict_nul_locations,
    unstorable_locations,
    unstorable_message,
)
from portal.extensions import db


@dataclass
class Operation:
    rule: str
    method: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    public: bool
    roles: tuple[str, ...]
    errors: tuple[int, ...] = field(default_factory=tuple)
    content_type: str = "application/json"
    # path parameter -> callable giving its JSON schema when the document is built
    path_schemas: dict = field(default_factory=dict)
    # the JSON schema of a multipart/form-data body (an upload), read by the handler itself
    form_schema: dict | None = None


OPERATIONS: list[Operation] = []


def _field_message(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in {"string_type", "str_type"}:
        return _("Enter text.")
    if kind == "string_too_short":
        return _("Too short.")
    if kind == "string_too_long":
        return _("Too long (at most %(n)s characters).", n=ctx.get("max_length", "?"))
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Must be at least %(n)s.", n=ctx.get("ge", ctx.get("gt", "")))
    if kind in {"less_than_equal", "less_than"}:
        return _("Must be at most %(n)s.", n=ctx.get("le", ctx.get("lt", "")))
    if kind in {"literal_error", "enum"}:  # pydantic words the list in English ("… or …")
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected) or [expected]
        return _("Choose one of: %(choices)s.", choices=", ".join(choices))
    if kind in {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}:
        return _("Enter a date and time in ISO 8601 format with an offset.")
    if kind in {"date_type", "date_parsing", "date_from_datetime_parsing"}:
        return _("Enter a date as YYYY-MM-DD.")
    if kind in {"uuid_type", "uuid_parsing"}:
        return _("Enter a valid id.")
    if kind == "extra_forbidden":
        return _("This field is not accepted.")
    if kind in {"dict_type", "model_type"}:
        return _("Enter an object.")
    if kind == "list_type":
        return _("Enter a list.")
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return _("Enter a valid email address.")
    return _("This value is not valid.")


def pydantic_details(exc: PydanticError, read_only: dict | None = None) -> dict:
    """Field errors by dotted location. A field a body may not set (`read_only`: name →
    function giving the message) gets its own reason instead of "not accepted"."""
    details: dict = {}
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ())) or "body"
        if error.get("type") == "extra_forbidden" and location in (read_only or {}):
            details.setdefault(location, read_only[location]())
        details.setdefault(location, _field_message(error))
    return details


def _unstorable_refused(locations: list[str]):
    details = dict.fromkeys(locations, unstorable_message())
    return error_response(422, "validation_error", details=details)


MAX_JSON_DEPTH = 32


class JsonTooDeep(ValueError):
    pass


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError("number out of range")
    return number


def load_json(raw: bytes | str):
    """A request body as JSON, as strictly as the standard reads it: no NaN or Infinity, no
    number too large for a float, and at most MAX_JSON_DEPTH levels of arrays and objects (a
    context or a webhook has no use for more, and deeper data cannot be stored or echoed).
    ValueError for anything else; JsonTooDeep for too many levels."""
    try:
        data = json.loads(raw or b"null", parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise JsonTooDeep from None
    level = [data] if isinstance(data, dict | list) else []
    for _depth in range(MAX_JSON_DEPTH):  # one level of containers per turn
        if not level:
            return data
        level = [
            item
            for value in level
            for item in (value.values() if isinstance(value, dict) else value)
            if isinstance(item, dict | list)
        ]
    if level:
        raise JsonTooDeep
    return data


def _parse_body(model: type[BaseModel]):
    limit = current_app.config["MAX_JSON_LENGTH"]
    if request.content_length and request.content_length > limit:
        return None, error_response(413)
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        return None, error_response(413)
    if request.mimetype != "application/json":
        return None, error_response(415)
    try:
        data = load_json(raw)
    except JsonTooDeep:
        return None, error_response(400, "bad_request", _("The body is nested too deeply."))
    except (ValueError, UnicodeDecodeError):
        return None, error_response(400, "bad_request", _("The body is not valid JSON."))
    refused = unstorable_locations(data)
    if not isinstance(data, dict):
        return None, error_response(400, "bad_request", _("The body must be a JSON object."))
    if refused:
        return None, _unstorable_refused(refused)
    try:
        return model.model_validate(data), None
    except PydanticError as exc:
        details = pydantic_details(exc, getattr(model, "READ_ONLY", None))
        return None, error_response(422, "validation_error", details=details)


def _parse_query(model: type[BaseModel]):
    try:
        return model.model_validate(request.args.to_dict()), None
    except PydanticError as exc:
        return None, error_response(422, "validation_error", details=pydantic_details(exc))


def current_api_user():
    return g.get("api_user")


def domain_error_response(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.details)


def endpoint(
    rule: str,
    *,
    method: str = "GET",
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    roles: tuple[str, ...] = ROLES,
    public: bool = False,
    signed: bool = False,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
    path_schemas: dict | None = None,
    form_schema: dict | None = None,
):
    """Register an API handler. It receives `body` and `query` models when declared and
    returns a dict (validated against `response`) or a ready Flask response.
    `signed` marks a public webhook that checks its own signature (401 without one)."""
    public = public or signed

    def decorate(fn):
        @wraps(fn)
        def wrapper(**kwargs):
            user = g.get("api_user")
            if not public:
                if user is None:
                    return error_response(401)
                if user.role not in roles:
                    return error_response(403)
            if not signed:  # a signed webhook checks its signature first, then cleans its input
                refused = multidict_nul_locations(request.args)
                if refused:
                    return _unstorable_refused(refused)
            if body is not None:
                parsed, failure = _parse_body(body)
                if failure is not None:
                    return failure
                kwargs["body"] = parsed
            if query is not None:
                parsed, failure = _parse_query(query)
                if failure is not None:
                    return failure
                kwargs["query"] = parsed
            try:
                result = fn(**kwargs)
            except DomainError as exc:
                return domain_error_response(exc)
            if isinstance(result, dict):
                if response is not None:
                    result = response.model_validate(result).model_dump(mode="json")
                return result, status
            return result

        wrapper.access = {"public": public, "signed": signed, "roles": tuple(roles)}
        endpoint_name = f"{tag}_{fn.__name__}"
        bp.add_url_rule(rule, endpoint=endpoint_name, view_func=wrapper, methods=[method])
        OPERATIONS.append(
            Operation(
                rule=rule,
                method=method.lower(),
                summary=summary,
                tag=tag,
                body=body,
                query=query,
                response=response,
                status=status,
                public=public,
                roles=tuple(roles),
                errors=errors,
                content_type=content_type,
                path_schemas=path_schemas or {},
                form_schema=form_schema,
            )
        )
        return wrapper

    return decorate


def validation_error(details: dict) -> ValidationError:
    return ValidationError(_("Some fields are not valid."), details=details)
