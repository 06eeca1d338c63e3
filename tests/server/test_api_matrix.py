"""The API's authorisation matrix: every operation × token scope × role × a clerk of another
organisation, like the pages' matrix (test_access_matrix.py).

An operation that is not in API_MATRIX fails `test_every_operation_is_in_the_matrix`, so a new
operation cannot be added without deciding who may use it. Each actor calls with a token that holds
every scope (the role decides), and with a token that holds every scope but the operation's own (403).
"""

from __future__ import annotations

import httpx
import pytest

from server.app import api_operations
from server.models import ApiScope
from tests.factories import make_api_token
from tests.server.test_access_matrix import World, make_world

ACTORS = ("anonymous", "coordinator", "clerk", "other_clerk", "trainer", "finance")
ALLOW, UNAUTHORISED, FORBIDDEN, NOT_FOUND = "allow", "401", "403", "404"


def only(*actors: str, other_clerk: str = FORBIDDEN) -> dict[str, str]:
    outcomes = {actor: (ALLOW if actor in actors else FORBIDDEN) for actor in ACTORS}
    outcomes["anonymous"] = UNAUTHORISED
    if "clerk" in actors:
        outcomes["other_clerk"] = other_clerk
    return outcomes


VIEWERS = only("coordinator", "finance", "clerk", other_clerk=NOT_FOUND)
#: A list shows a clerk of another organisation only their own rows: allowed, and empty of ours.
VIEWERS_LIST = only("coordinator", "finance", "clerk", other_clerk=ALLOW)

API_MATRIX: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/organisations"): VIEWERS_LIST,
    ("GET", "/organisations/{code}"): VIEWERS,
    ("GET", "/organisations/{code}/contacts"): only("coordinator"),
    ("GET", "/organisations/{code}/tour-steps"): only("coordinator"),
    ("GET", "/bookings/{reference}/calendar"): VIEWERS,
    ("GET", "/offerings"): only("coordinator", "clerk", other_clerk=ALLOW),
    ("GET", "/bookings"): VIEWERS_LIST,
    ("GET", "/bookings/{reference}"): VIEWERS,
    ("POST", "/bookings"): only("coordinator", "clerk", other_clerk=NOT_FOUND),
    ("PATCH", "/bookings/{reference}"): only("coordinator", "clerk", other_clerk=NOT_FOUND),
    ("POST", "/bookings/{reference}/cancellation"): only("coordinator", "clerk", other_clerk=NOT_FOUND),
    ("GET", "/bookings/{reference}/feedback-results"): {
        **only("coordinator", "clerk", other_clerk=NOT_FOUND),
        "trainer": ALLOW,  # the world's trainer gave the session
    },
    ("GET", "/assignment-requests"): only("trainer"),
    ("POST", "/assignment-requests/{requestId:int}/acceptance"): only("trainer"),
    ("POST", "/assignment-requests/{requestId:int}/refusal"): only("trainer"),
    ("GET", "/invoices"): VIEWERS_LIST,
    ("GET", "/invoices/{invoiceId:int}"): VIEWERS,
    ("GET", "/invoices/{invoiceId:int}/pdf"): VIEWERS,
    ("GET", "/invoices/{invoiceId:int}/ubl"): VIEWERS,
}


def concrete(path: str, world: World) -> str:
    return "/api/v1" + (
        path.replace("{code}", world.organisation.cbs_code)
        .replace("{reference}", world.booking.reference)
        .replace("{invoiceId:int}", str(world.invoice.id))
        .replace("{requestId:int}", str(world.request.id))
    )


def outcome_of(response: httpx.Response) -> str:
    if response.status_code in (401, 403, 404):
        assert response.headers["content-type"] == "application/problem+json"
        return str(response.status_code)
    assert response.status_code < 500, response.text[:500]
    assert response.headers["api-version"]
    return ALLOW


def test_every_operation_is_in_the_matrix() -> None:
    declared = {(op.method, op.path) for op in api_operations()}
    assert declared - set(API_MATRIX) == set(), "operations without an entry in API_MATRIX"
    assert set(API_MATRIX) - declared == set(), "API_MATRIX entries for operations that do not exist"


async def _call(
    client: httpx.AsyncClient, method: str, url: str, secret: str | None, world: World
) -> httpx.Response:
    """A POST carries our organisation's code, so that the answer is about access, not a missing field."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "GET":
        return await client.get(url, headers=headers)
    return await client.request(
        method, url, headers=headers, json={"organisationCode": world.organisation.cbs_code}
    )


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_operation_allows_or_refuses_as_the_matrix_says(
    client: httpx.AsyncClient, actor: str
) -> None:
    world = await make_world()
    secret = None if actor == "anonymous" else await make_api_token(world.users[actor])
    failures = []
    for operation in api_operations():
        response = await _call(client, operation.method, concrete(operation.path, world), secret, world)
        expected = API_MATRIX[(operation.method, operation.path)][actor]
        if outcome_of(response) != expected:
            failures.append(
                f"{operation.method} {operation.path}: expected {expected}, got {response.status_code}"
            )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("scope", [s.value for s in ApiScope])
async def test_a_token_without_the_operations_scope_is_refused(client: httpx.AsyncClient, scope: str) -> None:
    """Every allowed actor, with a token that lacks `scope`, is refused each operation needing it."""
    world = await make_world()
    others = tuple(s.value for s in ApiScope if s.value != scope)
    failures = []
    for operation in api_operations():
        if operation.scope != scope:
            continue
        for actor, expected in API_MATRIX[(operation.method, operation.path)].items():
            if expected != ALLOW:
                continue
            secret = await make_api_token(world.users[actor], scopes=others)
            response = await _call(client, operation.method, concrete(operation.path, world), secret, world)
            if response.status_code != 403:
                failures.append(f"{operation.method} {operation.path} as {actor}: {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_lists_show_a_clerk_of_another_organisation_nothing_of_ours(client: httpx.AsyncClient) -> None:
    world = await make_world()
    secret = await make_api_token(world.users["other_clerk"])
    headers = {"Authorization": f"Bearer {secret}"}
    for path, ours in (
        ("/organisations", world.organisation.cbs_code),
        ("/bookings", world.booking.reference),
        ("/invoices", world.invoice.number),
    ):
        response = await client.get(f"/api/v1{path}", headers=headers)
        assert response.status_code == 200
        assert ours not in response.text, path
