"""Staffing in Chromium: a coordinator fixes the date (which asks the trainers at once), the trainers
accept through the links in their mail, the clerk sees the booking confirmed, and the trainer who
blocks the session's day is warned first."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

from playwright.async_api import Page, expect

from bookings.public_holidays import holiday_name
from server import clock
from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.smtp import SmtpSink

REQUEST_LINK = re.compile(r"http://127\.0\.0\.1:\d+/verzoeken/[\w-]+")


def next_weekday(days_ahead: int) -> date:
    day = clock.local_today() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or holiday_name(day):
        day += timedelta(days=1)
    return day


async def request_link_for(smtp: SmtpSink, to: str) -> str:
    for _ in range(600):  # up to a minute: the sender may be slow on a loaded machine
        for message in reversed(list(smtp.to(to))):  # the newest: the demo mailed other requests before
            match = REQUEST_LINK.search(SmtpSink.text_of(message))
            if match:
                return match.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no request mail to {to}")


async def test_scheduling_asks_trainers_who_accept_by_mail_and_the_clerk_sees_it_confirmed(
    page: Page, live_server: LiveServer
) -> None:
    session_day = next_weekday(33)
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/boekingen/WB-DEMO02")
    await page.locator("#field-schedule-date").fill(session_day.isoformat())
    await page.locator("#field-schedule-time").fill("19:30")
    await page.get_by_role("button", name="Datum vastleggen").click()
    await expect(page.get_by_role("status").first).to_contain_text("De datum is vastgelegd. Gevraagd:")
    await expect(page.get_by_role("status").first).to_contain_text("Mohamed Moderator")

    await page.goto(f"{live_server.url}/boekingen/WB-DEMO02/trainers")
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

    # Blocking the session's day: a warning page names the session; blocking anyway needs a click.
    await page.goto(f"{live_server.url}/trainer/beschikbaarheid")
    await page.locator("#field-first_day").fill(session_day.isoformat())
    await page.locator("#field-last_day").fill(session_day.isoformat())
    await page.get_by_role("button", name="Dagen blokkeren").click()
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text("Let op: geplande sessies in deze periode")
    await expect(page.get_by_role("main")).to_contain_text("WB-DEMO02")
    await assert_accessible(page)
    await page.get_by_role("button", name="Toch blokkeren").click()
    await expect(page.get_by_role("main")).to_contain_text("De geblokkeerde periode is toegevoegd.")
