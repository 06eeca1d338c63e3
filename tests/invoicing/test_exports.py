"""Period downloads (ZIP, CSV journal, the CLI) and the cost overview of free sessions."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bookings.day_rate_models import DayRate
from bookings.models import BookingStatus, PriceModel, TrainerKind
from bookings.staffing_models import AssignmentRequest, RequestStatus, TrainerProfile
from invoicing import costs, exports
from invoicing.credits import credit_invoice
from invoicing.drafts import create_draft_for_booking
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice
from server import clock
from server.models import Organisation, Role, User
from server.spreadsheet import neutralise
from server.templating import AMSTERDAM
from tests.bookings.factories import make_booking, make_offering
from tests.cli import weerbaar
from tests.clocked import clocked_command
from tests.factories import make_user, sign_in
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training

FORMULA_NAME = '=HYPERLINK("x")'


@dataclass
class Period:
    standard: Invoice
    exempt: Invoice
    credit: Invoice


async def issue_period(finance: User) -> Period:
    """Two invoices (21 % and exempt) and a credit note of the first, all on TODAY."""
    standard_draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    formula_org = await billed_organisation(name=FORMULA_NAME)
    exempt_booking = await delivered_training(
        formula_org, vat_treatment="exempt_education", participants_count=10
    )
    exempt_draft = await create_draft_for_booking(exempt_booking.id, actor=finance)
    standard = await issue_invoice(standard_draft.id, actor=finance, today=TODAY)
    exempt = await issue_invoice(exempt_draft.id, actor=finance, today=TODAY)
    credit = await credit_invoice(
        standard.id, None, reason="Training gaat niet door", actor=finance, today=TODAY
    )
    return Period(standard, exempt, credit)


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def cents(cell: str) -> int:
    whole, _comma, part = cell.partition(",")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(part))


async def test_the_journal_lists_each_document_from_its_frozen_content(finance: User) -> None:
    period = await issue_period(finance)
    await create_draft_for_booking((await delivered_training()).id, actor=finance)  # a draft: left out
    documents = await exports.period_documents(TODAY, TODAY)
    assert [d.number for d in documents] == ["2026-0001", "2026-0002", "2026-0003"]
    assert await exports.period_documents(TODAY + timedelta(days=1), TODAY + timedelta(days=9)) == []

    await Organisation.filter(id=period.standard.organisation_id).update(name="Elders")  # type: ignore[attr-defined]
    header, *rows = rows_of(exports.journal_csv(await exports.period_documents(TODAY, TODAY)))
    assert header == [
        "nummer",
        "soort",
        "datum",
        "vervaldatum",
        "organisatie",
        "CBS-code",
        "excl. btw",
        "btw 21 %",
        "btw 0 % (vrijgesteld) grondslag",
        "btw totaal",
        "incl. btw",
        "status",
    ]
    standard, exempt, credit = rows
    assert standard[:5] == ["2026-0001", "Factuur", "2026-11-24", "2026-12-24", "Gemeente Zeist"]
    assert standard[6:] == ["2220,00", "466,20", "0,00", "466,20", "2686,20", "gecrediteerd"]
    assert exempt[6:] == ["1850,00", "0,00", "1850,00", "0,00", "1850,00", "uitgegeven"]
    assert credit[:2] == ["2026-0003", "Creditnota"]
    assert credit[6:11] == ["-2220,00", "-466,20", "0,00", "-466,20", "-2686,20"]
    totals = [sum(cents(row[column]) for row in rows) for column in range(6, 11)]
    assert totals == [185000, 0, 185000, 0, 185000]
    for row in rows:
        assert cents(row[6]) + cents(row[9]) == cents(row[10])
    assert (
        standard[5]
        == (await Invoice.get(id=period.standard.id).select_related("organisation")).organisation.cbs_code
    )


async def test_formulas_are_neutralised_but_negative_amounts_stay_numbers(finance: User) -> None:
    period = await issue_period(finance)
    invoice = await Invoice.get(id=period.exempt.id).select_related("organisation")
    assert FORMULA_NAME in exports.journal_row(invoice)[4]  # "Gemeente =HYPERLINK(...)": harmless
    invoice.content = {**invoice.content, "buyer": {**invoice.content["buyer"], "name": FORMULA_NAME}}
    invoice.organisation.cbs_code = "@SUM(A1)"
    [_header, row] = rows_of(exports.journal_csv([invoice]))
    assert row[4] == "'" + FORMULA_NAME and row[5] == "'@SUM(A1)"
    for raw in ("+31", "-x", "\tx", "\rx", "  =1+1"):
        assert neutralise(raw) == "'" + raw
    credit = await Invoice.get(id=period.credit.id).select_related("organisation")
    [_header, credit_row] = rows_of(exports.journal_csv([credit]))
    assert credit_row[10] == "-2686,20"


async def test_the_zip_holds_the_stored_documents_and_is_reproducible(finance: User) -> None:
    await issue_period(finance)
    documents = await exports.period_documents(TODAY, TODAY)
    first = exports.zip_bytes(documents)
    assert exports.zip_bytes(await exports.period_documents(TODAY, TODAY)) == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert archive.namelist() == [
        "2026-0001.pdf",
        "2026-0001.xml",
        "2026-0002.pdf",
        "2026-0002.xml",
        "2026-0003.pdf",
        "2026-0003.xml",
        "journaal.csv",
    ]
    for document in documents:
        assert archive.read(f"{document.number}.pdf") == bytes(document.pdf)
        assert archive.read(f"{document.number}.xml") == bytes(document.ubl)
    assert archive.read("journaal.csv") == exports.journal_csv(documents)
    assert {info.date_time for info in archive.infolist()} == {exports.ZIP_TIMESTAMP}


async def test_finance_downloads_the_period_and_others_may_not(
    client: httpx.AsyncClient, finance: User
) -> None:
    await issue_period(finance)
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator)
    assert (await client.get("/financien/export.zip?van=2026-11-01&tot=2026-11-30")).status_code == 403
    assert (await client.get("/financien/journaal.csv?van=2026-11-01&tot=2026-11-30")).status_code == 403
    listing = await client.get("/financien")
    assert "/financien/kosten" in listing.text and "/financien/export.zip" not in listing.text

    client.cookies.clear()
    await sign_in(client, finance)
    listing = await client.get("/financien")
    assert (
        'action="/financien/export.zip"' in listing.text
        and 'formaction="/financien/journaal.csv"' in listing.text
    )
    download = await client.get("/financien/export.zip?van=2026-11-01&tot=2026-11-30")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert 'filename="facturen-2026-11-01-2026-11-30.zip"' in download.headers["content-disposition"]
    assert download.content == exports.zip_bytes(await exports.period_documents(TODAY, TODAY))
    journal = await client.get("/financien/journaal.csv?van=2026-11-01&tot=2026-11-30")
    assert journal.status_code == 200 and journal.headers["content-type"].startswith("text/csv")
    assert len(rows_of(journal.content)) == 4
    for query in ("", "?van=2026-11-01", "?van=2026-11-30&tot=2026-11-01", "?van=gisteren&tot=2026-11-01"):
        refused = await client.get(f"/financien/export.zip{query}")
        assert refused.status_code == 400 and "datum" in refused.text


async def free_session_with_two_trainers() -> None:
    """A free session given on 12 May 2026 by two trainers for 2.5 hours each (day rates € 600, € 480)."""
    starts_at = datetime(2026, 5, 12, 19, 0, tzinfo=AMSTERDAM)
    given = await make_booking(status=BookingStatus.DELIVERED, starts_at=starts_at)
    for day_rate in (60000, 48000):
        trainer = await make_user(Role.TRAINER, name=f"Trainer {day_rate}")
        await TrainerProfile.create(user=trainer, kind=TrainerKind.TRAINER)
        await DayRate.create(trainer=trainer, valid_from=date(1900, 1, 1), day_rate_cents=day_rate)
        await AssignmentRequest.create(
            booking=given,
            trainer=trainer,
            kind=TrainerKind.TRAINER,
            status=RequestStatus.ACCEPTED,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=150),
        )
    # Not counted: a declined request, a cancelled free session, a paid training.
    await AssignmentRequest.create(
        booking=given,
        trainer=await make_user(Role.TRAINER),
        kind=TrainerKind.TRAINER,
        status=RequestStatus.DECLINED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=150),
    )
    await make_booking(status=BookingStatus.CANCELLED, starts_at=starts_at)
    paid = await make_offering(price_model=PriceModel.PER_SESSION, price_cents=100000)
    paid_booking = await make_booking(offering=paid, status=BookingStatus.DELIVERED, starts_at=starts_at)
    await AssignmentRequest.create(
        booking=paid_booking,
        trainer=await User.get(name="Trainer 60000"),
        kind=TrainerKind.TRAINER,
        status=RequestStatus.ACCEPTED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=150),
    )
    # Closed, without trainers registered, in the last quarter (31 December, 23:30 in Amsterdam).
    await make_booking(
        status=BookingStatus.CLOSED, starts_at=datetime(2026, 12, 31, 23, 30, tzinfo=AMSTERDAM)
    )


async def test_the_cost_overview_counts_hours_times_day_rates_per_quarter(client: httpx.AsyncClient) -> None:
    await free_session_with_two_trainers()
    overview = await costs.free_session_costs(2026)
    assert [(q.sessions, q.minutes, q.cost_cents) for q in overview.quarters] == [
        (0, 0, 0),
        (1, 300, 18750 + 15000),
        (0, 0, 0),
        (1, 0, 0),
    ]
    assert (overview.total.sessions, overview.total.hours_text, overview.total.cost_cents) == (2, "5", 33750)
    assert [(t.label, t.sessions, t.hours_text, t.cost_cents) for t in overview.trainers] == [
        ("Trainer 60000", 1, "2,5", 18750),
        ("Trainer 48000", 1, "2,5", 15000),
    ]
    assert (await costs.free_session_costs(2025)).has_sessions is False
    assert costs.assignment_cost_cents(1, 100) == 0 and costs.assignment_cost_cents(3, 80) == 1  # 0.5 up

    await sign_in(client, await make_user(Role.COORDINATOR))
    page = await client.get("/financien/kosten?jaar=2026")
    assert page.status_code == 200
    assert "337,50" in page.text and "Trainer 48000" in page.text and "8 uur" in page.text
    assert page.text.count("<h1") == 1 and "<caption" in page.text
    assert "nog) geen gratis sessies" in (await client.get("/financien/kosten?jaar=2025")).text
    assert (await client.get("/financien/kosten?jaar=abc")).status_code == 200


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")
async def test_the_cli_writes_the_period_files(fresh_url: str, tmp_path: Path) -> None:
    assert weerbaar(fresh_url, "migrate").returncode == 0
    demo = clocked_command(fresh_url, "demo", "--no-links")
    assert demo.returncode == 0, demo.stderr
    today = clock.local_today()
    out = tmp_path / "export"
    result = clocked_command(
        fresh_url,
        "invoices",
        "export",
        "--from",
        (today - timedelta(days=120)).isoformat(),
        "--to",
        (today + timedelta(days=1)).isoformat(),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    names = sorted(path.name for path in out.iterdir())
    # Eight invoices (one paid, one partly paid, one a re-invoice, one free-standing) and two credit
    # notes, PDF and UBL each.
    assert "journaal.csv" in names and len(names) == 21
    assert "21 bestanden geschreven (10 documenten" in result.stdout
    assert all(str(out / name) in result.stdout for name in names)
    journal = rows_of((out / "journaal.csv").read_bytes())
    assert len(journal) == 11 and sum(row[1] == "Creditnota" for row in journal) == 2
    # The free-standing invoice (travel costs and workbooks) is among them.
    ubl_files = [(out / name).read_bytes() for name in names if name.endswith(".xml")]
    assert sum(b"Reiskosten trainers" in content for content in ubl_files) == 1
    for name in names:
        if name.endswith(".pdf"):
            assert (out / name).read_bytes().startswith(b"%PDF")

    bad = weerbaar(
        fresh_url, "invoices", "export", "--from", "2026-13-01", "--to", "2026-01-01", "--out", str(out)
    )
    assert bad.returncode == 2 and "begindatum" in bad.stderr and "Traceback" not in bad.stderr
