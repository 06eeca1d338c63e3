"""The ministry's report as plain values: what the pages, the PDF and the CSV show.

Built by `reporting.ministry.ministry_report`; nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal

from bookings.models import Stage
from feedback.results import format_mean
from reporting.dashboard import StageCount
from reporting.ministry_period import Period
from server.i18n import lazy_gettext
from server.templating import LOCALE, format_money

STAGE_LABELS = {
    Stage.INTAKE: lazy_gettext("Intake"),
    Stage.COUNCIL_SESSION: lazy_gettext("Raadsbrede sessie"),
    Stage.FOLLOW_UP: lazy_gettext("Vervolgtraining"),
}


def hours_text(minutes: int) -> str:
    """150 minutes -> '2,5'."""
    return format_decimal(Decimal(minutes) / 60, format="#,##0.##", locale=LOCALE)


@dataclass(frozen=True)
class StageFigures:
    """The held sessions of one offering stage (or of all: the total row)."""

    label: str
    sessions: int
    organisations: int
    participants: int
    sessions_without_count: int
    #: Of `sessions`: those held before the app (imported history, no trainer hours, no feedback).
    sessions_before_app: int
    trainer_minutes: int
    trainers: int
    responses: int
    is_feedback_shown: bool
    #: Means of the scale (1-5) and grade (1-10) answers; None when hidden or without such answers.
    scale_mean: float | None
    grade_mean: float | None

    @property
    def hours_text(self) -> str:
        return hours_text(self.trainer_minutes)

    @property
    def scale_mean_text(self) -> str:
        return format_mean(self.scale_mean)

    @property
    def grade_mean_text(self) -> str:
        return format_mean(self.grade_mean)


@dataclass(frozen=True)
class ProvinceRow:
    """The held sessions of a province's municipalities, or of the provinces themselves."""

    label: str
    #: Sessions per stage, in the order of `Stage`.
    sessions_by_stage: tuple[int, ...]
    sessions: int
    organisations: int
    organisations_total: int
    participants: int


@dataclass(frozen=True)
class QuestionScore:
    """The mean answer to one scale or grade question (by its text) in one stage."""

    stage_label: str
    text: str
    scale_text: str
    answers: int
    is_shown: bool
    mean: float | None

    @property
    def mean_text(self) -> str:
        return format_mean(self.mean)


@dataclass(frozen=True)
class FreeSessionCosts:
    sessions: int
    minutes: int
    cost_cents: int
    #: Trainers of the year's free sessions without a day rate (their hours count for 0).
    trainers_without_rate: int

    @property
    def hours_text(self) -> str:
        return hours_text(self.minutes)


@dataclass(frozen=True)
class Revenue:
    invoices: int
    credit_notes: int
    invoiced_net_cents: int
    credited_net_cents: int
    net_cents: int
    vat_cents: int
    gross_cents: int


@dataclass(frozen=True)
class Comparison:
    """One figure of this period against the previous one."""

    label: str
    current: int
    previous: int
    #: How to write the value: a count, minutes as hours, or cents as euros.
    unit: str

    def _text(self, value: int) -> str:
        if self.unit == "minutes":
            return hours_text(value)
        if self.unit == "cents":
            return format_money(value)
        return format_decimal(value, locale=LOCALE)

    @property
    def current_text(self) -> str:
        return self._text(self.current)

    @property
    def previous_text(self) -> str:
        return self._text(self.previous)

    @property
    def change_text(self) -> str:
        """The difference with its sign in front: +2, -€ 1.850,00, 0."""
        change = self.current - self.previous
        sign = "+" if change > 0 else "-" if change < 0 else ""
        return sign + self._text(abs(change))


@dataclass(frozen=True)
class MinistryReport:
    period: Period
    previous_period: Period
    threshold: int
    generated_at: datetime
    stages: tuple[StageFigures, ...]
    total: StageFigures
    provinces: tuple[ProvinceRow, ...]
    questions: tuple[QuestionScore, ...]
    free_sessions: FreeSessionCosts
    revenue: Revenue
    comparison: tuple[Comparison, ...]
    #: The organisations per step (each counted on its own) at the end of `steps_day`.
    steps_day: date
    steps: tuple[StageCount, ...]

    @property
    def is_complete(self) -> bool:
        """False while the period is still running (the figures are those so far)."""
        return self.generated_at >= self.period.ends_at

    @property
    def stage_labels(self) -> tuple[str, ...]:
        return tuple(str(STAGE_LABELS[stage]) for stage in Stage)
