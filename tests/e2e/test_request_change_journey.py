"""Changing a request in Chromium: the Amsterdam clerk opens the demo's requested session, sees the
first possible date before typing, makes two mistakes at once (both named in one summary that takes
the focus), corrects them and finds the change on the timeline. axe-core checks every page."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.e2e.test_booking_journey import in_days

CLERK = "griffier.amsterdam@weerbaar.example"
REQUESTED = "WB-DEMO02"


async def test_a_clerk_changes_a_requested_booking(page: Page, live_server: LiveServer) -> None:
    await log_in(page, live_server, CLERK)
    await page.goto(f"{live_server.url}/boekingen/{REQUESTED}")
    await assert_accessible(page)

    await page.get_by_role("link", name=f"Aanvraag wijzigen van boeking {REQUESTED}").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Aanvraag wijzigen")
    await expect(page.locator("#field-local_situation")).to_have_value(
        "Na de intake: de hele raad wil oefenen met reageren op intimidatie."
    )
    await expect(page.get_by_text("De eerste mogelijke datum is").first).to_be_visible()
    await assert_accessible(page)

    await page.locator("#field-contact_phone").fill("abc")
    await page.locator("#field-date_1").fill(in_days(2))
    await page.get_by_role("button", name="Wijzigingen opslaan").click()
    summary = page.locator(".error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()
    await expect(summary.get_by_role("link")).to_have_count(2)
    await expect(page.locator("#field-contact_phone")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#field-date_1")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)

    await summary.get_by_role("link").filter(has_text="telefoonnummer").click()
    await page.locator("#field-contact_phone").fill("020 624 1111")
    await page.locator("#field-date_1").fill(in_days(50))
    await page.locator("#field-time_1").fill("19:30")
    await page.get_by_role("button", name="Wijzigingen opslaan").click()

    await expect(page.get_by_role("status").first).to_contain_text("De aanvraag is gewijzigd")
    await expect(page.get_by_text("+31 20 624 1111")).to_be_visible()
    await expect(page.locator(".timeline")).to_contain_text("aanvraag gewijzigd")
    await assert_accessible(page)
