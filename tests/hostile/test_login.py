"""Login under attack (issue 8): rate limits hold when many requests arrive at once, known and unknown
addresses cannot be told apart, and a login link starts one session however many times it is used
at once. Concurrency is what PostgreSQL is for; on SQLite the same tests run serialised."""

from __future__ import annotations

import asyncio
import re

import httpx

from server import auth
from server.mail import OutboxMessage
from server.models import LoginToken, RateLimitHit, User, UserSession
from tests.factories import CSRF_TOKEN, make_user, post, with_csrf
from tests.query_counter import count_queries

BASE = "http://testserver"
CSRF_IN_PAGE = re.compile(r'name="csrf_token" value="[^"]*"')


async def test_fifty_requests_at_once_for_one_address_queue_at_most_the_limit() -> None:
    await make_user(email="doelwit@zeist.nl")

    results = await asyncio.gather(
        *(
            auth.request_login_link("doelwit@zeist.nl", client=f"10.0.{n // 250}.{n % 250}", base_url=BASE)
            for n in range(50)
        ),
        return_exceptions=True,
    )

    assert results == [None] * 50  # over the limit: dropped without a word
    assert await OutboxMessage.all().count() == auth.LINKS_PER_ADDRESS


async def test_fifty_requests_at_once_from_one_client_count_at_most_the_limit() -> None:
    results = await asyncio.gather(
        *(
            auth.request_login_link(f"iemand{n}@example.org", client="10.9.9.9", base_url=BASE)
            for n in range(50)
        ),
        return_exceptions=True,
    )

    assert results == [None] * 50
    assert await RateLimitHit.filter(key="login-client:10.9.9.9").count() == auth.LINKS_PER_CLIENT


async def test_known_and_unknown_addresses_get_the_same_page_byte_for_byte(client: httpx.AsyncClient) -> None:
    await make_user(email="bekend@zeist.nl")
    pages = []
    for email in ("bekend@zeist.nl", "onbekend@zeist.nl"):
        response = await post(client, "/inloggen", {"email": email})
        assert response.status_code == 200
        pages.append(CSRF_IN_PAGE.sub("", response.text).replace(email, "ADRES"))
    known, unknown = pages
    assert known == unknown
    assert await OutboxMessage.all().count() == 1


async def test_known_and_unknown_addresses_run_the_same_statements() -> None:
    """The same work for both, so the time to answer tells nothing about the address: as many
    statements of each kind in the same order, against the same tables but one (an unknown address
    has no user to make a token for, so a row of another table stands in for it, rolled back)."""
    await make_user(email="bekend@zeist.nl")
    statements = []
    for email, client in (("bekend@zeist.nl", "10.1.1.1"), ("onbekend@zeist.nl", "10.1.1.2")):
        with count_queries() as counter:
            await auth.request_login_link(email, client=client, base_url=BASE)
        statements.append([verb_and_table(sql) for sql in counter.statements])
    known, unknown = statements
    assert [verb for verb, _ in known] == [verb for verb, _ in unknown], (known, unknown)
    differing = [(k, u) for k, u in zip(known, unknown, strict=True) if k != u]
    assert differing == [(("INSERT", "login_token"), ("INSERT", "rate_limit_hit"))]
    assert ("INSERT", "outbox_message") in unknown
    assert await OutboxMessage.all().count() == 1
    assert await LoginToken.all().count() == 1
    assert not await RateLimitHit.filter(key__startswith="login-unknown").exists()


def verb_and_table(sql: str) -> tuple[str, str]:
    """'INSERT INTO "outbox_message" ...' -> ('INSERT', 'outbox_message')."""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    return verb, table.group(1) if table else ""


async def test_twenty_uses_of_one_link_at_once_start_exactly_one_session(client: httpx.AsyncClient) -> None:
    user = await make_user()
    token = (await auth.issue_login_link(user, BASE)).rsplit("/", 1)[1]
    with_csrf(client)

    responses = await asyncio.gather(
        *(client.post(f"/inloggen/link/{token}", data={"csrf_token": CSRF_TOKEN}) for _ in range(20))
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [400] * 19, statuses
    assert await UserSession.filter(user=user).count() == 1
    assert (await User.get(id=user.id)).last_login_at is not None
