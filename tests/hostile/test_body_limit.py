"""Bodies over 1 MiB get the 413 page on every POST route, URL-encoded or multipart, with the length
declared or sent in chunks without one (issue 8)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.app import MAX_BODY_BYTES
from tests.factories import CSRF_TOKEN
from tests.hostile.routes import act_as, actor_for, post_routes, row_counts
from tests.hostile.strategies import encode
from tests.server.test_access_matrix import concrete_path, make_world

OVERSIZED = "x" * (MAX_BODY_BYTES + 1)
TOO_LARGE = "Wat u verstuurde is groter dan wij aannemen"


async def in_chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_an_oversized_body_gets_413_on_every_post_route(client: httpx.AsyncClient) -> None:
    """One world for all routes: the refusal comes before any route runs, so nothing is stored."""
    world = await make_world()
    before = await row_counts()
    failures = []
    for path in post_routes():
        await act_as(client, world, actor_for(path))
        for multipart in (False, True):
            body, content_type = encode([("csrf_token", CSRF_TOKEN), ("naam", OVERSIZED)], multipart)
            response = await client.post(
                concrete_path(path, world), content=body, headers={"content-type": content_type}
            )
            if response.status_code != 413 or TOO_LARGE not in response.text:
                failures.append(f"{path} (multipart={multipart}): {response.status_code}")
            assert "070 - 37 38 314" in response.text  # the error page in the layout
    assert not failures, failures
    assert await row_counts() == before


@pytest.mark.parametrize("path", ["/inloggen", "/f/{code}", "/aanbod/nieuw", "/financien/instellingen"])
async def test_an_oversized_body_without_a_declared_length_is_stopped_while_read(
    client: httpx.AsyncClient, path: str
) -> None:
    world = await make_world()
    await act_as(client, world, actor_for(path))
    body, content_type = encode([("csrf_token", CSRF_TOKEN), ("naam", OVERSIZED)], multipart=False)

    response = await client.post(
        concrete_path(path, world), content=in_chunks(body), headers={"content-type": content_type}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413, path
    assert TOO_LARGE in response.text


async def test_a_body_of_exactly_the_limit_is_read(client: httpx.AsyncClient) -> None:
    await act_as(client, await make_world(), "anonymous")
    prefix = f"csrf_token={CSRF_TOKEN}&email=".encode()
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix))
    response = await client.post(
        "/inloggen", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400  # read and answered: not a valid address
    assert "geldig e-mailadres" in response.text
