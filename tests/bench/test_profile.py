"""bench.profile's summary figures: the middle GET of the mix, counted by the weights of bench/mix.py."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from bench.profile import asgi_get, package_of, weighted_median
from server.settings import PROJECT_DIR


def test_the_weighted_median_is_the_page_type_in_the_middle_of_the_mix() -> None:
    weights = {"cheap": 0.2, "middle": 0.4, "dear": 0.4}
    assert weighted_median({"dear": 30.0, "cheap": 1.0, "middle": 5.0}, weights) == 5.0
    assert weighted_median({"dear": 30.0, "cheap": 1.0}, weights) == 30.0


def test_profiled_functions_are_counted_per_package() -> None:
    assert package_of("/venv/lib/python3.11/site-packages/tortoise/queryset.py") == "tortoise"
    assert package_of(f"{PROJECT_DIR}/reporting/stages.py") == "reporting/"
    assert package_of("~") == "Python (stdlib, builtins)"


async def test_a_page_is_asked_over_asgi_with_its_query_and_cookie() -> None:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{request.query_params['p']} {request.cookies['c']}")

    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                seen.append(message["body"].decode())
            await send(message)

        await Starlette(routes=[Route("/a", page)])(scope, receive, keep)

    assert await asgi_get(app, "/a?p=1", "c=koek") == 200
    assert seen == ["1 koek"]
    assert await asgi_get(app, "/b", "") == 404
