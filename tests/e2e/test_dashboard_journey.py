"""A coordinator reads the tour dashboard over the full CBS list, sets the target and drills into a
province, in Chromium with an accessibility check at every step."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.paths import SHARED_DATA


async def test_a_coordinator_follows_the_tour_on_the_dashboard(page: Page, live_server: LiveServer) -> None:
    live_server.weerbaar("orgs", "import", str(SHARED_DATA / "provincies.csv"))
    live_server.weerbaar("orgs", "import", str(SHARED_DATA / "gemeenten.csv"))
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/coordinatie")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht tour")
    await expect(page.get_by_role("img", name="Dekking per provincie")).to_be_visible()
    await expect(page.get_by_role("heading", name="Actie nodig")).to_be_visible()
    await expect(page.get_by_role("row", name="Noord-Brabant")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_label("Welke stap moeten de organisaties bereiken?").select_option("session_held")
    await page.get_by_label("Welk deel van alle organisaties (procent)?").fill("honderd")
    await page.get_by_role("button", name="Doel opslaan").click()
    await expect(page.get_by_role("alert")).to_contain_text("Vul een percentage in van 1 tot en met 100.")
    await expect(page.get_by_label("Welk deel van alle organisaties (procent)?")).to_have_attribute(
        "aria-invalid", "true"
    )
    await assert_accessible(page)

    await page.get_by_label("Welk deel van alle organisaties (procent)?").fill("100")
    await page.get_by_label("Gerekend vanaf").fill("2026-01-01")
    await page.get_by_label("Uiterlijk op").fill("2027-12-31")
    await page.get_by_role("button", name="Doel opslaan").click()
    await expect(page.get_by_role("status")).to_contain_text("Het doel is opgeslagen.")
    await expect(page.get_by_text("Doel: 100 % van de organisaties")).to_be_visible()
    await assert_accessible(page)

    await page.get_by_role("link", name="Noord-Holland", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Noord-Holland")
    await expect(page.get_by_role("link", name="Amsterdam", exact=True)).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Verste stap (sorteer oplopend)").click()
    await expect(page.get_by_role("columnheader", name=re.compile("^Verste stap"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    await assert_accessible(page)
    await page.get_by_role("link", name="Amsterdam", exact=True).click()
    await expect(page).to_have_url(f"{live_server.url}/organisaties/GM0363")
    # Weesp merged into Amsterdam (demo): its page keeps its history before the app.
    await expect(page.get_by_role("heading", name="Geschiedenis")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Weesp", exact=True).click()
    await expect(page.get_by_text("opgegaan in")).to_be_visible()
    await expect(page.get_by_role("heading", name="Voor de app")).to_be_visible()
    await assert_accessible(page)
