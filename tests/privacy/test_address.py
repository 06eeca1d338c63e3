"""Export and erasure for people without an account (contacts, participants who left an address),
by e-mail address (issue 20), checked against the whole database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bookings.contacts_models import Contact, OutreachRecipient
from bookings.models import TourInvitation
from feedback.models import ContactRequest, FeedbackForm, SessionFeedback
from server import clock
from server.app import personal_data_register
from server.audit import record
from server.errors import Forbidden
from server.mail import OutboxMessage, OutboxStatus
from server.models import AuditEntry, Role
from server.privacy import AddressHasAccount, erase_address, export_address
from tests.bookings.factories import make_booking
from tests.cli import weerbaar
from tests.factories import make_organisation, make_user
from tests.privacy.people import stored_anywhere

ADDRESS = "jan.raadslid@example.org"


async def make_person_without_account() -> None:
    """A contact of an organisation, mailed for the tour, who left an address with feedback."""
    organisation = await make_organisation()
    contact = await Contact.create(
        organisation=organisation,
        name="Jan Raadslid",
        function="overig",
        email=ADDRESS,
        phone="06 11 22 33 44",
    )
    invitation = await TourInvitation.create(organisation=organisation, recipients=1)
    await OutreachRecipient.create(
        invitation=invitation,
        contact=contact,
        name="Jan Raadslid",
        email=ADDRESS,
        function="overig",
        token_hash="j" * 64,
        expires_at=clock.now(),
        mailed_at=clock.now(),
    )
    booking = await make_booking(organisation=organisation, invoice_email=ADDRESS)
    past = clock.now() - timedelta(days=3)
    form = await FeedbackForm.create(name="Sessie")
    session = await SessionFeedback.create(
        booking=booking, form=form, code="ADDR01", opens_at=past, closes_at=past + timedelta(days=14)
    )
    await ContactRequest.create(session=session, email=ADDRESS.upper())
    await OutboxMessage.create(
        to_address=ADDRESS,
        subject="Uitnodiging",
        body_text="Beste Jan Raadslid,",
        body_html="<p>Beste Jan Raadslid,</p>",
        status=OutboxStatus.SENT,
        next_attempt_at=past,
        sent_at=past,
        message_id="<addr-1@weerbaar>",
    )
    await record(None, "tour_invited", None, f"uitnodiging aan {ADDRESS}")


async def test_the_export_by_address_holds_the_contact_and_the_contact_request() -> None:
    await make_person_without_account()
    coordinator = await make_user(Role.COORDINATOR)

    content = await export_address(f" {ADDRESS.upper()} ", personal_data_register(), actor=coordinator)

    sections = json.loads(content)["onderdelen"]
    assert sections["contactpersonen"][0]["phone"] == "06 11 22 33 44"
    assert sections["contactverzoeken"][0]["session__booking__reference"]
    assert sections["tour-uitnodigingen-ontvangen"] and sections["e-mails"] and sections["auditlog"]
    entry = await AuditEntry.filter(action="personal_data_exported").get()
    assert ADDRESS not in entry.summary and entry.summary.startswith("adres ")


async def test_erasure_by_address_leaves_nothing_that_names_the_person() -> None:
    await make_person_without_account()
    coordinator = await make_user(Role.COORDINATOR)
    assert len(await stored_anywhere((ADDRESS, "06 11 22 33 44"))) >= 5

    changed = await erase_address(ADDRESS, personal_data_register(), actor=coordinator)

    assert await stored_anywhere((ADDRESS, "06 11 22 33 44")) == []
    assert changed["contactpersonen"] >= 1 and changed["contactverzoeken"] == 1
    assert await OutreachRecipient.all().count() == 1  # the tour's progress stays
    assert ADDRESS not in (await AuditEntry.get(action="personal_data_erased")).summary


async def test_an_address_with_an_account_and_a_non_coordinator_are_refused() -> None:
    await make_user(Role.CLERK, email=ADDRESS)
    with pytest.raises(AddressHasAccount):
        await erase_address(ADDRESS, personal_data_register(), actor=await make_user(Role.COORDINATOR))
    with pytest.raises(Forbidden):
        await export_address(
            "ander@example.org", personal_data_register(), actor=await make_user(Role.FINANCE)
        )


async def test_the_cli_exports_and_erases_by_address(fresh_url: str, tmp_path: Path) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    out = tmp_path / "adres.json"
    exported = weerbaar(fresh_url, "user", "export-address", ADDRESS, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text())["export_van"] == ADDRESS
    assert weerbaar(fresh_url, "user", "erase-address", ADDRESS).returncode == 2
    erased = weerbaar(fresh_url, "user", "erase-address", ADDRESS, "--ja")
    assert erased.returncode == 0 and "gewist" in erased.stdout, erased.stderr
