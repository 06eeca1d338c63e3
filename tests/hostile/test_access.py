"""Other organisations' bookings, feedback and invoices cannot be found by a clerk or a trainer who has
no business with them (issue 8): every route that takes such an id answers them exactly as it
answers an id that does not exist, so the answer says nothing about what exists. Routes their role
may use answer 404, the others 403 (the role's refusal, the same for every id). The authorisation
matrix (tests/server) checks the rest; this adds a trainer who is not on the session and the
comparison with ids that do not exist.
"""

from __future__ import annotations

import httpx
import pytest

from bookings.models import TrainerKind
from bookings.staffing_models import TrainerProfile
from server.models import Role, User
from tests.factories import csrf_token, make_user, sign_in
from tests.server.test_access_matrix import World, app_routes, concrete_path, make_world

ID_PARAMETERS = ("{reference}", "{invoice_id}", "{code}")


def missing_path(path: str, world: World) -> str:
    """The same route for a booking, invoice and organisation that do not exist."""
    missing_reference = "Z" * len(world.booking.reference)
    return concrete_path(
        path.replace("{reference}", missing_reference)
        .replace("{invoice_id}", "987654")
        .replace("{code}", "GM9999"),
        world,
    )


async def answer(client: httpx.AsyncClient, method: str, url: str) -> int:
    if method == "GET":
        return (await client.get(url)).status_code
    return (await client.request(method, url, data={"csrf_token": csrf_token(client)})).status_code


async def stranger_trainer() -> User:
    trainer = await make_user(Role.TRAINER)
    await TrainerProfile.create(user=trainer, kind=TrainerKind.TRAINER)
    return trainer


@pytest.mark.parametrize("actor", ["other_clerk", "stranger_trainer"])
async def test_other_organisations_ids_answer_like_ids_that_do_not_exist(
    client: httpx.AsyncClient, settings: object, actor: str
) -> None:
    world = await make_world()
    user = world.users["other_clerk"] if actor == "other_clerk" else await stranger_trainer()
    checked, failures = 0, []
    for method, path, route in app_routes(settings):  # type: ignore[arg-type]
        if not any(parameter in path for parameter in ID_PARAMETERS):
            continue
        client.cookies.clear()
        await sign_in(client, user)
        existing = await answer(client, method, concrete_path(path, world))
        missing = await answer(client, method, missing_path(path, world))
        checked += 1
        roles = route.endpoint.access.roles  # type: ignore[attr-defined]
        expected = 404 if not roles or user.role in roles else 403
        if (existing, missing) != (expected, expected):
            failures.append(f"{method} {path}: existing {existing}, missing {missing}, expected {expected}")
    assert checked >= 40
    assert not failures, "\n".join(failures)
