"""The request line and the request metrics: one middleware outside the others, timing the whole answer.

Each request gets an id: the `X-Request-ID` the load balancer or proxy sent (when it is a plain,
short token), else a new one; it is echoed in the response's `X-Request-ID` header and named in
every log line of the request, so an operator can follow one request across the proxy's log and
ours. The route is the matched route's template (`RouteRecorder`, innermost, notes it), so metrics
have one series per route instead of one per booking, and no token in a path reaches the log.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import NO_ROUTE, request_context, route_of
from server.metrics import observe_request

log = structlog.get_logger("weerbaar.request")

REQUEST_ID_HEADER = "x-request-id"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Where RouteRecorder leaves the route template for the middleware outside it (scope["state"] is
#: shared, while ControlCharactersMiddleware hands on a copy of the scope).
ROUTE_KEY = "route_template"


def request_id_of(scope: Scope) -> str:
    """The caller's request id when it is a plain token (anything else could forge log lines)."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _PLAIN_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class ObservabilityMiddleware:
    """Times each request, logs one line for it and counts it in the metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        state = scope.setdefault("state", {})
        status = 500  # unless an answer starts: an error went out to the server

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        client = scope.get("client")
        with request_context(request_id, client[0] if client else ""):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = state.get(ROUTE_KEY, NO_ROUTE)
                observe_request(scope["method"], route, status, seconds)
                user = state.get("user")
                log.info(
                    "request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(seconds * 1000, 2),
                    user_id=user.id if user else None,
                    role=str(user.role) if user else None,
                )


class RouteRecorder:
    """Innermost: notes the template of the route the router matched, for ObservabilityMiddleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                scope.setdefault("state", {})[ROUTE_KEY] = route_of(scope)
