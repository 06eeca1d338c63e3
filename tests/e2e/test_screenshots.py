"""Screenshots for the user guides in docs/gebruikers/, made from the demo data by a real browser, so
they show the pages as they are now.

`make screenshots` sets WEERBAAR_SCREENSHOTS=docs/img and the PNGs land there, one per key page of each
role, 1280 x 800 (the participant's form on a phone, 375 wide). Without the variable the test writes
them to a temporary folder, so every run proves the guides' pictures can still be made.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import HANG_GUARD_MS, LiveServer
from tests.e2e.login import log_in
from tests.e2e.test_feedback_journey import PHONE, prepare_feedback
from tests.e2e.test_staffing_journey import next_weekday

FOLDER = os.environ.get("WEERBAAR_SCREENSHOTS", "")
PICTURES = {
    "griffier-boekingen",
    "griffier-aanbod",
    "griffier-boekingsformulier",
    "coordinator-overzicht",
    "coordinator-boekingen",
    "coordinator-boeking",
    "coordinator-trainers-regelen",
    "trainer-verzoeken",
    "trainer-beschikbaarheid",
    "financien-facturen",
    "deelnemer-code",
    "deelnemer-formulier",
}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    chosen = Path(FOLDER) if FOLDER else tmp_path
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


async def save(page: Page, name: str, folder: Path) -> None:
    """The visible part of the page as `<name>.png`, once its heading is there."""
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await page.screenshot(path=folder / f"{name}.png", animations="disabled")


async def new_page(browser: Browser, viewport: dict[str, int] = DESKTOP) -> Page:
    context = await browser.new_context(locale="nl-NL", viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(HANG_GUARD_MS)
    return await context.new_page()


async def test_screenshots_of_each_role(browser: Browser, live_server: LiveServer, folder: Path) -> None:
    url = live_server.url

    clerk = await new_page(browser)
    await log_in(clerk, live_server, "griffier.utrecht@weerbaar.example")
    await save(clerk, "griffier-boekingen", folder)
    await clerk.goto(f"{url}/organisaties/GM0344/boeken")
    await save(clerk, "griffier-aanbod", folder)
    await clerk.get_by_role("link", name="Boeken").first.click()
    await save(clerk, "griffier-boekingsformulier", folder)
    await clerk.context.close()

    coordinator = await new_page(browser)
    await log_in(coordinator, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await coordinator.goto(f"{url}/coordinatie")
    await save(coordinator, "coordinator-overzicht", folder)
    await coordinator.goto(f"{url}/boekingen")
    await save(coordinator, "coordinator-boekingen", folder)
    await coordinator.goto(f"{url}/boekingen/WB-DEMO02")
    await coordinator.locator("#field-schedule-date").fill(next_weekday(33).isoformat())
    await coordinator.locator("#field-schedule-time").fill("19:30")
    await coordinator.get_by_role("button", name="Datum vastleggen").click()
    await expect(coordinator.get_by_role("status").first).to_contain_text("De datum is vastgelegd. Gevraagd:")
    await save(coordinator, "coordinator-boeking", folder)
    await coordinator.goto(f"{url}/boekingen/WB-DEMO02/trainers")
    await save(coordinator, "coordinator-trainers-regelen", folder)
    await coordinator.context.close()

    trainer = await new_page(browser)
    await log_in(trainer, live_server, "trainer@weerbaar.example")
    await trainer.goto(f"{url}/trainer")
    await save(trainer, "trainer-verzoeken", folder)
    await trainer.goto(f"{url}/trainer/beschikbaarheid")
    await save(trainer, "trainer-beschikbaarheid", folder)
    await trainer.context.close()

    finance = await new_page(browser)
    await log_in(finance, live_server, "financien@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await finance.goto(f"{url}/financien")
    await save(finance, "financien-facturen", folder)
    await finance.context.close()

    code = prepare_feedback(live_server)
    participant = await new_page(browser, PHONE)
    await participant.goto(f"{url}/f")
    await save(participant, "deelnemer-code", folder)
    await participant.goto(f"{url}/f/{code}")
    await save(participant, "deelnemer-formulier", folder)
    await participant.context.close()

    made = {path.stem for path in folder.glob("*.png") if path.stat().st_size > 0}
    assert not PICTURES - made, f"not made: {sorted(PICTURES - made)}"
