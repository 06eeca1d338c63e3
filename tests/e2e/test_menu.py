"""The main menu: below 600 px a closed "Menu" (a <details>, no JavaScript) so a page starts with its
content; wider, the links themselves."""

from __future__ import annotations

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in


async def test_the_menu_folds_away_on_a_small_screen(page: Page, live_server: LiveServer) -> None:
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    toggle = menu.get_by_text("Menu", exact=True)
    first_link = menu.get_by_role("link").first

    await page.set_viewport_size({"width": 320, "height": 640})
    await page.goto(live_server.url + "/boekingen")
    await expect(toggle).to_be_visible()
    await expect(first_link).to_be_hidden()
    heading_top = await page.get_by_role("heading", level=1).evaluate("h => h.getBoundingClientRect().top")
    assert heading_top < 300, f"the page's heading starts {heading_top} px down at 320 px wide"
    await assert_accessible(page)
    await toggle.click()
    await expect(first_link).to_be_visible()
    await assert_accessible(page)

    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.goto(live_server.url + "/boekingen")
    await expect(toggle).to_be_hidden()
    await expect(first_link).to_be_visible()
    await assert_accessible(page)
