"""A clerk connects the griffie's meeting planner: a refused address, the webhook made with its secret
shown once, its page with the delivery log; a coordinator sees it among all webhooks. axe-core checks
every state."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.smtp import free_port

CLERK = "griffier.utrecht@weerbaar.example"


async def test_a_clerk_connects_a_system_and_a_coordinator_sees_it(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, CLERK)
    await page.goto(f"{live_server.url}/organisatie/webhooks")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    await assert_accessible(page)

    await page.get_by_label("Adres (URL)").fill("ftp://planner")
    await page.get_by_role("button", name="Webhook aanmaken").click()
    await expect(page.get_by_role("alert")).to_contain_text("https://")
    await assert_accessible(page)

    await page.get_by_label("Adres (URL)").fill(f"http://127.0.0.1:{free_port()}/weerbaar")
    await page.get_by_label("Omschrijving (niet verplicht)").fill("Vergaderplanner")
    await page.get_by_label(re.compile("Boeking bevestigd")).check()
    await page.get_by_label(re.compile("Boeking geannuleerd")).check()
    await page.get_by_role("button", name="Webhook aanmaken").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Vergaderplanner")
    await expect(page.get_by_text("whsec_")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("button", name="Uitzetten").click()
    await expect(page.get_by_role("status")).to_contain_text("staat uit")
    await expect(page.get_by_text("whsec_")).to_have_count(0)
    await assert_accessible(page)

    await page.context.clear_cookies()
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/beheer/webhooks")
    await expect(page.get_by_role("link", name="Vergaderplanner")).to_be_visible()
    await assert_accessible(page)
