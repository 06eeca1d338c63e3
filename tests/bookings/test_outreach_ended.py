"""Tour outreach leaves out organisations that no longer exist (merged away: `ended_on` today or earlier),
and a code that cannot exist finds nothing (a clear message, not a bare 400)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bookings import outreach
from bookings.contacts_models import Contact
from bookings.models import TourInvitation
from server.clock import Clock
from server.errors import ValidationFailed
from server.mail import OutboxMessage
from server.models import Organisation, Role
from server.settings import Settings
from tests.factories import make_organisation, make_province, make_user, post, sign_in

TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def noon_on_today(fixed_clock: Clock) -> None:
    fixed_clock.set(datetime(2027, 3, 1, 11, 0, tzinfo=UTC))


async def _utrecht() -> dict[str, Organisation]:
    province = await make_province(cbs_code="PV26", name="Utrecht")
    organisations = {
        "Zeist": await make_organisation(cbs_code="GM0355", name="Zeist", province=province),
        "Ended today": await make_organisation(
            cbs_code="GM0321", name="Houten", province=province, ended_on=TODAY
        ),
        "Ended before": await make_organisation(
            cbs_code="GM0589", name="Oudewater", province=province, ended_on=TODAY - timedelta(days=400)
        ),
        "Ends tomorrow": await make_organisation(
            cbs_code="GM0352",
            name="Wijk bij Duurstede",
            province=province,
            ended_on=TODAY + timedelta(days=1),
        ),
    }
    for organisation in organisations.values():
        await Contact.create(
            organisation=organisation,
            name=f"Griffier {organisation.name}",
            function="griffier",
            email=f"griffie@{organisation.cbs_code.lower()}.nl",
        )
    return organisations


async def test_ended_organisations_are_not_offered(settings: Settings) -> None:
    await _utrecht()

    rows = await outreach.outreach_overview("PV26")

    assert [row.organisation.name for row in rows] == ["Utrecht", "Wijk bij Duurstede", "Zeist"]


async def test_ended_organisations_of_a_province_are_not_invited(settings: Settings) -> None:
    organisations = await _utrecht()

    report = await outreach.invite_organisations(
        [], "PV26", actor=await make_user(Role.COORDINATOR), settings=settings
    )

    assert sorted(i.organisation.name for i in report.invited) == ["Wijk bij Duurstede", "Zeist"]
    assert [n.organisation.name for n in report.not_invited] == ["Utrecht"]  # no griffier
    for ended in (organisations["Ended today"], organisations["Ended before"]):
        assert not await TourInvitation.exists(organisation=ended)
    assert sorted(await OutboxMessage.all().values_list("to_address", flat=True)) == [
        "griffie@gm0352.nl",
        "griffie@gm0355.nl",
    ]


async def test_an_ended_organisation_chosen_by_code_is_not_invited(settings: Settings) -> None:
    await _utrecht()
    coordinator = await make_user(Role.COORDINATOR)

    with pytest.raises(ValidationFailed):
        await outreach.invite_organisations(["GM0321", "gm0589"], "", actor=coordinator, settings=settings)

    report = await outreach.invite_organisations(
        ["GM0321", "GM0355"], "", actor=coordinator, settings=settings
    )
    assert [i.organisation.name for i in report.invited] == ["Zeist"] and report.not_invited == []
    assert await TourInvitation.all().count() == 1


async def test_an_organisation_that_ends_after_its_invitation_gets_no_reminder(
    settings: Settings, fixed_clock: Clock
) -> None:
    organisations = await _utrecht()
    coordinator = await make_user(Role.COORDINATOR)
    await outreach.invite_organisations(["GM0352", "GM0355"], "", actor=coordinator, settings=settings)
    await Organisation.filter(id=organisations["Ends tomorrow"].id).update(ended_on=TODAY + timedelta(days=7))

    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))

    assert await outreach.send_due_reminders(settings) == 1
    reminded = await OutboxMessage.filter(subject__startswith="Herinnering:").values_list(
        "to_address", flat=True
    )
    assert reminded == ["griffie@gm0355.nl"]


async def test_a_code_longer_than_a_cbs_code_finds_nothing(client: httpx.AsyncClient) -> None:
    await _utrecht()
    await sign_in(client, await make_user(Role.COORDINATOR))

    for form in ({"organisations": "GEMEENTE123"}, {"province": "PROVINCIE"}):
        response = await post(client, "/tour/uitnodigen", form)
        assert response.status_code == 400 and "Geen organisaties gevonden voor deze keuze." in response.text
    assert await TourInvitation.all().count() == 0
