"""Every form of the app under hostile input (issue 8): whatever is posted, the answer is a page or a
4xx with a message, never a 500, and a refused post stores nothing.

The POST routes are read from the app and the fields each route asks for are recorded while it reads
its form, so a new form is covered without listing it here. Each route is posted to by an actor the
authorisation matrix allows, with a valid CSRF token, against the access matrix's world.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tortoise.transactions import in_transaction

from feedback.models import SessionFeedback
from server import clock
from tests.hostile.routes import (
    act_as,
    actor_for,
    fields_read,
    post_form,
    post_routes,
    row_counts,
    run_on_loop,
    stay_as,
)
from tests.hostile.strategies import form_bodies
from tests.server.test_access_matrix import World, concrete_path, make_world

ROUTES = post_routes()
#: Shown with every refusal: an error page's lead text, a field's error, or the error summary.
VISIBLE_MESSAGE = re.compile(r'<p class="lead">\s*\S|class="field__error"|class="error-summary"|role="alert"')


def extra_fields(path: str, world: World) -> set[str]:
    """Fields a route reads by walking the whole form rather than asking for names."""
    if path == "/f/{code}":
        return {f"q{world.question.id}", "contact", "contact_email"}
    return set()


async def discover_fields(client: httpx.AsyncClient, world: World, path: str) -> list[str]:
    """Post an empty form, then one with every field seen so far, recording what the route reads."""
    url = concrete_path(path, world)
    seen: set[str] = extra_fields(path, world)
    for _round in range(2):
        await act_as(client, world, actor_for(path))
        with fields_read() as names:
            await post_form(client, url, [(name, "1") for name in sorted(seen)])
        seen |= names
    return sorted(seen - {"csrf_token"})


async def check_one_post(
    client: httpx.AsyncClient, world: World, path: str, pairs: list[tuple[str, str]], multipart: bool
) -> None:
    await stay_as(client, world, actor_for(path))
    before = await row_counts()
    response = await post_form(client, concrete_path(path, world), pairs, multipart=multipart)
    after = await row_counts()
    assert response.status_code < 500, f"{path}: {response.status_code} for {pairs!r}"
    if response.status_code >= 400:
        assert VISIBLE_MESSAGE.search(response.text), f"{path}: {response.status_code} without a message"
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"{path}: refused ({response.status_code}) but stored {changed} for {pairs!r}"


class _RollBack(Exception):
    """Undoes a test's world and everything its posts stored."""


@pytest.mark.parametrize("path", ROUTES)
async def test_any_input_gives_a_page_or_a_4xx_with_a_message_and_a_refusal_stores_nothing(
    client: httpx.AsyncClient, path: str
) -> None:
    """The app's own transactions become savepoints of the test's: refusals still roll back theirs."""
    with contextlib.suppress(_RollBack):
        async with in_transaction():
            world = await make_world()
            await SessionFeedback.filter(id=world.contact.session_id).update(  # type: ignore[attr-defined]
                opens_at=clock.now() - timedelta(days=1)
            )
            fields = await discover_fields(client, world, path)
            loop = asyncio.get_running_loop()

            @given(pairs=form_bodies(fields), multipart=st.booleans())
            @settings(max_examples=20)
            def post_anything(pairs: list[tuple[str, str]], multipart: bool) -> None:
                run_on_loop(loop, lambda: check_one_post(client, world, path, pairs, multipart))

            await asyncio.to_thread(post_anything)
            raise _RollBack()


def test_every_post_route_is_covered() -> None:
    """The routes come from the app; a form that reads no field at all would still be posted to."""
    assert len(ROUTES) >= 50
    assert "/inloggen" in ROUTES and "/f/{code}" in ROUTES
