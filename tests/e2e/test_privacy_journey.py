"""A coordinator erases a clerk's personal data in Chromium: confirmation, error, result."""

from __future__ import annotations

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in


async def test_a_coordinator_erases_a_clerks_personal_data(page: Page, live_server: LiveServer) -> None:
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(live_server.url + "/beheer/gebruikers")
    await page.get_by_role("link", name="Gegevens wissen van Grietje van Dijk").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Persoonsgegevens wissen")
    await expect(page.get_by_role("link", name="persoonsgegevens downloaden (JSON)")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("button", name="Gegevens definitief wissen").click()
    confirm = page.get_by_label("Ik begrijp dat het wissen van de gegevens van Grietje van Dijk")
    await expect(confirm).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("alert")).to_contain_text("Bevestig dat u de gegevens")
    await assert_accessible(page)

    await confirm.check()
    await page.get_by_role("button", name="Gegevens definitief wissen").click()
    await expect(page.get_by_role("status")).to_contain_text("De persoonsgegevens zijn gewist")
    await expect(page.get_by_role("table", name="Gebruikers")).not_to_contain_text("Grietje van Dijk")
    await expect(page.get_by_role("table", name="Gebruikers")).not_to_contain_text("griffier.utrecht@")
    await assert_accessible(page)


async def test_a_coordinator_erases_the_data_at_an_address_without_an_account(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(live_server.url + "/beheer/gebruikers")
    await page.get_by_role("link", name="persoonsgegevens op e-mailadres").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Persoonsgegevens op e-mailadres")
    await assert_accessible(page)

    await page.get_by_role("textbox", name="E-mailadres").fill("facturen@amsterdam.example")
    await page.get_by_role("button", name="Gegevens definitief wissen").click()
    confirm = page.get_by_label("Ik begrijp dat het wissen van de gegevens bij dit e-mailadres")
    await expect(confirm).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("alert")).to_contain_text("Bevestig dat u de gegevens")
    await assert_accessible(page)

    await confirm.check()
    await page.get_by_role("button", name="Gegevens definitief wissen").click()
    await expect(page.get_by_role("status")).to_contain_text("De gegevens bij dit e-mailadres zijn gewist")
    await assert_accessible(page)
