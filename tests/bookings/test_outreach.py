"""Tour outreach to contacts: whom an invitation mails, the link that makes a clerk, reminders, bounces."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from bookings import contacts, outreach
from bookings.contacts_models import Contact, ContactFunction, OutreachRecipient
from bookings.models import Stage, TourInvitation
from server.clock import Clock
from server.mail import OutboxMessage, OutboxStatus
from server.models import Organisation, Role, User
from server.settings import Settings
from tests.bookings.factories import make_offering
from tests.factories import make_organisation, make_province, make_user, post, sign_in


def token_in(text: str) -> str:
    match = re.search(r"/tour/link/([\w-]+)", text)
    assert match, f"no tour link in: {text!r}"
    return match.group(1)


async def _utrecht() -> tuple[Organisation, Organisation, Organisation]:
    province = await make_province(cbs_code="PV26", name="Utrecht")
    zeist = await make_organisation(cbs_code="GM0355", name="Zeist", province=province)
    houten = await make_organisation(cbs_code="GM0321", name="Houten", province=province)
    return province, zeist, houten


async def test_a_province_is_invited_through_its_griffiers_whether_or_not_they_have_an_account(
    settings: Settings,
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    province, zeist, _houten = await _utrecht()
    await Contact.create(organisation=zeist, name="Petra Jansen", function="griffier", email="petra@zeist.nl")
    await Contact.create(
        organisation=zeist, name="Koos Klaver", function="burgemeester", email="koos@zeist.nl"
    )
    await make_user(Role.CLERK, organisation=province, email="griffie@utrecht.nl", name="Greet")

    report = await outreach.invite_organisations([], "PV26", actor=coordinator, settings=settings)

    invited = {i.organisation.name: sorted(p.email for p in i.people) for i in report.invited}
    assert invited == {"Zeist": ["petra@zeist.nl"], "Utrecht": ["griffie@utrecht.nl"]}
    assert [(n.organisation.name, n.reason) for n in report.not_invited] == [
        ("Houten", "geen contactpersoon met de functie griffier")
    ]
    assert sorted(await OutboxMessage.all().values_list("to_address", flat=True)) == [
        "griffie@utrecht.nl",
        "petra@zeist.nl",
    ]
    mail = await OutboxMessage.get(to_address="petra@zeist.nl")
    assert "Beste Petra Jansen" in mail.body_text and "http://testserver/tour/link/" in mail.body_text
    recipient = await OutreachRecipient.get(email="petra@zeist.nl")
    assert recipient.token_hash != token_in(mail.body_text) and len(recipient.token_hash) == 64
    assert recipient.mail_id == mail.id  # type: ignore[attr-defined]


async def test_a_chosen_function_is_mailed_and_a_running_invitation_is_not_repeated(
    settings: Settings,
) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    _, zeist, _houten = await _utrecht()
    await Contact.create(
        organisation=zeist, name="Koos Klaver", function="burgemeester", email="koos@zeist.nl"
    )
    report = await outreach.invite_organisations(
        ["GM0355", "GM0321"], "", actor=coordinator, settings=settings, function=ContactFunction.BURGEMEESTER
    )
    assert [i.organisation.name for i in report.invited] == ["Zeist"]
    again = await outreach.invite_organisations(["gm0355"], "", actor=coordinator, settings=settings)
    assert again.invited == []
    assert "al uitgenodigd op" in again.not_invited[0].reason
    assert await TourInvitation.filter(organisation=zeist).count() == 1


async def test_only_coordinators_invite_and_a_choice_is_needed(settings: Settings) -> None:
    from server.errors import Forbidden, ValidationFailed

    with pytest.raises(Forbidden):
        await outreach.invite_organisations(
            ["GM0355"], "", actor=await make_user(Role.CLERK), settings=settings
        )
    coordinator = await make_user(Role.COORDINATOR)
    with pytest.raises(ValidationFailed):
        await outreach.invite_organisations([], "", actor=coordinator, settings=settings)
    with pytest.raises(ValidationFailed):
        await outreach.invite_organisations(["GM0000"], "", actor=coordinator, settings=settings)


async def _invite_petra(settings: Settings) -> tuple[Organisation, str]:
    _, zeist, _ = await _utrecht()
    await Contact.create(organisation=zeist, name="Petra Jansen", function="griffier", email="petra@zeist.nl")
    await outreach.invite_organisations(
        ["GM0355"], "", actor=await make_user(Role.COORDINATOR), settings=settings
    )
    mail = await OutboxMessage.get(to_address="petra@zeist.nl")
    return zeist, token_in(mail.body_text)


async def test_the_link_makes_the_griffier_a_clerk_signs_them_in_and_opens_the_intake(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    intake = await make_offering(stage=Stage.INTAKE, name="Intake")
    zeist, token = await _invite_petra(settings)

    page = await client.get(f"/tour/link/{token}")
    assert page.status_code == 200 and "Verder naar de intake" in page.text and "Zeist" in page.text
    assert not await User.exists(email="petra@zeist.nl")  # opening the page changes nothing

    used = await post(client, f"/tour/link/{token}")
    assert used.status_code == 303
    assert used.headers["location"] == f"/organisaties/GM0355/boeken/{intake.id}"
    clerk = await User.get(email="petra@zeist.nl")
    assert (clerk.role, clerk.organisation_id, clerk.name) == (Role.CLERK, zeist.id, "Petra Jansen")  # type: ignore[attr-defined]
    form = await client.get(used.headers["location"])
    assert form.status_code == 200

    client.cookies.clear()
    again = await post(client, f"/tour/link/{token}")
    assert again.status_code == 400 and "verlopen, al gebruikt" in again.text
    assert await User.filter(email="petra@zeist.nl").count() == 1


async def test_an_existing_clerk_is_signed_in_and_another_account_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    zeist, token = await _invite_petra(settings)
    await make_user(Role.TRAINER, email="petra@zeist.nl")
    refused = await post(client, f"/tour/link/{token}")
    assert refused.status_code == 400 and "ander account" in refused.text
    await User.filter(email="petra@zeist.nl").update(role=Role.CLERK, organisation_id=zeist.id)
    used = await post(client, f"/tour/link/{token}")
    assert used.status_code == 303 and used.headers["location"] == "/organisaties/GM0355/boeken"


async def test_a_link_expires_and_a_removed_contact_s_link_stops_working(
    settings: Settings, fixed_clock: Clock
) -> None:
    _, token = await _invite_petra(settings)
    fixed_clock.advance(outreach.LINK_VALIDITY + timedelta(seconds=1))
    with pytest.raises(outreach.OutreachLinkInvalid):
        await outreach.accept_invitation(token)
    assert not await User.exists(email="petra@zeist.nl")

    fixed_clock.advance(timedelta(weeks=-5))
    houten = await Organisation.get(cbs_code="GM0321")
    harm = await Contact.create(organisation=houten, name="Harm", function="griffier", email="harm@houten.nl")
    coordinator = await make_user(Role.COORDINATOR)
    await outreach.invite_organisations(["GM0321"], "", actor=coordinator, settings=settings)
    harm_token = token_in((await OutboxMessage.get(to_address="harm@houten.nl")).body_text)
    await contacts.remove_contact(houten, harm.id, actor=coordinator)
    with pytest.raises(outreach.OutreachLinkInvalid):
        await outreach.accept_invitation(harm_token)


async def test_two_clicks_at_once_make_one_account(settings: Settings) -> None:
    _, token = await _invite_petra(settings)
    results = await asyncio.gather(
        *(outreach.accept_invitation(token) for _ in range(4)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 1
    assert await User.filter(email="petra@zeist.nl").count() == 1


async def test_reminders_go_after_the_set_weeks_at_most_twice_and_stop_on_a_response(
    settings: Settings, fixed_clock: Clock
) -> None:
    _zeist, first_token = await _invite_petra(settings)
    assert await outreach.send_due_reminders(settings) == 0
    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))
    assert await outreach.send_due_reminders(settings) == 1
    assert await outreach.send_due_reminders(settings) == 0  # once per period
    reminder = await OutboxMessage.filter(to_address="petra@zeist.nl").order_by("-id").first()
    assert reminder is not None and reminder.subject.startswith("Herinnering:")
    with pytest.raises(outreach.OutreachLinkInvalid):
        await outreach.accept_invitation(first_token)  # the newest mail's link replaced it
    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))
    assert await outreach.send_due_reminders(settings) == 1
    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))
    assert await outreach.send_due_reminders(settings) == 0  # at most MAX_REMINDERS
    assert await OutboxMessage.filter(to_address="petra@zeist.nl").count() == 1 + outreach.MAX_REMINDERS


async def test_no_reminder_after_a_booking_or_to_a_refused_address(
    settings: Settings, fixed_clock: Clock
) -> None:
    zeist, _ = await _invite_petra(settings)
    houten = await Organisation.get(cbs_code="GM0321")
    await Contact.create(organisation=houten, name="Harm", function="griffier", email="harm@houten.nl")
    await outreach.invite_organisations(
        ["GM0321"], "", actor=await make_user(Role.COORDINATOR), settings=settings
    )
    await TourInvitation.filter(organisation=zeist).update(booked_at=fixed_clock.now())
    await OutboxMessage.filter(to_address="harm@houten.nl").update(
        status=OutboxStatus.FAILED, last_error="550 mailbox unavailable"
    )
    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))
    assert await outreach.send_due_reminders(settings) == 0


async def test_a_refused_mail_shows_on_the_organisation_page(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await _invite_petra(settings)
    await OutboxMessage.filter(to_address="petra@zeist.nl").update(
        status=OutboxStatus.FAILED, last_error="550 5.1.1 mailbox unavailable"
    )
    await sign_in(client, await make_user(Role.COORDINATOR))
    page = await client.get("/organisaties/GM0355")
    assert page.status_code == 200
    assert "Uitnodigingen voor de tour" in page.text
    assert "e-mail geweigerd" in page.text and "550 5.1.1 mailbox unavailable" in page.text
    tour = await client.get("/tour?provincie=PV26")
    assert 'href="/organisaties/GM0355#tour-mails">e-mail geweigerd' in tour.text


async def test_the_tour_page_invites_with_the_chosen_function(client: httpx.AsyncClient) -> None:
    await sign_in(client, await make_user(Role.COORDINATOR))
    _, zeist, _ = await _utrecht()
    await Contact.create(
        organisation=zeist, name="Koos Klaver", function="burgemeester", email="koos@zeist.nl"
    )
    page = await client.get("/tour?provincie=PV26&functie=burgemeester")
    assert page.status_code == 200 and "Uitnodiging aan" in page.text
    response = await post(
        client, "/tour/uitnodigen", {"province": "PV26", "provincie": "PV26", "functie": "burgemeester"}
    )
    assert response.status_code == 200
    assert "Koos Klaver &lt;koos@zeist.nl&gt;" in response.text
    assert "Houten" in response.text and "geen contactpersoon met de functie burgemeester" in response.text
    assert await OutboxMessage.filter(to_address="koos@zeist.nl").count() == 1


async def test_a_recipient_whose_mail_row_is_gone_is_still_reminded(
    settings: Settings, fixed_clock: Clock
) -> None:
    await _invite_petra(settings)
    await OutboxMessage.filter(to_address="petra@zeist.nl").delete()
    assert (await OutreachRecipient.get(email="petra@zeist.nl")).mail_id is None  # type: ignore[attr-defined]
    fixed_clock.advance(timedelta(weeks=settings.outreach_reminder_weeks))
    assert await outreach.send_due_reminders(settings) == 1
