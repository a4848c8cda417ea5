"""Route access declarations. Every view says who may reach it; one test walks them all."""

from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

ROLES = ("admin", "coordinator", "trainer", "learner")
STAFF = ("admin", "coordinator", "trainer")


def public(view):
    """Reachable without logging in."""
    view.access = {"public": True, "roles": ROLES}
    return view


def roles_required(*roles: str):
    """A logged-in browser user with one of `roles`; anyone else gets 403 (401 → login)."""
    roles = roles or ROLES

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                from portal.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = {"public": False, "roles": tuple(roles)}
        return wrapper

    return decorate


login_required = roles_required()


def same_organisation(obj) -> bool:
    """Whether the current user belongs to the organisation that owns `obj`."""
    user = g.get("api_user") or current_user
    return obj is not None and obj.organisation_id == user.organisation_id
