"""Booking in Chromium: a clerk books the free council-wide session and a paid training (with its
quote), sees both; a coordinator schedules one. axe-core checks every page on the way."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from playwright.async_api import Page, expect
from pypdf import PdfReader

from bookings.public_holidays import first_day_without_holiday
from server import clock
from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in

CLERK = "griffier.utrecht@weerbaar.example"


def in_days(days: int) -> str:
    """The day this many days ahead, or the first later one that is no public holiday."""
    return first_day_without_holiday(clock.local_today() + timedelta(days=days)).isoformat()


async def fill_booking(page: Page, *, participants: str, situation: str) -> None:
    await page.locator("#field-local_situation").fill(situation)
    await page.locator("#field-expected_participants").fill(participants)
    await page.get_by_label("avond", exact=True).check()
    await page.locator("#field-date_1").fill(in_days(45))
    await page.locator("#field-time_1").fill("19:30")
    await page.locator("#field-location_address").fill("Stadskantoor, Stadsplateau 1, Utrecht")
    await page.locator("#field-contact_name").fill("Grietje van Dijk")
    await page.locator("#field-contact_phone").fill("030 286 0000")
    await page.get_by_label("E-mailadres van de contactpersoon (niet verplicht)").fill(
        "grietje@utrecht.example"
    )


async def choose_offering(page: Page, name: str) -> None:
    await page.get_by_role("link", name="Nieuwe boeking").click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name=re.compile(f"^Boeken.*{re.escape(name)}")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(name)


async def test_a_clerk_books_two_stages_and_a_coordinator_schedules(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, CLERK)
    await expect(page).to_have_url(f"{live_server.url}/organisaties/GM0344/boekingen")
    await assert_accessible(page)

    await choose_offering(page, "Omgaan met agressie en intimidatie")
    await assert_accessible(page)
    await page.get_by_role("button", name="Aanvraag versturen").click()  # nothing filled in
    await expect(page.get_by_role("alert").first).to_be_visible()
    await expect(page.locator("#field-local_situation")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await fill_booking(page, participants="41", situation="Veel bedreigingen na het windmolenbesluit.")
    await page.get_by_role("button", name="Aanvraag versturen").click()
    await expect(page.get_by_role("status").first).to_contain_text("Uw aanvraag is ontvangen")
    free_url = page.url
    await assert_accessible(page)

    await page.get_by_role("link", name="Boekingen").first.click()
    await choose_offering(page, "Voorzitten onder druk")
    await expect(page.get_by_text("Incl. btw").first).to_be_visible()
    quote_link = page.get_by_role("link", name="Offerte downloaden (pdf)")
    quote = await page.request.get(live_server.url + await quote_link.get_attribute("href"))
    assert quote.ok and quote.headers["content-type"] == "application/pdf"
    quote_text = " ".join(PdfReader(io.BytesIO(await quote.body())).pages[0].extract_text().split())
    assert "Voorzitten onder druk" in quote_text and "Utrecht" in quote_text
    await fill_booking(page, participants="3", situation="De voorzitter wil oefenen met verstoringen.")
    await page.locator("#field-po_number").fill("PO-2027-007")
    await page.locator("#field-invoice_email").fill("facturen@utrecht.example")
    await page.get_by_role("button", name="Aanvraag versturen").click()
    await expect(page.get_by_role("status").first).to_contain_text("Uw aanvraag is ontvangen")
    await expect(page.get_by_text("PO-2027-007")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("link", name="Boekingen").first.click()
    await expect(page.get_by_role("table").first).to_contain_text("Omgaan met agressie en intimidatie")
    await expect(page.get_by_role("table").first).to_contain_text("Voorzitten onder druk")
    await page.get_by_role("button", name="Uitloggen").click()

    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.get_by_role("link", name="Boekingen", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Boekingen")
    await assert_accessible(page)
    await page.goto(free_url.split("?")[0])
    await page.locator("#field-schedule-date").fill(in_days(46))
    await page.locator("#field-schedule-time").fill("19:00")
    await page.get_by_role("button", name="Datum vastleggen").click()
    await expect(page.get_by_role("status").first).to_contain_text("De datum is vastgelegd")
    await assert_accessible(page)
    for path in ("/tour", "/aanbod", "/aanbod/nieuw", "/agenda"):
        await page.goto(live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await assert_accessible(page)
