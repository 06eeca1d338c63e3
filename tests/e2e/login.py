"""Logging in through the mailed link in the browser, as every journey starts."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, expect

from server import totp
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.smtp import SmtpSink

LINK = re.compile(r"http://127\.0\.0\.1:\d+/inloggen/link/[\w-]+")


async def mailed_link(smtp: SmtpSink, to: str, *, after: int = 0, timeout: float = 60) -> str:
    """Wait for the app's mail sender to deliver a login mail (beyond the first `after` mails to this
    address), and take the link from it."""
    for _ in range(int(timeout * 10)):
        for message in smtp.to(to)[after:]:
            match = LINK.search(SmtpSink.text_of(message))
            if match:
                return match.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no login mail to {to} within {timeout} s")


async def request_login(page: Page, server: LiveServer, email: str, *, check: bool = True) -> str:
    await page.goto(server.url)
    if check:
        await assert_accessible(page)
    await page.get_by_role("link", name="Inloggen").first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    if check:
        await assert_accessible(page)
    await page.get_by_label("E-mailadres").fill(email)
    earlier = len(server.smtp.to(email))
    await page.get_by_role("button", name="Stuur mij een inloglink").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Controleer uw e-mail")
    if check:
        await assert_accessible(page)
    return await mailed_link(server.smtp, email, after=earlier)


async def log_in(page: Page, server: LiveServer, email: str, *, totp_secret: str | None = None) -> None:
    """The whole login: link by mail, the confirmation button, and the second factor for staff."""
    link = await request_login(page, server, email, check=False)
    await page.goto(link)
    await page.get_by_role("button", name="Inloggen").click()
    if totp_secret:
        await expect(page).to_have_url(f"{server.url}/inloggen/tweede-factor")
        await page.get_by_label(re.compile("Code")).fill(totp.code_for(totp_secret))
        await page.get_by_role("button", name="Verder").click()
    await expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
