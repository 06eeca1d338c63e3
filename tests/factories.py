"""Factories for test data, and helpers to act as a signed-in user over HTTP."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

import httpx

from bookings.public_holidays import holiday_at
from server import clock
from server.api_tokens import create_token
from server.models import Organisation, OrganisationKind, Role, User
from server.security import CSRF_COOKIE, csrf_token_for
from server.sessions import SESSION_COOKIE, start_session

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-the-settings"
TEST_CSRF_COOKIE = "c" * 43
#: The token of a client without a session (before login); signed in, use `csrf_token(client)`.
CSRF_TOKEN = csrf_token_for(TEST_CSRF_COOKIE, TEST_SECRET_KEY)
_numbers = itertools.count(1)


async def make_province(**overrides: object) -> Organisation:
    number = next(_numbers)
    values: dict[str, object] = {
        "kind": OrganisationKind.PROVINCE,
        "cbs_code": f"PV{number % 10000:04d}",  # four digits: never a real code (PV20-PV31)
        "name": f"Provincie {number}",
    }
    values.update(overrides)
    return await Organisation.create(**values)


async def make_organisation(**overrides: object) -> Organisation:
    number = next(_numbers)
    values: dict[str, object] = {
        "kind": OrganisationKind.MUNICIPALITY,
        # GM8000-GM8999: never a real code, so never one a test chooses (GM0310 clashed once).
        "cbs_code": f"GM{8000 + number % 1000:04d}",
        "name": f"Gemeente {number}",
    }
    values.update(overrides)
    if "province" not in values and values["kind"] is OrganisationKind.MUNICIPALITY:
        values["province"] = await make_province()
    return await Organisation.create(**values)


async def make_user(role: Role = Role.CLERK, **overrides: object) -> User:
    number = next(_numbers)
    values: dict[str, object] = {
        "email": f"gebruiker{number}@example.org",
        "name": f"Gebruiker {number}",
        "role": role,
    }
    values.update(overrides)
    if role is Role.CLERK and "organisation" not in values:
        values["organisation"] = await make_organisation()
    return await User.create(**values)


def with_csrf(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Give the client the CSRF cookie whose token `post` sends."""
    client.cookies.set(CSRF_COOKIE, TEST_CSRF_COOKIE)
    return client


async def sign_in(client: httpx.AsyncClient, user: User, *, second_factor_done: bool = True) -> None:
    """Start a session for `user` directly (the login flow itself has its own tests)."""
    key = await start_session(user, second_factor_done=second_factor_done)
    client.cookies.set(SESSION_COOKIE, key)
    with_csrf(client)


def csrf_token(client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's cookie and session (the session is assumed live)."""
    with_csrf(client)
    return csrf_token_for(TEST_CSRF_COOKIE, TEST_SECRET_KEY, client.cookies.get(SESSION_COOKIE) or "")


async def post(client: httpx.AsyncClient, url: str, data: dict[str, str] | None = None) -> httpx.Response:
    """POST a form with a valid CSRF token."""
    return await client.post(url, data={"csrf_token": csrf_token(client), **(data or {})})


def link_in(text: str) -> str:
    match = re.search(r"https?://\S+/inloggen/link/[\w-]+", text)
    assert match, f"no login link in: {text!r}"
    return match.group(0)


def not_on_a_holiday(moment: datetime) -> datetime:
    """`moment`, or the same time on the first later day that is no public holiday: sessions are
    refused on those, and a date relative to today may land on one."""
    while holiday_at(moment):
        moment += timedelta(days=1)
    return moment


async def make_api_token(
    user: User, scopes: tuple[str, ...] = ("read", "book", "answer-requests", "invoices")
) -> str:
    """A live personal access token for `user` (valid 30 days), as the client sends it."""
    _token, secret = await create_token(
        actor=user, name="test", scopes=list(scopes), expires_at=clock.now() + timedelta(days=30)
    )
    return secret
