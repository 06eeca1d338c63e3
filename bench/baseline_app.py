"""The yardsticks for the load test: a bare Starlette app on the same database as the app, through the
same ORM. `GET /` renders a Jinja page after one indexed SELECT (an organisation by its CBS code).
`POST /` is the smallest write: in one transaction that SELECT and one INSERT (an audit entry), then
a 303 redirect, as the app answers a form.

Served like the app (`uvicorn --factory --workers 2`, access log on), so that the ratio of a page's
throughput to this one's says how much the app adds, whatever else the machine is doing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from server.db import init_orm
from server.models import AuditEntry, Organisation
from server.settings import load_settings

PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{{ organisation.name }}</title></head>
<body><main><h1>{{ organisation.name }}</h1>
<p>{{ organisation.cbs_code }}, {{ organisation.invoice_street }}, {{ organisation.invoice_city }}</p>
</main></body></html>"""
)


async def page(request: Request) -> HTMLResponse:
    organisation = await Organisation.get(cbs_code=request.query_params.get("code", "GM0363"))
    return HTMLResponse(PAGE.render(organisation=organisation))


async def write(request: Request) -> RedirectResponse:
    form = await request.form()
    async with in_transaction():
        organisation = await Organisation.get(cbs_code=request.query_params.get("code", "GM0363"))
        entry = await AuditEntry.create(
            actor_label="baseline",
            action="baseline_write",
            object_type="Organisation",
            object_id=str(organisation.id),
            summary=str(form.get("summary", ""))[:200],
        )
    return RedirectResponse(f"/?entry={entry.id}", status_code=303)


def create_app() -> Starlette:
    database_url = load_settings().database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_orm(database_url)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    return Starlette(routes=[Route("/", page), Route("/", write, methods=["POST"])], lifespan=lifespan)
