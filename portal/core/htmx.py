"""Render a whole page, or only the named block an HTMX request asked for."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request
from jinja2_fragments.flask import render_blocks


def is_htmx() -> bool:
    """An HTMX swap, not a history restore nor a boosted navigation (those want the page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and request.headers.get("HX-Boosted") != "true"
    )


def render(
    template: str, block: str | None = None, oob: tuple[str, ...] = (), *, status=200, **ctx
):
    """The block (plus out-of-band blocks) for HTMX, the full page otherwise."""
    if block and is_htmx():
        body = render_blocks(template, [block, *oob], **ctx)
    else:
        body = render_template(template, **ctx)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str):
    """Redirect a normal request; tell HTMX to load the page instead of swapping it in."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)
