"""The caller's address, as seen behind at most one trusted proxy."""

from flask import request


def client_address() -> str:
    return request.remote_addr or "unknown"
