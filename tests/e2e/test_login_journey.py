"""Whole journeys in Chromium: logging in through the mailed link, as a clerk and as a coordinator."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from server import totp
from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import request_login


async def test_a_clerk_logs_in_through_the_mailed_link(page: Page, live_server: LiveServer) -> None:
    link = await request_login(page, live_server, "griffier.amsterdam@weerbaar.example")
    await page.goto(link)
    await assert_accessible(page)
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page).to_have_url(f"{live_server.url}/organisaties/GM0363/boekingen")
    await expect(page.get_by_role("contentinfo")).to_contain_text("070 - 37 38 314")
    await assert_accessible(page)
    await page.get_by_role("link", name="Mijn organisatie").click()
    await expect(page).to_have_url(f"{live_server.url}/organisaties/GM0363")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Amsterdam")
    await assert_accessible(page)

    await page.get_by_label("Postcode").fill("12345")
    await page.get_by_role("button", name="Opslaan").click()
    await expect(page.get_by_label("Postcode")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)

    await page.get_by_role("button", name="Uitloggen").click()
    await expect(page.get_by_role("status")).to_contain_text("U bent uitgelogd")


async def test_a_coordinator_passes_the_second_factor_and_sees_the_staff_pages(
    page: Page, live_server: LiveServer
) -> None:
    link = await request_login(page, live_server, "coordinator@weerbaar.example")
    await page.goto(link)
    await page.get_by_role("button", name="Inloggen").click()
    await expect(page).to_have_url(f"{live_server.url}/inloggen/tweede-factor")
    await assert_accessible(page)
    await page.get_by_label(re.compile("Code")).fill(totp.code_for(DEMO_TOTP_SECRET))
    await page.get_by_role("button", name="Verder").click()
    await expect(page).to_have_url(f"{live_server.url}/coordinatie")
    await assert_accessible(page)
    for path in (
        "/organisaties",
        "/organisaties/GM0363",
        "/beheer/gebruikers",
        "/beheer/mail",
        "/beheer/taken",
        "/beheer/audit",
    ):
        await page.goto(live_server.url + path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await assert_accessible(page)


async def test_public_pages_are_accessible_and_fit_a_320_pixel_screen(
    page: Page, live_server: LiveServer
) -> None:
    await page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", "/bedreigd", "/toegankelijkheid", "/privacy", "/inloggen", "/bestaat-niet"):
        await page.goto(live_server.url + path)
        await expect(page.get_by_role("contentinfo")).to_contain_text("112")
        await assert_accessible(page)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at 320 px wide"
