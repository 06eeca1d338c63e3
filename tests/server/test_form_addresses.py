"""A GET for an address that only takes a form's POST (a reload of a page shown after the POST) goes to
the page that holds the form, never to a 405."""

from __future__ import annotations

import re

import httpx
from starlette.routing import Mount, Route

from server.app import create_app
from server.settings import Settings


def post_only_paths(routes: list) -> list[str]:
    by_path: dict[str, set[str]] = {}

    def walk(items: list, base: str) -> None:
        for route in items:
            if isinstance(route, Mount):
                walk(route.routes, base + route.path)
            elif isinstance(route, Route):
                by_path.setdefault(base + route.path, set()).update(route.methods or ())

    walk(routes, "")
    # The API has no pages: a GET there is a 405 problem (test_api_answers_a_get_of_a_post_with_405).
    return sorted(
        path
        for path, methods in by_path.items()
        if "POST" in methods and "GET" not in methods and not path.startswith("/api/")
    )


def filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "7", path)


async def test_every_post_only_address_sends_a_get_to_its_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    paths = post_only_paths(create_app(settings).routes)
    assert "/boekingen/{reference}/plannen" in paths and len(paths) > 30
    redirected = 0
    for path in paths:
        response = await client.get(filled(path), follow_redirects=False)
        assert response.status_code != 405, path
        if response.status_code == 303 and not response.headers["location"].startswith("/inloggen"):
            target = response.headers["location"]
            assert filled(path).startswith(target), (path, target)
            assert (await client.get(target)).status_code != 405, (path, target)
            redirected += 1
    assert redirected > 30


async def test_the_nearest_page_above_is_chosen(client: httpx.AsyncClient) -> None:
    planned = await client.get("/boekingen/B-2026-0001/plannen", follow_redirects=False)
    assert planned.headers["location"] == "/boekingen/B-2026-0001"
    line = await client.get("/financien/facturen/3/regels/9/verwijderen", follow_redirects=False)
    assert line.headers["location"] == "/financien/facturen/3"
    assert (await client.get("/uitloggen", follow_redirects=False)).headers["location"] == "/"


async def test_an_unknown_address_stays_a_404_and_other_methods_a_405(client: httpx.AsyncClient) -> None:
    assert (await client.get("/bestaat-niet/plannen")).status_code == 404
    assert (await client.put("/boekingen/B-1/plannen")).status_code == 405


async def test_api_answers_a_get_of_a_post_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/assignment-requests/7/acceptance", follow_redirects=False)
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
