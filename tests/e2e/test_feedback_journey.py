"""A participant gives feedback on a phone in Chromium: enters the code, leaves a required question
open and sees the error, answers, and gets the thanks page. axe-core checks every state; nothing
scrolls sideways on a 375 px wide screen."""

from __future__ import annotations

import re
import subprocess
import sys

from playwright.async_api import Page, expect

from server.demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import LiveServer, assert_accessible
from tests.e2e.login import log_in

PHONE = {"width": 375, "height": 740}

#: Gives the demo intake WB-DEMO01 (delivered in the past) a form open now and one participant code.
PREPARE = """
import asyncio, os
from datetime import timedelta
from tortoise import Tortoise
from bookings.models import Booking
from feedback.models import FeedbackForm, OfferingForm, ParticipantCode, Question, QuestionKind
from feedback.models import SessionFeedback
from server import clock
from server.db import init_orm
from server.settings import load_settings

async def main():
    clock.start_from_setting(load_settings().clock_start)  # the test's clock, as `weerbaar` does
    await init_orm(os.environ["WEERBAAR_DATABASE_URL"])
    booking = await Booking.get(reference="WB-DEMO01")
    form = await FeedbackForm.create(name="Intake (test)")
    rows = [
        (QuestionKind.SCALE, "Hoe nuttig vond u het gesprek?", True, ["helemaal niet nuttig", "heel nuttig"]),
        (QuestionKind.GRADE, "Welk cijfer geeft u het gesprek?", True, []),
        (QuestionKind.SINGLE, "Zou u het gesprek aanraden?", True, ["Ja", "Nee"]),
        (QuestionKind.MULTIPLE, "Wat was het nuttigst?", False, ["Het advies", "De contacten", "De tips"]),
        (QuestionKind.TEXT, "Wat gaat u anders doen?", True, []),
    ]
    for position, (kind, text, required, options) in enumerate(rows, start=1):
        await Question.create(form=form, position=position, kind=kind, text=text,
                              is_required=required, options=options)
    await OfferingForm.update_or_create(offering_id=booking.offering_id, defaults={"form": form})
    now = clock.now()
    session = await SessionFeedback.create(booking=booking, form=form, code="K7MX3P",
                                           opens_at=now - timedelta(hours=1),
                                           closes_at=now + timedelta(days=14))
    code = await ParticipantCode.create(session=session, code="K7MX3PACDEFGHJKL")
    print(code.code)
    await Tortoise.close_connections()

asyncio.run(main())
"""


def prepare_feedback(live_server: LiveServer) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PREPARE],
        env=live_server.process_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


async def assert_no_sideways_scrolling(page: Page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


async def test_a_participant_gives_feedback_on_a_phone(page: Page, live_server: LiveServer) -> None:
    code = prepare_feedback(live_server)
    await page.set_viewport_size(PHONE)

    await page.goto(f"{live_server.url}/f")
    await assert_accessible(page)
    await page.get_by_label("Uw code").fill("k7mx-3pac-defg-hjkl")  # as on a slip, in lower case
    await page.get_by_role("button", name="Naar het formulier").click()
    await expect(page).to_have_url(f"{live_server.url}/f/{code}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Uw mening over")
    await expect(page.get_by_text("anoniem", exact=False).first).to_be_visible()
    await assert_accessible(page)
    await assert_no_sideways_scrolling(page)

    useful = page.get_by_role("group", name=re.compile("Hoe nuttig vond u het gesprek"))
    await expect(useful.get_by_role("radio", name="1 (helemaal niet nuttig)")).to_be_visible()
    await expect(useful.get_by_role("radio", name="5 (heel nuttig)")).to_be_visible()
    await useful.get_by_role("radio", name="4", exact=True).check()
    await (
        page.get_by_role("group", name=re.compile("Welk cijfer"))
        .get_by_role("radio", name="8", exact=True)
        .check()
    )
    await page.get_by_role("group", name=re.compile("aanraden")).get_by_label("Ja").check()
    await page.get_by_label("De tips").check()
    await page.get_by_label("Het advies").check()
    await page.get_by_role("button", name="Versturen").click()  # the open question left empty

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("Beantwoord deze vraag.")
    open_question = page.get_by_role("textbox", name=re.compile("Wat gaat u anders doen"))
    await expect(open_question).to_have_attribute("aria-invalid", "true")
    await expect(open_question).to_have_accessible_description(re.compile("Beantwoord deze vraag."))
    await expect(useful.get_by_role("radio", name="4", exact=True)).to_be_checked()
    await expect(page.get_by_label("De tips")).to_be_checked()
    await assert_accessible(page)
    await assert_no_sideways_scrolling(page)
    await summary.get_by_role("link").first.click()
    await expect(open_question).to_be_focused()

    await open_question.fill("Aangifte doen van elke bedreiging.")
    await page.get_by_role("button", name="Versturen").click()
    await expect(page).to_have_url(f"{live_server.url}/f/{code}/bedankt")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Dank u wel voor uw mening")
    await expect(page.get_by_role("main")).to_contain_text("070 - 37 38 314")
    await assert_accessible(page)
    await assert_no_sideways_scrolling(page)

    await page.get_by_role("link", name="Mijn antwoorden wijzigen").click()
    await expect(page.get_by_role("button", name="Wijzigingen opslaan")).to_be_visible()
    await expect(open_question).to_have_value("Aangifte doen van elke bedreiging.")
    await assert_accessible(page)


async def test_a_coordinator_issues_codes_and_switches_on_the_open_link(
    page: Page, live_server: LiveServer
) -> None:
    prepare_feedback(live_server)
    await log_in(page, live_server, "coordinator@weerbaar.example", totp_secret=DEMO_TOTP_SECRET)
    await page.goto(f"{live_server.url}/feedback/sessies/WB-DEMO01")
    await expect(page.get_by_text("Uitgegeven: 1, gebruikt: 0")).to_be_visible()
    await expect(page.get_by_text("te zien als het formulier gesloten is")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("Aantal extra codes").fill("5")
    await page.get_by_role("button", name="Codes erbij maken").click()
    await expect(page.get_by_text("Uitgegeven: 6, gebruikt: 0")).to_be_visible()
    await page.get_by_role("button", name="Open link aanzetten").click()
    await expect(page.get_by_text("De open link staat aan")).to_be_visible()
    await assert_accessible(page)
