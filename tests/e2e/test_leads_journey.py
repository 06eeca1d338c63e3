"""A participant asks to be contacted; the coordinator finds the lead under "Actie nodig", follows it
to the leads page and records the call: status, owner and next date. axe-core checks every state."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.e2e.test_feedback_journey import prepare_feedback


async def test_a_contact_request_becomes_a_lead_the_coordinator_follows_up(
    page: Page, live_server: LiveServer
) -> None:
    code = prepare_feedback(live_server)
    await page.goto(f"{live_server.url}/f/{code}")
    await (
        page.get_by_role("group", name=re.compile("Hoe nuttig"))
        .get_by_role("radio", name="4", exact=True)
        .check()
    )
    await (
        page.get_by_role("group", name=re.compile("Welk cijfer"))
        .get_by_role("radio", name="8", exact=True)
        .check()
    )
    await page.get_by_role("group", name=re.compile("aanraden")).get_by_label("Ja").check()
    await page.get_by_role("textbox", name=re.compile("Wat gaat u anders doen")).fill("Melden.")
    await page.get_by_label("Ik wil graag dat het team contact met mij opneemt").check()
    await page.get_by_label("Uw e-mailadres").fill("raadslid@example.org")
    await page.get_by_role("button", name="Versturen").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dank u wel")

    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/coordinatie")
    actions = page.get_by_role("region", name=re.compile("Leads om op te pakken"))
    await actions.get_by_role("link").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Leads")
    await expect(page.get_by_text("Deelnemer wil contact").first).to_be_visible()
    await assert_accessible(page)

    lead = page.get_by_role("form").first
    await lead.get_by_label("Status").select_option(label="Benaderd")
    await lead.get_by_label("Volgende stap op").fill("2027-01-15")
    await lead.get_by_label("Wie pakt het op").select_option(index=1)
    await lead.get_by_role("button", name=re.compile("Opslaan")).click()
    await expect(page.get_by_role("status")).to_contain_text("De lead is bijgewerkt.")
    await expect(page.get_by_role("form").first.get_by_label("Status")).to_have_value("contacted")
    await assert_accessible(page)
