"""The tour's first morning: every province invited over the full CBS list, with a griffier contact for
every organisation; nobody invited twice, also when two coordinators click at the same moment."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bookings import outreach
from bookings.contacts_models import Contact, OutreachRecipient
from bookings.models import TourInvitation
from server.mail import OutboxMessage
from server.models import Organisation, OrganisationKind, Role
from server.organisations import import_organisations
from server.settings import Settings
from tests.databases import running_in_ci
from tests.factories import make_user
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.skipif(
    not (SHARED_DATA / "gemeenten.csv").exists() and not running_in_ci(),
    reason=f"CBS files not found in {SHARED_DATA}",
)


async def _the_netherlands_with_a_griffier_each() -> list[str]:
    """Import the CBS lists; give every organisation a griffier contact. Returns the province codes."""
    await import_organisations(SHARED_DATA / "provincies.csv")
    await import_organisations(SHARED_DATA / "gemeenten.csv")
    organisations = await Organisation.all()
    await Contact.bulk_create(
        [
            Contact(
                organisation=o,
                name=f"Griffier {o.name}",
                function="griffier",
                email=f"griffie@{o.cbs_code.lower()}.example.org",
            )
            for o in organisations
        ]
    )
    return sorted(o.cbs_code for o in organisations if o.kind is OrganisationKind.PROVINCE)


async def _assert_everyone_invited_once() -> None:
    organisations = await Organisation.all().count()
    assert organisations == 354
    per_organisation = Counter(await TourInvitation.all().values_list("organisation_id", flat=True))
    assert len(per_organisation) == organisations and set(per_organisation.values()) == {1}
    per_address = Counter(await OutboxMessage.all().values_list("to_address", flat=True))
    assert len(per_address) == organisations and set(per_address.values()) == {1}
    assert await OutreachRecipient.all().count() == organisations


async def test_every_province_invited_reaches_every_organisation_once(settings: Settings) -> None:
    provinces = await _the_netherlands_with_a_griffier_each()
    coordinator = await make_user(Role.COORDINATOR)
    invited = 0
    for province in provinces:
        report = await outreach.invite_organisations([], province, actor=coordinator, settings=settings)
        assert report.not_invited == []
        invited += len(report.invited)
    assert invited == 354
    await _assert_everyone_invited_once()

    again = await outreach.invite_organisations([], "PV26", actor=coordinator, settings=settings)
    assert again.invited == [] and len(again.not_invited) == 27
    assert all("al uitgenodigd op" in n.reason for n in again.not_invited)
    await _assert_everyone_invited_once()


async def test_two_coordinators_inviting_the_same_provinces_at_once_invite_nobody_twice(
    settings: Settings,
) -> None:
    """On PostgreSQL the two clicks run in parallel transactions; the row locks decide."""
    provinces = await _the_netherlands_with_a_griffier_each()
    first, second = await make_user(Role.COORDINATOR), await make_user(Role.COORDINATOR)
    reports = await asyncio.gather(
        *(
            outreach.invite_organisations([], province, actor=actor, settings=settings)
            for province in provinces
            for actor in (first, second)
        )
    )
    invited = [i.organisation.cbs_code for report in reports for i in report.invited]
    assert len(invited) == len(set(invited)) == 354
    await _assert_everyone_invited_once()
