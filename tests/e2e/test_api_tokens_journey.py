"""A clerk makes an API token in the browser, sees it once, and reads the API reference: both pages
accessible (axe-core, WCAG 2.1 AA)."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in


async def test_a_clerk_makes_a_token_and_uses_it(page: Page, live_server: LiveServer) -> None:
    await log_in(page, live_server, "griffier.amsterdam@weerbaar.example")
    await page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="API-tokens").click()
    await assert_accessible(page)
    await page.get_by_label("Naam", exact=True).fill("Vergaderplanner griffie")
    await page.get_by_role("button", name="Token maken").click()
    secret = await page.locator("#new-token").inner_text()
    await expect(page.get_by_text("u ziet het maar één keer")).to_be_visible()
    await assert_accessible(page)

    response = httpx.get(f"{live_server.url}/api/v1/bookings", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.headers["api-version"] == "1.0.0"

    await page.goto(live_server.url + "/api/v1/docs")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Weerbaar API")
    await assert_accessible(page)
