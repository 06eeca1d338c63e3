"""The files of a fee statement: its PDF (stored once approved), its CSV, and a month's payment CSV.

CSVs follow the journal's conventions (`server.spreadsheet`): UTF-8 with BOM, semicolons, decimal
comma, formula-like text neutralised.
"""

from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal

from invoicing import fee_statements
from invoicing.fee_statement_models import FeeStatement, FeeStatementLine
from server.i18n import _
from server.pdf import render_pdf
from server.spreadsheet import format_cents, to_csv
from server.templating import LOCALE, render_document


def hours_text(minutes: int) -> str:
    return format_decimal(minutes / 60, format="#,##0.##", locale=LOCALE)


def file_name(view: fee_statements.StatementView, extension: str) -> str:
    return f"declaratie-{view.statement.month:%Y-%m}-{view.trainer.id}.{extension}"


async def render_statement_pdf(view: fee_statements.StatementView) -> bytes:
    html = render_document(
        "invoicing/fee_statements/statement_pdf.html", {"view": view, "hours_text": hours_text}
    )
    return await render_pdf(html)


async def stored_pdf(statement: FeeStatement) -> bytes:
    """The PDF of an approved statement: stored bytes, rendered and stored the first time."""
    if statement.pdf:
        return bytes(statement.pdf)
    view = await fee_statements.view_of(statement, None)
    content = await render_statement_pdf(view)
    if statement.is_approved:
        await FeeStatement.filter(id=statement.id, pdf__isnull=True).update(pdf=content)
    return content


async def pdf_of(view: fee_statements.StatementView) -> bytes:
    """Approved: the stored PDF. Otherwise a preview from the current lines (not stored)."""
    if view.statement.is_approved:
        return await stored_pdf(view.statement)
    return await render_statement_pdf(view)


def _line_row(line: FeeStatementLine) -> list[object]:
    return [
        line.session_date.isoformat(),
        line.description,
        format_cents(line.minutes * 100 // 60),
        format_cents(line.day_rate_cents),
        format_cents(line.fee_cents),
        format_cents(line.travel_cents),
        line.travel_note,
    ]


def statement_csv(view: fee_statements.StatementView) -> bytes:
    """One statement: a row per session, then the totals."""
    header = [
        _("datum"),
        _("sessie"),
        _("uren"),
        _("dagtarief"),
        _("honorarium"),
        _("reiskosten"),
        _("toelichting"),
    ]
    totals = view.totals
    return to_csv(
        [
            header,
            *(_line_row(line) for line in view.lines),
            [
                _("totaal"),
                view.trainer_name,
                None,
                None,
                format_cents(totals.fee_cents),
                format_cents(totals.travel_cents),
            ],
            [
                _("btw %(percent)s %%") % {"percent": totals.vat_percent},
                None,
                None,
                None,
                None,
                format_cents(totals.vat_cents),
            ],
            [_("te betalen"), None, None, None, None, format_cents(totals.total_cents)],
        ]
    )


def payment_csv(statements: list[FeeStatement]) -> bytes:
    """The approved statements of a month, one row each, for paying the trainers."""
    header = [
        _("declaratie"), _("maand"), _("trainer"), _("honorarium"), _("reiskosten"), _("btw"),
        _("te betalen"), _("goedgekeurd op"),
    ]  # fmt: skip
    rows = [
        [
            statement.id,
            f"{statement.month:%Y-%m}",
            statement.trainer_name,
            format_cents(statement.fee_cents),
            format_cents(statement.travel_cents),
            format_cents(statement.vat_cents),
            format_cents(statement.total_cents),
            statement.approved_at.date().isoformat() if statement.approved_at else "",
        ]
        for statement in statements
    ]
    return to_csv([header, *rows])


def payment_file_name(month: date) -> str:
    return f"declaraties-{month:%Y-%m}.csv"
