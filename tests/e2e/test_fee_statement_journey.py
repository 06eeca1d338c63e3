"""Fee statements in Chromium: the trainer sees their approved statement, the coordinator sees a
profile's rate history and opens a statement for a trainer, finance sees the list; axe on every page."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in


async def test_fee_statements_for_trainer_coordinator_and_finance(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, "trainer@weerbaar.example")
    await page.goto(f"{live_server.url}/declaraties")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mijn declaraties")
    await assert_accessible(page)
    await page.locator("table a").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("goedgekeurd")
    await expect(page.get_by_text("Trein Utrecht - Amsterdam v.v.")).to_be_visible()
    await assert_accessible(page)
    href = await page.get_by_role("link", name="Pdf downloaden").get_attribute("href")
    pdf = await page.request.get(live_server.url + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

    await page.context.clear_cookies()
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/trainers")
    await page.get_by_role("link", name="Tamara Trainer").first.click()
    await expect(page.get_by_label("Dagtarief geldt vanaf")).to_be_visible()
    await expect(page.get_by_role("heading", name="Dagtarieven")).to_be_visible()
    await assert_accessible(page)
    await page.goto(page.url.split("?")[0] + "/dagtarief")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dagtarieven van Tamara Trainer")
    await assert_accessible(page)
    await page.goto(f"{live_server.url}/declaraties")
    await assert_accessible(page)
    await page.get_by_label("Trainer").select_option(label="Mohamed Moderator")
    await page.get_by_role("button", name="Openen").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Mohamed Moderator")
    await assert_accessible(page)

    await page.context.clear_cookies()
    await log_in(page, live_server, "financien@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/declaraties")
    await expect(page.get_by_role("cell", name=re.compile("€"))).to_be_visible()
    await assert_accessible(page)
