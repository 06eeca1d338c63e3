"""Errors of the API as `application/problem+json` (RFC 9457), with the Dutch message and the field.

Every API error answer has `type`, `title`, `status` and `detail`; a refused field adds
`invalidParams`: `[{"name": "expectedParticipants", "reason": "Vul een aantal in."}]`, with the names
of the API's JSON (lowerCamelCase) rather than those of the forms.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.errors import ERROR_TITLES, DomainError, ValidationFailed
from server.i18n import lazy_gettext

API_VERSION = "1.0.0"
PROBLEM_TYPE = "application/problem+json"

TITLES = {
    **ERROR_TITLES,
    401: lazy_gettext("Niet aangemeld"),
    404: lazy_gettext("Niet gevonden"),
    409: lazy_gettext("Conflict"),
    410: lazy_gettext("Niet meer beschikbaar"),
    415: lazy_gettext("Verkeerd type inhoud"),
    422: lazy_gettext("Ongeldige invoer"),
}


def camel(name: str) -> str:
    """`expected_participants` -> `expectedParticipants`: the form's field as the API names it."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def problem(
    status: int,
    detail: str,
    *,
    invalid: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": f"/api/v1/docs#problem-{status}",
        "title": str(TITLES.get(status, TITLES[400])),
        "status": status,
        "detail": detail,
    }
    if invalid:
        body["invalidParams"] = [{"name": camel(name), "reason": reason} for name, reason in invalid.items()]
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers={"API-Version": API_VERSION, **(headers or {})},
    )


def problem_for(error: DomainError) -> Response:
    if isinstance(error, ValidationFailed):
        return problem(error.status_code, error.message, invalid=error.errors)
    invalid = {error.field: error.message} if error.field else None
    return problem(error.status_code, error.message, invalid=invalid)


#: The schema of every error answer, for the OpenAPI document.
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Verwijzing naar de uitleg van dit soort fout."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "Wat er mis is, in het Nederlands."},
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason"],
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


Handler = Callable[[Request, Exception], Awaitable[Response]]


def api_aware(page_handler: Handler) -> Handler:
    """An error handler that answers problem+json under /api/ (an unknown path, a wrong method, a
    crash) and the page handler's HTML page elsewhere."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/api/"):
            return await page_handler(request, exc)
        if isinstance(exc, HTTPException):
            return problem(exc.status_code, str(TITLES.get(exc.status_code, TITLES[400])))
        response = await page_handler(request, exc)  # logs it as the pages do
        return problem(response.status_code, str(TITLES.get(response.status_code, TITLES[500])))

    return handle
