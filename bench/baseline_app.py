"""The yardstick for the load test: a bare Starlette app that renders a Jinja page after one indexed
SELECT on the same database as the app (an organisation by its CBS code, through the same ORM).

Served like the app (`uvicorn --factory --workers 2`, access log on), so that the ratio of a page's
throughput to this one's says how much the app adds, whatever else the machine is doing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from tortoise import Tortoise

from server.db import init_orm
from server.models import Organisation
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


def create_app() -> Starlette:
    database_url = load_settings().database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_orm(database_url)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    return Starlette(routes=[Route("/", page)], lifespan=lifespan)
