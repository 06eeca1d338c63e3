"""The tour's first morning in Chromium: a coordinator uploads contacts, invites a province, and a
griffier without an account follows the mail's link, becomes clerk and books the intake. axe-core
checks every page on the way."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in
from tests.e2e.test_booking_journey import fill_booking
from tests.smtp import SmtpSink

TOUR_LINK = re.compile(r"http://127\.0\.0\.1:\d+/tour/link/[\w-]+")
NEW_GRIFFIER = "nieuwe.griffier@zeist.example"


async def tour_link(smtp: SmtpSink, to: str, timeout: float = 60) -> str:
    for _ in range(int(timeout * 10)):
        for message in smtp.to(to):
            match = TOUR_LINK.search(SmtpSink.text_of(message))
            if match:
                return match.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no tour mail to {to} within {timeout} s")


async def test_a_griffier_without_an_account_joins_through_the_tour_mail(
    page: Page, browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)

    await page.goto(f"{live_server.url}/contactpersonen/importeren")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Contactpersonen importeren")
    await assert_accessible(page)
    csv = tmp_path / "utrecht.csv"
    csv.write_text(
        "cbs_code,function,name,email,phone\n"
        f"GM0355,griffier,Nina Nieuw,{NEW_GRIFFIER},030 111 2233\n"
        "GM0344,griffier,Grietje van Dijk,griffier.utrecht@weerbaar.example,030 286 0000\n"
        "GM9999,griffier,Niemand,niemand@nergens.example,\n"
    )
    await page.get_by_label("CSV-bestand").set_input_files(csv)
    await page.get_by_role("button", name="Importeren").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "1 nieuw, 0 bijgewerkt, 1 ongewijzigd, 1 geweigerd"
    )
    await expect(page.get_by_role("cell", name="onbekende CBS-code")).to_be_visible()
    await assert_accessible(page)

    await page.goto(f"{live_server.url}/organisaties/GM0355")
    await expect(page.get_by_role("heading", name="Contactpersonen", exact=True)).to_be_visible()
    await expect(page.get_by_role("cell", name="Nina Nieuw", exact=True)).to_be_visible()
    await assert_accessible(page)

    await page.goto(f"{live_server.url}/tour?provincie=PV26")
    await assert_accessible(page)
    await page.get_by_role("button", name="Alle organisaties in deze provincie uitnodigen").click()
    await expect(page.get_by_role("status")).to_contain_text("Uitnodigingen verstuurd")
    await expect(page.get_by_role("status")).to_contain_text(NEW_GRIFFIER)
    await assert_accessible(page)

    link = await tour_link(live_server.smtp, NEW_GRIFFIER)
    griffier = await (await browser.new_context(locale="nl-NL")).new_page()
    try:
        await griffier.goto(link)
        await expect(griffier.get_by_role("heading", level=1)).to_have_text("Uitnodiging voor de tour")
        await assert_accessible(griffier)
        await griffier.get_by_role("button", name="Verder naar de intake").click()
        await expect(griffier.get_by_role("heading", level=1)).to_contain_text("boeken voor Zeist")
        await expect(griffier.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
        await assert_accessible(griffier)
        await fill_booking(
            griffier, participants="3", situation="Bedreigingen na het besluit over de opvang."
        )
        await griffier.locator("#field-location_address").fill("Raadhuis, Het Rond 1, Zeist")
        await griffier.locator("#field-contact_name").fill("Nina Nieuw")
        await griffier.get_by_role("button", name="Aanvraag versturen").click()
        await expect(griffier.get_by_role("status").first).to_contain_text("Uw aanvraag is ontvangen")
        await assert_accessible(griffier)

        await griffier.goto(link)
        await expect(griffier.get_by_role("heading", name="Deze link werkt niet")).to_be_visible()
        await assert_accessible(griffier)
    finally:
        await griffier.context.close()
