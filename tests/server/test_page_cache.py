"""Pages and sessions kept per process while the database is unchanged (server/page_cache.py,
server/change_mark.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from invoicing import batch
from server import organisation_routes, page_cache
from server.change_mark import Kept
from server.clock import Clock
from server.models import Organisation, Role, User
from server.sessions import SESSION_COOKIE, end_session
from tests.factories import make_organisation, make_user, sign_in
from tests.feedback.test_collect import make_session
from tests.query_counter import count_queries


async def _clerk_page(client: httpx.AsyncClient) -> tuple[Organisation, str]:
    organisation = await make_organisation(name="Zeist")
    await sign_in(client, await make_user(Role.CLERK, organisation=organisation))
    return organisation, f"/organisaties/{organisation.cbs_code}"


async def _rename_elsewhere(database_url: str, organisation_id: int, name: str) -> None:
    """Rename an organisation over a connection of its own, as another process would."""
    if database_url.startswith("sqlite://"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite://"))
        with connection:
            connection.execute("UPDATE organisation SET name = ? WHERE id = ?", (name, organisation_id))
        connection.close()
        return
    connection = await asyncpg.connect(database_url.split("?")[0])
    try:
        await connection.execute("UPDATE organisation SET name = $1 WHERE id = $2", name, organisation_id)
    finally:
        await connection.close()


async def test_an_unchanged_page_is_answered_from_memory(client: httpx.AsyncClient) -> None:
    _, path = await _clerk_page(client)
    first = await client.get(path)
    async with count_queries() as again:
        second = await client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.text == first.text
    assert second.headers["content-type"] == first.headers["content-type"]
    assert len(again.statements) == 1, again.statements
    assert "snapshot" in again.statements[0] or "data_version" in again.statements[0]


async def test_requests_for_a_page_under_way_wait_for_that_render(client: httpx.AsyncClient) -> None:
    _, path = await _clerk_page(client)
    async with count_queries() as together:
        answers = await asyncio.gather(*(client.get(path) for _ in range(8)))
    assert [answer.status_code for answer in answers] == [200] * 8
    assert len({answer.text for answer in answers}) == 1
    renders = [statement for statement in together.statements if 'FROM "organisation"' in statement]
    assert len(renders) == 1, together.statements


async def test_a_change_the_app_commits_shows_on_the_next_request(client: httpx.AsyncClient) -> None:
    organisation, path = await _clerk_page(client)
    assert "Zeist" in (await client.get(path)).text
    await Organisation.filter(id=organisation.id).update(name="Zeist aan de Heuvelrug")
    assert "Zeist aan de Heuvelrug" in (await client.get(path)).text


async def test_a_change_another_process_commits_shows_on_the_next_request(
    client: httpx.AsyncClient, database_url: str
) -> None:
    organisation, path = await _clerk_page(client)
    assert "Zeist" in (await client.get(path)).text
    await _rename_elsewhere(database_url, organisation.id, "Soest")
    page = (await client.get(path)).text
    assert "Soest" in page
    assert "Zeist" not in page


async def test_a_kept_page_goes_only_to_the_visitor_it_was_made_for(client: httpx.AsyncClient) -> None:
    _, path = await _clerk_page(client)
    assert (await client.get(path)).status_code == 200
    other = await make_user(Role.CLERK, organisation=await make_organisation())
    await sign_in(client, other)
    assert (await client.get(path)).status_code == 404
    client.cookies.delete(SESSION_COOKIE)
    assert (await client.get(path)).status_code == 303


async def test_signing_out_and_deactivation_count_at_once(client: httpx.AsyncClient) -> None:
    _, path = await _clerk_page(client)
    assert (await client.get(path)).status_code == 200
    await end_session(client.cookies[SESSION_COOKIE])
    assert (await client.get(path)).headers["location"].startswith("/inloggen")

    user = await make_user(Role.CLERK, organisation=await Organisation.get(name="Zeist"))
    await sign_in(client, user)
    assert (await client.get(path)).status_code == 200
    await User.filter(id=user.id).update(is_active=False)
    assert (await client.get(path)).headers["location"].startswith("/inloggen")


async def test_a_kept_session_serves_reads_and_writes_read_it_afresh(client: httpx.AsyncClient) -> None:
    organisation, _ = await _clerk_page(client)
    bookings = f"/organisaties/{organisation.cbs_code}/boekingen"
    assert (await client.get(bookings)).status_code == 200
    async with count_queries() as read:
        assert (await client.get(bookings)).status_code == 200
    assert not any("user_session" in statement for statement in read.statements), read.statements
    async with count_queries() as write:
        await client.post("/uitloggen", data={"csrf_token": "wrong"})
    assert any("user_session" in statement for statement in write.statements), write.statements


@pytest.mark.parametrize("after", [timedelta(minutes=31), timedelta(hours=12, seconds=1)])
async def test_a_session_past_its_time_ends_even_with_its_page_kept(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, fixed_clock: Clock, after: timedelta
) -> None:
    start = fixed_clock.now()
    _, path = await _clerk_page(client)
    assert (await client.get(path)).status_code == 200
    monkeypatch.setattr(page_cache, "_minute", lambda: datetime(2040, 1, 1, 12, 0))
    assert (await client.get(path)).status_code == 200  # kept under this minute
    fixed_clock.advance(after)
    assert (await client.get(path)).headers["location"].startswith("/inloggen")

    monkeypatch.undo()
    fixed_clock.set(start)
    await _clerk_page(client)
    feedback_path = f"/f/{(await make_session()).code}"
    public_page = await client.get(feedback_path)
    assert public_page.status_code == 200
    assert "Uitloggen" in public_page.text
    monkeypatch.setattr(page_cache, "_minute", lambda: datetime(2040, 1, 1, 12, 0))
    await client.get(feedback_path)
    fixed_clock.advance(after)
    assert "Uitloggen" not in (await client.get(feedback_path)).text


async def test_a_new_minute_renders_the_page_again(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = await _clerk_page(client)
    await client.get(path)
    monkeypatch.setattr(page_cache, "_minute", lambda: datetime(2040, 1, 1, 12, 0))
    async with count_queries() as next_minute:
        assert (await client.get(path)).status_code == 200
    assert len(next_minute.statements) > 1, next_minute.statements


def _hold_renders(monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold each render of the organisation page until `release` is set; `started` tells it began."""
    started, release = asyncio.Event(), asyncio.Event()
    render = organisation_routes._detail

    async def held(request: Request, organisation: Organisation) -> Response:
        started.set()
        await release.wait()
        return await render(request, organisation)

    monkeypatch.setattr(organisation_routes, "_detail", held)
    return started, release


async def test_while_a_new_minute_renders_others_get_the_page_of_the_minute_before(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = await _clerk_page(client)
    before = await client.get(path)
    monkeypatch.setattr(page_cache, "_minute", lambda: datetime(2040, 1, 1, 12, 0))
    started, release = _hold_renders(monkeypatch)

    renderer = asyncio.create_task(client.get(path))
    await started.wait()
    meanwhile = await asyncio.wait_for(client.get(path), timeout=2)  # does not wait for the render
    release.set()

    assert meanwhile.status_code == 200
    assert meanwhile.text == before.text
    assert (await renderer).status_code == 200


async def test_after_a_change_others_wait_for_the_render_of_the_new_data(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation, path = await _clerk_page(client)
    assert "Zeist" in (await client.get(path)).text
    monkeypatch.setattr(page_cache, "_minute", lambda: datetime(2040, 1, 1, 12, 0))
    await Organisation.filter(id=organisation.id).update(name="Soest")
    started, release = _hold_renders(monkeypatch)

    renderer = asyncio.create_task(client.get(path))
    await started.wait()
    meanwhile = asyncio.create_task(client.get(path))
    await asyncio.sleep(0.2)
    assert not meanwhile.done()
    release.set()

    assert "Soest" in (await meanwhile).text
    assert "Soest" in (await renderer).text


async def test_a_visitor_without_a_csrf_cookie_gets_a_page_of_their_own(client: httpx.AsyncClient) -> None:
    _, path = await _clerk_page(client)
    await client.get(path)
    client.cookies.delete("weerbaar_csrf")
    response = await client.get(path)
    assert response.status_code == 200
    cookie = response.cookies["weerbaar_csrf"]
    assert cookie
    assert len(client._transport.app.state.page_cache.pages) == 1  # type: ignore[attr-defined]


async def test_the_invoice_list_is_rendered_each_time_while_a_batch_runs(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sign_in(client, await make_user(Role.FINANCE))
    await client.get("/financien")
    monkeypatch.setattr(batch, "_current", batch.BatchProgress(total=1))
    async with count_queries() as running:
        assert (await client.get("/financien")).status_code == 200
    assert len(running.statements) > 1, running.statements


def test_the_least_recently_used_key_goes_first_and_a_newer_version_replaces_the_older() -> None:
    kept: Kept[str] = Kept(entries=2)
    kept.put("a", "m1", "a")
    kept.put("b", "m1", "b")
    assert kept.get("a", "m1") == "a"
    kept.put("c", "m1", "c")
    assert kept.get("b", "m1") is None
    assert kept.get("a", "m1") == "a"
    assert kept.get("a", "m2") is None
    kept.put("a", "m2", "a2")
    assert (kept.get("a", "m2"), kept.get("a", "m1"), len(kept)) == ("a2", None, 2)
