"""The bookings board searches organisations by name (any length) or by CBS code."""

from __future__ import annotations

import httpx

from server.models import Role
from tests.bookings.factories import make_booking
from tests.factories import make_organisation, make_user, sign_in


async def test_a_name_longer_than_a_cbs_code_finds_the_organisations_bookings(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    heuvelrug = await make_organisation(cbs_code="GM0339", name="Utrechtse Heuvelrug")
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist")
    wanted = await make_booking(organisation=heuvelrug)
    other = await make_booking(organisation=zeist)

    by_name = await client.get("/boekingen", params={"organisatie": "utrechtse heuvel"})

    assert by_name.status_code == 200
    assert wanted.reference in by_name.text and other.reference not in by_name.text


async def test_a_cbs_code_still_finds_the_organisations_bookings(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    heuvelrug = await make_organisation(cbs_code="GM0339", name="Utrechtse Heuvelrug")
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist")
    wanted = await make_booking(organisation=zeist)
    other = await make_booking(organisation=heuvelrug)

    by_code = await client.get("/boekingen", params={"organisatie": "gm0355"})

    assert by_code.status_code == 200
    assert wanted.reference in by_code.text and other.reference not in by_code.text
