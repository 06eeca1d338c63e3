"""Every page under hostile query parameters and path values (issue 8): a page or a 4xx with a
message, never a 500. The parameters each page reads are recorded while it runs."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import httpx

from tests.factories import csrf_token
from tests.hostile.routes import act_as, actor_for, fields_read
from tests.server.test_access_matrix import app_routes, concrete_path, make_world

#: A NUL (PostgreSQL cannot store it), a value longer than any column, markup and a huge number.
QUERY_VALUES = ["a\x00b", "x" * 300, "<script>alert(1)</script>", "99999999999999999999", "2026-13-45"]
PATH_VALUES = ["a\x00b", "x" * 300, "-1"]
VISIBLE_MESSAGE = re.compile(r'<p class="lead">\s*\S|class="field__error"|class="error-summary"|role="alert"')


async def test_hostile_query_parameters_never_give_a_500(client: httpx.AsyncClient, settings: object) -> None:
    world = await make_world()
    failures = []
    for method, path, _ in app_routes(settings):  # type: ignore[arg-type]
        if method != "GET":
            continue
        await act_as(client, world, actor_for(path, method="GET"))
        url = concrete_path(path, world)
        with fields_read(query=True) as names:
            await client.get(url)
        for value in QUERY_VALUES:
            query = urlencode(dict.fromkeys(sorted(names) or ["x"], value))
            response = await client.get(f"{url}?{query}")
            if response.status_code >= 500:
                failures.append(f"{path}?{query[:60]}: {response.status_code}")
            elif response.status_code >= 400 and not VISIBLE_MESSAGE.search(response.text):
                failures.append(f"{path}?{query[:60]}: {response.status_code} without a message")
    assert not failures, "\n".join(failures)


async def test_hostile_path_values_never_give_a_500(client: httpx.AsyncClient, settings: object) -> None:
    world = await make_world()
    failures = []
    for method, path, _ in app_routes(settings):  # type: ignore[arg-type]
        if "{" not in path:
            continue
        await act_as(client, world, actor_for(path, method=method))
        for value in PATH_VALUES:
            url = re.sub(r"\{\w+\}", quote(value, safe=""), path)
            if method == "GET":
                response = await client.get(url)
            else:
                response = await client.request(method, url, data={"csrf_token": csrf_token(client)})
            if response.status_code >= 500:
                failures.append(f"{method} {url[:80]}: {response.status_code}")
    assert not failures, "\n".join(failures)
