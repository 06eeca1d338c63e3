"""The API's framework: each operation is declared once (`Operation`), and from that one place come
its route, its access rule (token scope and owner's role), and its part of the OpenAPI document.

A call: `Authorization: Bearer <token>` (401 without a live token), the operation's scope on the token
(403), the owner's role among the operation's roles (403), the token's rate limit (429 with
Retry-After), then the handler, which calls the domain's services exactly as the pages do. A
`DomainError` becomes problem+json (server/problems.py). Every answer carries `API-Version`; a read
carries an `ETag` and answers 304 to a matching `If-None-Match`. A creating POST may carry an
`Idempotency-Key` (server/idempotency.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from server import ratelimit
from server.api_tokens import authenticate
from server.errors import DomainError, ValidationFailed
from server.i18n import _
from server.idempotency import run_once
from server.logs import bind_user
from server.models import ApiScope, ApiToken, Role, User
from server.problems import API_VERSION, problem, problem_for

Schema = dict[str, Any]
#: Calls per token per window; more get 429 until the window has moved on.
RATE_LIMIT = 600
RATE_WINDOW = timedelta(minutes=1)
MAX_PAGE_SIZE = 100
#: Ids are 32-bit integers in the database.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Param:
    """A query parameter (lowerCamelCase name)."""

    name: str
    schema: Schema
    description: str


@dataclass
class ApiCall:
    """What a handler gets: the caller, the path parameters, the query and the JSON body."""

    request: Request
    token: ApiToken
    path: dict[str, Any]
    query: dict[str, str]
    body: dict[str, Any]

    @property
    def user(self) -> User:
        return self.token.user


Handler = Callable[[ApiCall], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # under /api/v1; `{name:int}` for whole numbers
    operation_id: str
    summary: str
    tag: str
    scope: ApiScope
    roles: frozenset[Role]
    handler: Handler
    response: Schema | None  # the JSON of a success; None when `media_type` is a file
    media_type: str = "application/json"
    status: int = 200
    request_body: Schema | None = None
    query: tuple[Param, ...] = ()
    description: str = ""
    creates: bool = False  # takes an Idempotency-Key
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def document_path(self) -> str:
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)

    @property
    def path_params(self) -> list[tuple[str, str]]:
        """(name, "integer" | "string") of each path parameter."""
        return [
            (name, "integer" if kind == "int" else "string")
            for name, kind in re.findall(r"\{(\w+)(?::(\w+))?\}", self.path)
        ]


def bearer_secret(request: Request) -> str:
    scheme, _sep, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ValidationFailed({"body": _("Stuur de gegevens als JSON (Content-Type: application/json).")})
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValidationFailed({"body": _("De inhoud is geen geldige JSON.")}) from None
    if not isinstance(body, dict):
        raise ValidationFailed({"body": _("Stuur een JSON-object.")})
    return body


def encode(value: Any) -> bytes:
    def default(obj: object) -> str:
        if isinstance(obj, (datetime, date)):
            return obj.isoformat()
        raise TypeError(type(obj).__name__)

    return json.dumps(value, ensure_ascii=False, default=default, separators=(",", ":")).encode()


def _answer(operation: Operation, request: Request, result: Any) -> Response:
    if isinstance(result, Response):
        response = result
    else:
        response = Response(encode(result), status_code=operation.status, media_type=operation.media_type)
    response.headers["API-Version"] = API_VERSION
    if operation.method == "GET" and response.status_code == 200:
        etag = 'W/"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
        response.headers["ETag"] = etag
        if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={"ETag": etag, "API-Version": API_VERSION})
    return response


async def _within_rate_limit(token: ApiToken) -> bool:
    async with in_transaction():
        return await ratelimit.allow(f"api-token:{token.id}", RATE_LIMIT, RATE_WINDOW)


def endpoint_for(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        token = await authenticate(bearer_secret(request))
        if token is None:
            return problem(
                401,
                _("Stuur een geldig persoonlijk toegangstoken mee: Authorization: Bearer <token>."),
                headers={"WWW-Authenticate": 'Bearer realm="weerbaar"'},
            )
        bind_user(token.user)
        if not token.has_scope(operation.scope):
            return problem(
                403,
                _("Dit token mag dit niet; het heeft de toestemming %(scope)s nodig.")
                % {"scope": operation.scope},
            )
        if token.user.role not in operation.roles:
            return problem(403, _("Uw rol mag dit niet via de API."))
        if not await _within_rate_limit(token):
            return problem(
                429,
                _("Te veel verzoeken met dit token. Probeer het over een minuut opnieuw."),
                headers={"Retry-After": str(int(RATE_WINDOW.total_seconds()))},
            )
        try:
            call = ApiCall(
                request=request,
                token=token,
                path=dict(request.path_params),
                query=dict(request.query_params),
                body=await _json_body(request) if operation.method in ("POST", "PATCH", "PUT") else {},
            )
            if operation.creates:
                return await run_once(call, lambda: _run(operation, call))
            return await _run(operation, call)
        except DomainError as error:
            return problem_for(error)

    endpoint.__name__ = operation.operation_id
    endpoint.operation = operation  # type: ignore[attr-defined]
    return endpoint


async def _run(operation: Operation, call: ApiCall) -> Response:
    return _answer(operation, call.request, await operation.handler(call))


def api_routes(operations: list[Operation]) -> list[Route]:
    return [Route(op.path, endpoint_for(op), methods=[op.method]) for op in operations]


# Helpers for handlers: reading the query the same way everywhere.


def page_size(call: ApiCall, default: int = 25) -> int:
    raw = call.query.get("pageSize", "")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationFailed({"pageSize": _("Kies een aantal van 1 tot en met 100.")})
    return int(raw)


def cursor(call: ApiCall) -> int | None:
    """The opaque cursor of the next page is the last id seen; clients pass back `next` as is."""
    raw = call.query.get("cursor", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
        raise ValidationFailed({"cursor": _("Deze cursor is ongeldig; gebruik de waarde van next.")})
    return int(raw)


PAGING_PARAMS = (
    Param(
        "pageSize",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        "Aantal per pagina (standaard 25).",
    ),
    Param("cursor", {"type": "string", "pattern": "^[0-9]{1,10}$"}, "De waarde `next` van de vorige pagina."),
)


def page_of(items: list[dict[str, Any]], ids: list[int], size: int) -> dict[str, Any]:
    """A page of `size` from `size + 1` fetched rows: `next` is set when there is more."""
    more = len(items) > size
    return {"items": items[:size], "next": str(ids[size - 1]) if more else None}


def list_schema(item: Schema) -> Schema:
    return {
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next": {"type": "string", "nullable": True, "description": "Cursor van de volgende pagina."},
        },
    }
