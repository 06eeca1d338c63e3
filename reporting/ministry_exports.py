"""The ministry's report as a PDF and as a CSV file; every download is in the audit log.

- The PDF has the same tables as the page (templates/reporting/ministry_tables.html), rendered from
  the current figures on request (a report is not a document that must stay frozen).
- The CSV is one figure per row (period, part, group, measure, value), so the files of several
  periods can be put under each other and pivoted. It opens in Dutch Excel with a double click:
  UTF-8 with a byte order mark, semicolon-separated, decimal comma. Text cells go through the
  formula neutralising of server/spreadsheet.py; numbers are written as
  plain numbers (a negative revenue must stay a number).
- Below the anonymity threshold a mean is written as "te weinig reacties", as on the page.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from feedback.policy import FeedbackPolicy
from feedback.results import format_mean
from reporting.ministry import ministry_report
from reporting.ministry_figures import Comparison, MinistryReport, StageFigures
from reporting.ministry_period import Period
from server.audit import record
from server.i18n import DEFAULT_LANGUAGE, _, use_language
from server.models import User
from server.pdf import render_pdf
from server.spreadsheet import Number, format_cents, to_csv
from server.templating import LOCALE, render_document

TEMPLATE = "pdf/ministry_report.html"


def count(value: int) -> Number:
    return Number(str(value))


def hours(minutes: int) -> Number:
    return Number(format_decimal(Decimal(minutes) / 60, format="0.##", locale=LOCALE))


def _mean(value: float | None, is_shown: bool) -> str:
    if not is_shown:
        return _("te weinig reacties")
    return "" if value is None else Number(format_mean(value))


def _stage_rows(part: str, figures: StageFigures) -> list[tuple[str, str, str, str]]:
    group = figures.label
    return [
        (part, group, _("sessies"), count(figures.sessions)),
        (part, group, _("bereikte organisaties"), count(figures.organisations)),
        (part, group, _("deelnemers"), count(figures.participants)),
        (part, group, _("sessies zonder aantal deelnemers"), count(figures.sessions_without_count)),
        (part, group, _("trainers"), count(figures.trainers)),
        (part, group, _("trainersuren"), hours(figures.trainer_minutes)),
        (part, group, _("feedbackreacties"), count(figures.responses)),
        (
            part,
            group,
            _("gemiddelde schaalvragen (1-5)"),
            _mean(figures.scale_mean, figures.is_feedback_shown),
        ),
        (part, group, _("gemiddeld cijfer (1-10)"), _mean(figures.grade_mean, figures.is_feedback_shown)),
    ]


def _comparison_value(row: Comparison, value: int) -> Number:
    if row.unit == "minutes":
        return hours(value)
    if row.unit == "cents":
        return format_cents(value)
    return count(value)


def csv_rows(report: MinistryReport) -> list[list[str]]:
    """The report as (period, part, group, measure, value) rows, with the header first."""
    rows: list[tuple[str, str, str, str]] = []
    part = _("Sessies per fase")
    for figures in (*report.stages, report.total):
        rows.extend(_stage_rows(part, figures))
    part = _("Sessies per provincie")
    for province in report.provinces:
        for label, sessions in zip(report.stage_labels, province.sessions_by_stage, strict=True):
            rows.append((part, province.label, _("sessies %(stage)s") % {"stage": label}, count(sessions)))
        rows.append((part, province.label, _("sessies"), count(province.sessions)))
        rows.append((part, province.label, _("bereikte organisaties"), count(province.organisations)))
        rows.append((part, province.label, _("organisaties"), count(province.organisations_total)))
        rows.append((part, province.label, _("deelnemers"), count(province.participants)))
    part = _("Organisaties per stap op %(day)s") % {"day": report.steps_day.isoformat()}
    for step in report.steps:
        rows.append((part, step.stage.label, _("organisaties"), count(step.count)))
        rows.append((part, step.stage.label, _("van de"), count(step.total)))
    part = _("Feedback per vraag")
    for question in report.questions:
        group = f"{question.stage_label}: {question.text}"
        rows.append((part, group, _("antwoorden"), count(question.answers)))
        rows.append(
            (
                part,
                group,
                _("gemiddelde (%(scale)s)") % {"scale": question.scale_text},
                _mean(question.mean, question.is_shown),
            )
        )
    part, group = _("Gratis sessies"), _("Kosten van gratis sessies")
    free = report.free_sessions
    rows.append((part, group, _("sessies"), count(free.sessions)))
    rows.append((part, group, _("trainersuren"), hours(free.minutes)))
    rows.append((part, group, _("kosten (euro)"), format_cents(free.cost_cents)))
    part, group = _("Omzet"), _("Betaalde trainingen")
    revenue = report.revenue
    rows.append((part, group, _("facturen"), count(revenue.invoices)))
    rows.append((part, group, _("creditnota's"), count(revenue.credit_notes)))
    rows.append((part, group, _("gefactureerd excl. btw (euro)"), format_cents(revenue.invoiced_net_cents)))
    rows.append((part, group, _("gecrediteerd excl. btw (euro)"), format_cents(revenue.credited_net_cents)))
    rows.append((part, group, _("omzet excl. btw (euro)"), format_cents(revenue.net_cents)))
    rows.append((part, group, _("btw (euro)"), format_cents(revenue.vat_cents)))
    rows.append((part, group, _("omzet incl. btw (euro)"), format_cents(revenue.gross_cents)))
    part = _("Vorige periode")
    for row in report.comparison:
        rows.append((part, row.label, report.previous_period.slug, _comparison_value(row, row.previous)))
    header = [_("periode"), _("onderdeel"), _("groep"), _("kenmerk"), _("waarde")]
    return [header, *([report.period.slug, *row] for row in rows)]


def filename(period: Period, extension: str) -> str:
    return f"rapportage-ministerie-{period.slug}.{extension}"


async def _audit(actor: User, period: Period, kind: str) -> None:
    with use_language(DEFAULT_LANGUAGE):  # the audit log stores the summary in Dutch
        summary = _("Rapportage voor het ministerie, %(period)s, als %(kind)s gedownload") % {
            "period": period.label,
            "kind": kind,
        }
    await record(actor, "ministry_report_downloaded", None, summary=summary)


async def report_pdf(period: Period, policy: FeedbackPolicy, *, actor: User) -> bytes:
    """The report of `period` as a PDF; the download is audited."""
    with use_language(DEFAULT_LANGUAGE):
        report = await ministry_report(period, policy)
        html = render_document(TEMPLATE, {"report": report})
    content = await render_pdf(html)
    await _audit(actor, period, "PDF")
    return content


async def report_csv(period: Period, policy: FeedbackPolicy, *, actor: User) -> bytes:
    """The report of `period` as a CSV file; the download is audited."""
    with use_language(DEFAULT_LANGUAGE):
        content = to_csv(csv_rows(await ministry_report(period, policy)))
    await _audit(actor, period, "CSV")
    return content
