"""The API's error body: {"error": {"code", "message", "details"}} with translated messages."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def default_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Authentication is required: send a valid bearer token."),
        403: _("Your role does not allow this action."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request body is too large."),
        415: _("Send the body as JSON."),
        422: _("Some fields are not valid."),
        429: _("Too many requests. Please wait a minute and try again."),
        500: _("Something went wrong on our side."),
        503: _("The service is unavailable."),
    }
    return messages.get(status, _("The request could not be completed."))


def error_response(status: int, code: str | None = None, message: str | None = None, details=None):
    body = {
        "error": {
            "code": code or HTTP_CODES.get(status, "error"),
            "message": message or default_message(status),
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def http_error(exc: HTTPException):
    response = error_response(exc.code or 500)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
