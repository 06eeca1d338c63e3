"""English in the browser: every role switches with the button in the header and reads each page of
its menu in English (axe 0 on each); the choice stays on the account; a participant whose browser
asks for English gets the feedback form in English without an account."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.e2e.test_feedback_journey import prepare_feedback

ROLES = [
    ("coordinator@weerbaar.example", DEMO_TOTP_SECRET),
    ("griffier.amsterdam@weerbaar.example", None),
    ("trainer@weerbaar.example", None),
    ("financien@weerbaar.example", DEMO_TOTP_SECRET),
]


async def menu_links(page: Page, name: str) -> list[str]:
    """The menu's links, once the stylesheet shows them: until it applies, the list stays folded in
    its closed <details> and the links are hidden (after a form's redirect, the page's text and
    buttons can be there before its stylesheet)."""
    menu = page.get_by_role("navigation", name=name)
    await expect(menu.get_by_role("link").first).to_be_visible()
    return [str(await link.get_attribute("href")) for link in await menu.get_by_role("link").all()]


@pytest.mark.parametrize(("email", "totp_secret"), ROLES)
async def test_each_role_reads_its_menu_pages_in_english(
    page: Page, live_server: LiveServer, email: str, totp_secret: str | None
) -> None:
    await log_in(page, live_server, email, totp_secret=totp_secret)
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    links = await menu_links(page, "Main menu")
    assert links, "no menu"
    for href in links:
        response = await page.goto(live_server.url + href)
        assert response is not None and response.ok, href
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
        await assert_accessible(page)

    # The choice is the account's: without the switch's cookie, on a Dutch browser, still English.
    await page.context.clear_cookies(name="weerbaar_lang")
    await page.goto(live_server.url + links[0])
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    here = page.url
    await page.get_by_role("button", name="Nederlands").click()
    await expect(page.locator("html")).to_have_attribute("lang", "nl")
    await expect(page).to_have_url(here)
    await expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


async def test_a_participant_whose_browser_asks_for_english_gets_the_form_in_english(
    browser: Browser, live_server: LiveServer
) -> None:
    code = prepare_feedback(live_server)
    context = await browser.new_context(locale="en-GB")
    try:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/f")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await page.get_by_label("Your code").fill(code)
        await page.get_by_role("button", name="Go to the form").click()
        await expect(page).to_have_url(f"{live_server.url}/f/{code}")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await assert_accessible(page)
        await page.get_by_role("button", name="Nederlands").click()
        await expect(page.locator("html")).to_have_attribute("lang", "nl")
        await expect(page).to_have_url(f"{live_server.url}/f/{code}")
        await assert_accessible(page)
    finally:
        await context.close()
