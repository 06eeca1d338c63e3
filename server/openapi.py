"""The OpenAPI 3 document of API v1, made from the operations' declarations (server/api.py), and the
public routes that publish it: `/api/v1/openapi.json` (CORS `*`) and the reference page `/api/v1/docs`.

It follows the NL GOV API Design Rules: `/v1` in the server URL, an `API-Version` header on every
success, problem+json for every error, kebab-case paths, lowerCamelCase query keys.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.access import public
from server.api import Operation, Schema, encode
from server.problems import API_VERSION, PROBLEM_SCHEMA, PROBLEM_TYPE
from server.templating import render

SCOPE_TEXT = {
    "read": "Lezen: organisaties, aanbod, boekingen, verzoeken en feedbackresultaten.",
    "book": "Boeken: een boekingsaanvraag doen, verzetten of annuleren.",
    "answer-requests": "Verzoeken beantwoorden: een trainer accepteert of weigert.",
    "invoices": "Facturen: lijst, details, PDF en UBL.",
}
ERRORS = {
    400: "De invoer klopt niet; `invalidParams` noemt de velden.",
    401: "Geen geldig token meegestuurd.",
    403: "Het token of de rol van de eigenaar mag dit niet.",
    404: "Bestaat niet, of is niet zichtbaar voor deze gebruiker.",
    409: "Conflict met de huidige stand (bijvoorbeeld een dubbele boeking van een trainer).",
    410: "Niet meer mogelijk: het verzoek is al beantwoord, verlopen of ingetrokken.",
    422: "De Idempotency-Key is al gebruikt voor een ander verzoek.",
    429: "Te veel verzoeken; wacht zo veel seconden als Retry-After zegt.",
}


def _version_header() -> dict[str, Any]:
    return {"API-Version": {"$ref": "#/components/headers/API-Version"}}


def _problem(description: str, **headers: Any) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**_version_header(), **headers},
        "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
        for name, kind in operation.path_params
    ]
    params += [
        {"name": p.name, "in": "query", "required": False, "schema": p.schema, "description": p.description}
        for p in operation.query
    ]
    if operation.creates:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                "description": "Een herhaling met dezelfde sleutel krijgt hetzelfde antwoord "
                "en maakt niets dubbel.",
            }
        )
    return params


def _success(operation: Operation) -> dict[str, Any]:
    headers = _version_header()
    if operation.method == "GET":
        headers["ETag"] = {"schema": {"type": "string"}, "description": "Voor If-None-Match."}
    content: Schema = (
        {operation.media_type: {"schema": operation.response}}
        if operation.response is not None
        else {operation.media_type: {"schema": {"type": "string", "format": "binary"}}}
    )
    return {"description": operation.summary, "headers": headers, "content": content}


def _operation(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {str(operation.status): _success(operation)}
    if operation.method == "GET":
        responses["304"] = {
            "description": "Niet gewijzigd sinds de meegestuurde ETag.",
            "headers": {**_version_header(), "ETag": {"schema": {"type": "string"}}},
        }
    codes = [400, 401, 403, 404, 429] + ([409, 410] if operation.method in ("POST", "PATCH") else [])
    codes += [422] if operation.creates else []
    for code in codes:
        extra = {"Retry-After": {"schema": {"type": "integer"}}} if code == 429 else {}
        responses[str(code)] = _problem(ERRORS[code], **extra)
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": (operation.description + "\n\n" if operation.description else "")
        + f"Toestemming: `{operation.scope}`. Rollen: {', '.join(sorted(operation.roles))}.",
        "tags": [operation.tag],
        "security": [{"bearerAuth": []}],
        "parameters": _parameters(operation),
        "responses": responses,
    }
    if operation.request_body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.request_body}},
        }
    return document


def build_document(operations: list[Operation], base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.document_path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Weerbaar API",
            "version": API_VERSION,
            "description": "Boeken, verzoeken, facturen en feedback van Weerbaar "
            "voor gemeentelijke systemen. "
            "Aanmelden met een persoonlijk toegangstoken (Authorization: Bearer).",
            "contact": {
                "name": "Team Weerbaar",
                "email": "api@weerbaar.nl",
                "url": f"{base_url}/api/v1/docs",
            },
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "tags": sorted(({"name": tag} for tag in {op.tag for op in operations}), key=lambda t: t["name"]),
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "headers": {
                "API-Version": {
                    "description": "De volledige versie van de API.",
                    "schema": {"type": "string", "example": API_VERSION},
                }
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Persoonlijk toegangstoken, te maken onder Account → API-tokens.",
                }
            },
        },
    }


def routes_for(operations: list[Operation]) -> list[Route]:
    """The public document and reference page of these operations."""

    @public
    async def openapi_json(request: Request) -> Response:
        document = build_document(operations, request.app.state.settings.base_url)
        return Response(
            encode(document),
            media_type="application/json",
            headers={"API-Version": API_VERSION, "Access-Control-Allow-Origin": "*"},
        )

    @public
    async def reference_page(request: Request) -> Response:
        document = build_document(operations, request.app.state.settings.base_url)
        response = render(
            request, "api/reference.html", {"document": document, "scopes": SCOPE_TEXT, "errors": ERRORS}
        )
        response.headers["API-Version"] = API_VERSION
        return response

    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", reference_page, methods=["GET"]),
    ]
