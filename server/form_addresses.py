"""A GET for an address that only takes a form's POST: the page that holds the form.

A page shown after a form POST (a form with errors, say) has the POST's address. Reloading it later,
opening it from the history or sharing the link asks for that address with GET, which has no page of
its own: instead of "405 Method Not Allowed" the visitor is sent to the nearest address above it that
is a page (`/boekingen/B-1/plannen` → `/boekingen/B-1`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Match


def page_above(request: Request) -> str | None:
    """The nearest address above the request's path that answers GET, or None."""
    segments = request.url.path.rstrip("/").split("/")
    while len(segments) > 1:
        segments.pop()
        path = "/".join(segments) or "/"
        if _answers_get(request, path):
            return path
    return None


def _answers_get(request: Request, path: str) -> bool:
    scope = {**request.scope, "method": "GET", "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)
