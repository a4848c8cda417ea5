"""The health endpoint (no prefix, no login: load balancers call it)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from portal.core.permissions import public
from portal.monitoring.health import health_report

bp = Blueprint("monitoring", __name__)


@bp.route("/healthz")
@public
def healthz():
    report, healthy = health_report()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
