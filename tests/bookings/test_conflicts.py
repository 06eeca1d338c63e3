"""Two people edit one booking: the form carries the version it was based on, the first edit wins,
the second is refused (409) with the booking as it is now and with what was typed kept."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from bookings import lifecycle
from bookings.models import Booking, BookingStatus, PriceModel, Stage
from server import clock
from server.errors import EditConflict
from server.models import AuditEntry, Role, User
from server.settings import Settings
from tests.bookings.factories import make_booking, make_offering
from tests.bookings.test_routes import days_ahead
from tests.factories import make_organisation, make_user, not_on_a_holiday, post, sign_in


async def make_intake() -> Booking:
    return await make_booking(offering=await make_offering(name="Intake", stage=Stage.INTAKE))


async def make_paid_booking(clerk: User | None = None) -> Booking:
    offering = await make_offering(price_model=PriceModel.PER_SESSION, price_cents=150_000)
    organisation = clerk.organisation if clerk else await make_organisation()  # type: ignore[attr-defined]
    return await make_booking(offering=offering, organisation=organisation, invoice_email="oud@gemeente.nl")


def version_on(page: httpx.Response) -> str:
    versions = set(re.findall(r'name="version" value="([^"]+)"', page.text))
    assert len(versions) == 1, versions
    return versions.pop()


# --- service -------------------------------------------------------------------------------------


async def test_the_second_intake_report_from_the_same_version_is_refused_and_the_first_kept() -> None:
    anne, bert = await make_user(Role.COORDINATOR), await make_user(Role.COORDINATOR)
    booking = await make_intake()
    seen = booking.updated_at

    await lifecycle.record_intake_outcome(
        booking.id, "Verslag van Anne", "Sessie", actor=anne, expected_version=seen
    )
    with pytest.raises(EditConflict, match="Iemand anders heeft deze boeking gewijzigd"):
        await lifecycle.record_intake_outcome(
            booking.id, "Verslag van Bert", "Training", actor=bert, expected_version=seen
        )

    stored = await Booking.get(id=booking.id)
    assert (stored.outcome_notes, stored.next_step) == ("Verslag van Anne", "Sessie")
    assert await AuditEntry.filter(action="intake_outcome_recorded").count() == 1


async def test_every_step_moves_the_version_on(settings: Settings) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    booking = await make_paid_booking()
    versions = [booking.updated_at]

    async def current() -> Booking:
        latest = await Booking.get(id=booking.id)
        assert latest.updated_at not in versions
        versions.append(latest.updated_at)
        return latest

    start = not_on_a_holiday(clock.now() + timedelta(days=30))
    await lifecycle.schedule_booking(
        booking.id, start, actor=coordinator, settings=settings, expected_version=versions[-1]
    )
    await current()
    await lifecycle.update_purchase_order(
        booking.id, "PO-1", "f@gemeente.nl", actor=coordinator, expected_version=versions[-1]
    )
    await current()
    await lifecycle.reschedule_booking(
        booking.id,
        not_on_a_holiday(start + timedelta(days=1)),
        actor=coordinator,
        settings=settings,
        expected_version=versions[-1],
    )
    await current()

    for stale in versions[:-1]:
        with pytest.raises(EditConflict):
            await lifecycle.cancel_booking(
                booking.id, "", actor=coordinator, settings=settings, expected_version=stale
            )
    assert (await Booking.get(id=booking.id)).status is BookingStatus.SCHEDULED
    await lifecycle.cancel_booking(
        booking.id, "", actor=coordinator, settings=settings, expected_version=versions[-1]
    )
    assert (await Booking.get(id=booking.id)).status is BookingStatus.CANCELLED


async def test_without_a_version_there_is_no_check() -> None:
    """The system and older callers do not say what they saw: the edit goes through as before."""
    coordinator = await make_user(Role.COORDINATOR)
    booking = await make_intake()
    await lifecycle.record_intake_outcome(booking.id, "Eerste", "", actor=coordinator)
    await lifecycle.record_intake_outcome(booking.id, "Tweede", "", actor=coordinator)
    assert (await Booking.get(id=booking.id)).outcome_notes == "Tweede"


async def test_concurrent_edits_from_one_version_have_exactly_one_winner(db_kind: str) -> None:
    if db_kind != "postgres":
        pytest.skip("concurrent transactions are what is tested; SQLite has one writer anyway")
    coordinators = [await make_user(Role.COORDINATOR) for _ in range(20)]
    booking = await make_paid_booking()
    seen = booking.updated_at

    async def edit(number: int) -> str:
        try:
            await lifecycle.update_purchase_order(
                booking.id, f"PO-{number}", "f@gemeente.nl", actor=coordinators[number], expected_version=seen
            )
        except EditConflict:
            return "conflict"
        return f"PO-{number}"

    outcomes = await asyncio.gather(*(edit(number) for number in range(20)))

    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == 19
    assert (await Booking.get(id=booking.id)).po_number == winners[0]
    assert await AuditEntry.filter(action="purchase_order_updated").count() == 1


# --- routes --------------------------------------------------------------------------------------


async def test_a_stale_intake_form_gets_409_with_the_saved_report_and_the_typed_text_kept(
    settings: Settings,
) -> None:
    from server.app import create_app

    booking = await make_intake()
    page = f"/boekingen/{booking.reference}"
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as anne,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as bert,
    ):
        await sign_in(anne, await make_user(Role.COORDINATOR, name="Anne"))
        await sign_in(bert, await make_user(Role.COORDINATOR, name="Bert"))
        anne_version = version_on(await anne.get(page))
        bert_version = version_on(await bert.get(page))

        saved = await post(
            anne,
            f"{page}/intakeverslag",
            {"notes": "Anne: zorgen", "next_step": "Sessie", "version": anne_version},
        )
        assert saved.status_code == 303
        refused = await post(
            bert,
            f"{page}/intakeverslag",
            {"notes": "Bert: lange tekst die hij typte", "next_step": "Training", "version": bert_version},
        )

        assert refused.status_code == 409
        assert "De boeking is intussen gewijzigd" in refused.text
        assert "Iemand anders heeft deze boeking gewijzigd" in refused.text
        assert "Bert: lange tekst die hij typte" in refused.text
        assert "Anne: zorgen" in refused.text
        stored = await Booking.get(id=booking.id)
        assert (stored.outcome_notes, stored.next_step) == ("Anne: zorgen", "Sessie")

        resubmitted = await post(
            bert,
            f"{page}/intakeverslag",
            {
                "notes": "Anne: zorgen. Bert: aanvulling",
                "next_step": "Training",
                "version": version_on(refused),
            },
        )
        assert resubmitted.status_code == 303
        assert (await Booking.get(id=booking.id)).outcome_notes == "Anne: zorgen. Bert: aanvulling"


async def test_a_stale_reschedule_is_refused_and_the_other_date_stays(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    starts_at = clock.now() + timedelta(days=30)
    booking = await make_booking(status=BookingStatus.SCHEDULED, starts_at=starts_at)
    await sign_in(client, coordinator)
    page = f"/boekingen/{booking.reference}"
    stale = version_on(await client.get(page))
    await Booking.filter(id=booking.id).update(updated_at=clock.now() + timedelta(seconds=1))

    refused = await post(
        client, f"{page}/verzetten", {"date": days_ahead(45), "time": "14:00", "version": stale}
    )

    assert refused.status_code == 409
    assert "Iemand anders heeft deze boeking gewijzigd" in refused.text
    assert f'value="{days_ahead(45)}"' in refused.text
    assert (await Booking.get(id=booking.id)).starts_at == starts_at
    assert version_on(refused) != stale


async def test_a_stale_purchase_order_form_and_a_made_up_version_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    clerk = await make_user(Role.CLERK)
    await clerk.fetch_related("organisation")
    booking = await make_paid_booking(clerk)
    await sign_in(client, clerk)
    page = f"/boekingen/{booking.reference}"
    seen = version_on(await client.get(page))
    await lifecycle.update_purchase_order(
        booking.id, "PO-FINANCE", "fin@gemeente.nl", actor=await make_user(Role.FINANCE)
    )

    for version in (seen, "geen-versie"):
        refused = await post(
            client,
            f"{page}/inkooporder",
            {"po_number": "PO-GRIFFIE", "invoice_email": "g@gemeente.nl", "version": version},
        )
        assert refused.status_code == 409
        assert 'value="PO-GRIFFIE"' in refused.text and "PO-FINANCE" in refused.text
    assert (await Booking.get(id=booking.id)).po_number == "PO-FINANCE"


async def test_a_stale_cancellation_shows_the_current_fee_and_cancels_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """The session was moved into the fee period after the clerk opened the cancel page."""
    clerk = await make_user(Role.CLERK)
    await clerk.fetch_related("organisation")
    booking = await make_paid_booking(clerk)
    await Booking.filter(id=booking.id).update(
        status=BookingStatus.SCHEDULED, starts_at=clock.now() + timedelta(days=60)
    )
    await sign_in(client, clerk)
    form = await client.get(f"/boekingen/{booking.reference}/annuleren")
    assert "kosteloos" in form.text
    await lifecycle.reschedule_booking(
        booking.id,
        not_on_a_holiday(clock.now() + timedelta(days=5)),
        actor=await make_user(Role.COORDINATOR),
        settings=settings,
    )

    refused = await post(
        client,
        f"/boekingen/{booking.reference}/annuleren",
        {"reason": "Raad vergadert dan", "version": version_on(form)},
    )

    assert refused.status_code == 409
    assert "De boeking is intussen gewijzigd" in refused.text
    assert "Raad vergadert dan" in refused.text
    assert "50 %" in refused.text
    assert (await Booking.get(id=booking.id)).status is BookingStatus.SCHEDULED
