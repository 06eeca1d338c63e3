"""Staffing in Chromium: a coordinator fixes the date and auto-assigns, the trainers accept through
the links in their mail, and the clerk sees the booking confirmed."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

from playwright.async_api import Page, expect

from server import clock
from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.smtp import SmtpSink

REQUEST_LINK = re.compile(r"http://127\.0\.0\.1:\d+/verzoeken/[\w-]+")


def next_weekday(days_ahead: int) -> date:
    day = clock.local_today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def request_link_for(smtp: SmtpSink, to: str) -> str:
    for _ in range(600):  # up to a minute: the sender may be slow on a loaded machine
        for message in smtp.to(to):
            match = REQUEST_LINK.search(SmtpSink.text_of(message))
            if match:
                return match.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no request mail to {to}")


async def test_auto_assign_accept_by_mail_and_the_clerk_sees_it_confirmed(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/boekingen/WB-DEMO02")
    await page.locator("#field-schedule-date").fill(next_weekday(33).isoformat())
    await page.locator("#field-schedule-time").fill("19:30")
    await page.get_by_role("button", name="Datum vastleggen").click()
    await expect(page.get_by_role("status").first).to_contain_text("De datum is vastgelegd")

    await page.goto(f"{live_server.url}/boekingen/WB-DEMO02/trainers")
    await assert_accessible(page)
    await page.get_by_role("button", name="Automatisch toewijzen").click()
    await expect(page.get_by_role("status").first).to_contain_text("beste kandidaat gevraagd")
    await assert_accessible(page)
    await page.get_by_role("button", name="Uitloggen").click()

    for trainer in ("moderator@weerbaar.example", "trainer@weerbaar.example"):
        link = await request_link_for(live_server.smtp, trainer)
        await page.goto(f"{link}?antwoord=ja")
        await assert_accessible(page)
        await page.get_by_role("button", name="Ja, ik accepteer").click()
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await assert_accessible(page)
        await page.goto(link)  # the link works once
        await expect(page.get_by_role("button", name="Ja, ik accepteer")).to_have_count(0)

    await log_in(page, live_server, "griffier.amsterdam@weerbaar.example")
    await page.goto(f"{live_server.url}/boekingen/WB-DEMO02")
    await expect(page.get_by_role("main")).to_contain_text("bevestigd")
    await expect(page.get_by_role("main")).to_contain_text("Mohamed Moderator")
    await assert_accessible(page)
    await page.get_by_role("button", name="Uitloggen").click()

    await log_in(page, live_server, "trainer@weerbaar.example")
    await expect(page).to_have_url(f"{live_server.url}/trainer")
    await expect(page.get_by_role("main")).to_contain_text("Omgaan met agressie en intimidatie")
    await assert_accessible(page)
    await page.goto(f"{live_server.url}/trainer/sessies/WB-DEMO02")
    await expect(page.get_by_role("main")).to_contain_text("Amstel 1")
    await assert_accessible(page)
