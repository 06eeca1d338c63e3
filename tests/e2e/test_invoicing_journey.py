"""Finance in Chromium: issue a draft, download its PDF (read back) and the ZIP of the period, check
the pages with axe."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

from playwright.async_api import Page, expect
from pypdf import PdfReader

from server import clock
from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in


async def test_finance_issues_a_draft_and_downloads_the_pdf(page: Page, live_server: LiveServer) -> None:
    await log_in(page, live_server, "financien@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await expect(page).to_have_url(f"{live_server.url}/financien")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Facturen")
    await assert_accessible(page)

    await page.get_by_role("link", name=re.compile("concept", re.I)).first.click()
    await expect(page.get_by_role("button", name="Uitgeven")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Uitgeven").click()
    await expect(page.get_by_role("status").first).to_contain_text("uitgegeven")
    heading = await page.get_by_role("heading", level=1).text_content()
    number = re.search(r"\d{4}-\d{4}", heading or "")
    assert number, heading
    await assert_accessible(page)

    href = await page.get_by_role("link", name=re.compile("PDF downloaden")).get_attribute("href")
    pdf = await page.request.get(live_server.url + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(await pdf.body())).pages[0].extract_text().split())
    assert number.group(0) in text and "Utrecht" in text

    today = clock.local_today()
    first, last = today - timedelta(days=120), today + timedelta(days=1)
    archive = await page.request.get(f"{live_server.url}/financien/export.zip?van={first}&tot={last}")
    assert archive.ok
    names = zipfile.ZipFile(io.BytesIO(await archive.body())).namelist()
    assert f"{number.group(0)}.pdf" in names and f"{number.group(0)}.xml" in names and "journaal.csv" in names

    await page.goto(f"{live_server.url}/financien/instellingen")
    await expect(page.get_by_label(re.compile("IBAN"))).to_have_value("NL91ABNA0417164300")
    await assert_accessible(page)


async def test_finance_makes_a_free_standing_invoice_and_issues_it(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, "financien@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.get_by_role("link", name="Losse factuur maken").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Losse factuur maken")
    await assert_accessible(page)

    await page.get_by_role("button", name="Concept maken").click()  # nothing filled in
    await expect(page.get_by_role("alert")).to_contain_text("Kies de organisatie")
    await assert_accessible(page)

    await page.get_by_label("Organisatie").select_option("GM0344")
    await page.get_by_label("Omschrijving").fill("Extra dagdeel intervisie")
    await page.get_by_label("Aantal").fill("1")
    await page.get_by_label(re.compile("Prijs per stuk")).fill("450,00")
    await page.get_by_role("button", name="Concept maken").click()
    await expect(page.get_by_role("status").first).to_contain_text("concept is gemaakt")
    await assert_accessible(page)

    lines = page.locator("#regels form").last
    await lines.get_by_label("Omschrijving").fill("Reiskosten, 80 km")
    await lines.get_by_label("Aantal").fill("80")
    await lines.get_by_label(re.compile("Prijs per stuk")).fill("0,23")
    await lines.get_by_role("button", name="Toevoegen").click()
    await expect(page.get_by_role("cell", name="Reiskosten, 80 km")).to_be_visible()

    await page.get_by_role("button", name="Uitgeven").click()
    await expect(page.get_by_role("status").first).to_contain_text("uitgegeven")
    heading = await page.get_by_role("heading", level=1).text_content()
    number = re.search(r"\d{4}-\d{4}", heading or "")
    assert number, heading
    await assert_accessible(page)
    href = await page.get_by_role("link", name=re.compile("PDF downloaden")).get_attribute("href")
    pdf = await page.request.get(live_server.url + href)
    text = " ".join(PdfReader(io.BytesIO(await pdf.body())).pages[0].extract_text().split())
    assert number.group(0) in text and "Extra dagdeel intervisie" in text and "Reiskosten, 80 km" in text


async def test_finance_credits_part_of_an_invoice_and_records_a_partial_payment(
    page: Page, live_server: LiveServer
) -> None:
    await log_in(page, live_server, "financien@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/financien?status=overdue")
    await page.locator("table a[href^='/financien/facturen/']").first.click()
    invoice_url = page.url
    await expect(page.get_by_role("heading", name="Saldo")).to_be_visible()
    await expect(page.get_by_text("Vervallen:")).to_be_visible()
    await assert_accessible(page)

    # nothing chosen is not "everything": the page says what is missing
    await page.get_by_label("Reden van de creditering (verplicht)").fill("Eén deelnemer minder")
    await page.get_by_role("button", name="Gekozen regels controleren").click()
    await expect(page.get_by_role("alert")).to_contain_text("ten minste één regel")

    await page.locator("select[name^='part-']").first.select_option("quantity")
    await page.locator("input[name^='quantity-']").first.fill("1")
    await page.get_by_label("Reden van de creditering (verplicht)").fill("Eén deelnemer minder")
    await page.get_by_role("button", name="Gekozen regels controleren").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Creditnota controleren")
    await expect(page.get_by_text("Eén deelnemer minder")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Creditnota maken").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Creditnota")
    await expect(page.get_by_role("status").first).to_contain_text("creditnota is gemaakt")
    await assert_accessible(page)
    href = await page.get_by_role("link", name=re.compile("PDF downloaden")).get_attribute("href")
    pdf = await page.request.get(live_server.url + href)
    text = " ".join(PdfReader(io.BytesIO(await pdf.body())).pages[0].extract_text().split())
    assert "Reden van de creditering: Eén deelnemer minder" in text

    await page.goto(invoice_url)
    await page.get_by_label("Ontvangen bedrag (euro)").fill("100,00")
    await page.get_by_label("Bankafschriftregel").fill("NL02ABNA0123456789 Gemeente Utrecht deel")
    await page.get_by_role("button", name="Betaling vastleggen").click()
    await expect(page.get_by_role("status").first).to_contain_text("betaling is vastgelegd")
    history = page.get_by_role("heading", name="Geschiedenis")
    await expect(history).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Betaling van €\s100,00 ontvangen"))).to_be_visible()
    await expect(page.get_by_text(re.compile("Gecrediteerd met creditnota"))).to_be_visible()
    await assert_accessible(page)
