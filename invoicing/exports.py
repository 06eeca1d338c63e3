"""Downloads for the bookkeeping: every document of a period as a ZIP, and a CSV journal.

- A period is a range of issue dates, both ends included; drafts have no documents and are left out.
- The PDF and UBL files are the bytes stored at issue, named after the number, made safe as a file
  name (a number issued under an older format may hold a `/`). The journal's names and amounts come from the
  frozen content (`Invoice.content`), never from live data; only the CBS code is the organisation's
  own (it is not part of the document and does not change).
- The journal is opened by Dutch Excel with a double click: UTF-8 with a byte order mark,
  semicolon-separated, decimal comma. Credit notes have negative amounts. Text cells that a
  spreadsheet could take for a formula (= + - @ tab CR at the start, also after spaces) get a leading
  single quote; amounts are written as plain numbers.
- The ZIP is the same bytes for the same documents: entries sorted by name with a fixed timestamp.

Errors: ValidationFailed (400) for a missing or impossible period.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from invoicing import documents
from invoicing.document import DocumentKind, VatBreakdown, VatCategory
from invoicing.models import Invoice, InvoiceStatus
from invoicing.numbering import file_name
from server.errors import ValidationFailed
from server.i18n import _, lazy_gettext
from server.spreadsheet import format_cents, to_csv

JOURNAL_NAME = "journaal.csv"
#: The earliest timestamp a ZIP entry can hold; the same for every entry, so the archive is reproducible.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

KIND_LABELS = {
    DocumentKind.INVOICE: lazy_gettext("Factuur"),
    DocumentKind.CREDIT_NOTE: lazy_gettext("Creditnota"),
}
STATUS_LABELS = {
    InvoiceStatus.ISSUED: lazy_gettext("uitgegeven"),
    InvoiceStatus.SENT: lazy_gettext("verstuurd"),
    InvoiceStatus.PAID: lazy_gettext("betaald"),
    InvoiceStatus.CREDITED: lazy_gettext("gecrediteerd"),
}


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def parse_period(first_raw: str, last_raw: str) -> tuple[date, date]:
    """The period from two ISO dates (YYYY-MM-DD). Raises ValidationFailed, one message per field."""
    first, last = _day(first_raw.strip()), _day(last_raw.strip())
    errors: dict[str, str] = {}
    if first is None:
        errors["van"] = _("Vul een begindatum in als JJJJ-MM-DD, bijvoorbeeld 2026-01-01.")
    if last is None:
        errors["tot"] = _("Vul een einddatum in als JJJJ-MM-DD, bijvoorbeeld 2026-03-31.")
    elif first is not None and last < first:
        errors["tot"] = _("De einddatum ligt voor de begindatum.")
    if errors or first is None or last is None:
        raise ValidationFailed(errors)
    return first, last


async def period_documents(first: date, last: date) -> list[Invoice]:
    """The issued invoices and credit notes with an issue date from first to last (inclusive), by
    number, each with its files (rendered now where still missing)."""
    invoices = (
        await Invoice.filter(issue_date__gte=first, issue_date__lte=last)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("organisation")
        .order_by("issue_date", "number")
    )
    await documents.ensure_documents(invoices)
    return invoices


def _breakdown(content: dict[str, Any]) -> list[VatBreakdown]:
    return [
        VatBreakdown(VatCategory(entry["category"]), int(entry["percent"]), int(entry["taxable_cents"]))
        for entry in content.get("breakdown", [])
    ]


def journal_row(invoice: Invoice) -> list[object]:
    """One document as a journal row, from its frozen content (credit notes negative)."""
    content: dict[str, Any] = invoice.content or {}
    sign = -1 if invoice.kind is DocumentKind.CREDIT_NOTE else 1
    breakdown = _breakdown(content)
    net = sum(entry.taxable_cents for entry in breakdown)
    vat = sum(entry.vat_cents for entry in breakdown)
    vat_21 = sum(e.vat_cents for e in breakdown if e.category is VatCategory.STANDARD and e.percent == 21)
    exempt_base = sum(e.taxable_cents for e in breakdown if e.category is VatCategory.EXEMPT)
    return [
        content.get("number", invoice.number or ""),
        KIND_LABELS.get(invoice.kind, str(invoice.kind)),
        content.get("issue_date", ""),
        content.get("due_date", ""),
        (content.get("buyer") or {}).get("name", ""),
        invoice.organisation.cbs_code,
        format_cents(sign * net),
        format_cents(sign * vat_21),
        format_cents(sign * exempt_base),
        format_cents(sign * vat),
        format_cents(sign * (net + vat)),
        STATUS_LABELS.get(invoice.status, str(invoice.status)),
    ]


def journal_header() -> list[str]:
    return [
        _("nummer"),
        _("soort"),
        _("datum"),
        _("vervaldatum"),
        _("organisatie"),
        _("CBS-code"),
        _("excl. btw"),
        _("btw %(percent)s %%") % {"percent": 21},
        _("btw 0 %% (vrijgesteld) grondslag") % {},
        _("btw totaal"),
        _("incl. btw"),
        _("status"),
    ]


def journal_csv(invoices: Iterable[Invoice]) -> bytes:
    """The journal of the given documents (organisation prefetched): one row per document."""
    return to_csv([journal_header(), *(journal_row(invoice) for invoice in invoices)])


def period_files(invoices: Iterable[Invoice]) -> dict[str, bytes]:
    """File name -> stored bytes: `<number>.pdf` and `<number>.xml` per document, and the journal.

    Names are safe on every system (`invoicing.numbering.file_name`), also for numbers issued under an
    older format with a `/`; should two numbers map to one name, the later gets its database id too.
    """
    documents = list(invoices)
    files: dict[str, bytes] = {}
    for invoice in documents:
        number = invoice.number or ""
        if file_name(number, "pdf") in files or file_name(number, "pdf") == JOURNAL_NAME:
            number = f"{number}-{invoice.id}"
        files[file_name(number, "pdf")] = bytes(invoice.pdf or b"")
        files[file_name(number, "xml")] = bytes(invoice.ubl or b"")
    files[JOURNAL_NAME] = journal_csv(documents)
    return files


def zip_bytes(invoices: Iterable[Invoice]) -> bytes:
    """The documents and the journal as one ZIP, byte-identical for the same documents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(period_files(invoices).items()):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, content)
    return buffer.getvalue()


def period_name(first: date, last: date, extension: str) -> str:
    return f"facturen-{first.isoformat()}-{last.isoformat()}.{extension}"


def _write_files(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in sorted(files.items()):
        path = out_dir / name
        path.write_bytes(content)
        written.append(path)
    return written


async def write_period(first: date, last: date, out_dir: Path) -> list[Path]:
    """Write the period's PDF and UBL files and journaal.csv into out_dir (created when missing)."""
    files = period_files(await period_documents(first, last))
    return await asyncio.to_thread(_write_files, files, out_dir)
