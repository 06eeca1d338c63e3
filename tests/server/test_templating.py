"""The template filters write dates and amounts exactly as Babel does for Dutch; a translated text
without variables is put into the compiled template, with the same result as the gettext call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from reporting.ministry_exports import hours
from server.spreadsheet import Number, to_csv
from server.templating import (
    AMSTERDAM,
    DUTCH,
    environment,
    format_local_date,
    format_local_datetime,
    format_money,
    format_number,
)

#: A moment in every month and weekday, on both sides of both clock changes, before and after noon.
MOMENTS = [
    datetime(2026, 1, 1, 0, 5, tzinfo=UTC) + timedelta(days=day, hours=day * 7) for day in range(0, 400, 3)
] + [
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(987, 6, 5, 4, 3, tzinfo=UTC),
]
PATTERNS = [
    "d MMMM y 'om' HH:mm",
    "EEEE d MMMM y 'om' HH:mm",
    "EEEE d MMMM y, HH:mm",
    "d MMMM y",
    "HH:mm",
    "yyyy-MM-dd",
    "d-M-y",
    "d MMM y HH:mm",
    "MMMM y",
    "EEEE d MMMM",
    "'100%' d",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_date_times_read_as_babel_writes_them(pattern: str) -> None:
    for moment in MOMENTS:
        expected = format_datetime(moment.astimezone(AMSTERDAM), pattern, locale=DUTCH)
        assert format_local_datetime(moment, pattern) == expected, moment


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if "H" not in p])
def test_dates_read_as_babel_writes_them(pattern: str) -> None:
    for moment in MOMENTS:
        day = moment.astimezone(AMSTERDAM).date()
        expected = format_date(day, pattern, locale=DUTCH)
        assert format_local_date(day, pattern) == expected, day
        assert format_local_date(moment, pattern) == expected, moment


def test_the_filters_defaults_read_in_full() -> None:
    moment = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
    assert format_local_datetime(moment) == "2 maart 2026 om 09:05"
    assert format_local_date(date(2026, 3, 2)) == "2 maart 2026"
    assert format_local_datetime(None) == format_local_date(None) == ""


def test_a_moment_reads_the_same_whatever_zone_it_comes_in() -> None:
    """Formatted texts are cached per moment: the same instant in another zone is the same text."""
    moment = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    in_utc = format_local_datetime(moment, "d MMMM y HH:mm")
    assert format_local_datetime(moment.astimezone(AMSTERDAM), "d MMMM y HH:mm") == in_utc
    assert in_utc == "25 oktober 2026 02:30"
    assert format_local_date(moment.astimezone(AMSTERDAM)) == format_local_date(moment) == "25 oktober 2026"


@pytest.mark.parametrize("cents", [0, 1, 99, 100, 123450, -123450, 10**12, -5])
def test_amounts_read_as_babel_writes_them(cents: int) -> None:
    assert format_money(cents) == format_currency(Decimal(cents) / 100, "EUR", locale=DUTCH)


#: Texts that read differently escaped, with a doubled percent sign, and one the catalogue translates.
CONSTANT_TEXTS = ["Thema's & <doelen>: 100%%", "Goedendag,", "Acute dreiging? Wij zijn 24/7 bereikbaar:"]


@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("text", CONSTANT_TEXTS)
def test_a_constant_text_reads_as_the_gettext_call_gives_it(text: str, autoescape: bool) -> None:
    env = environment().overlay(autoescape=autoescape)
    folded = env.from_string(f'{{{{ _("{text}") }}}}|{{{{ _("{text}") ~ "<b>" }}}}')
    called = env.from_string(f'{{% set t = "{text}" %}}{{{{ _(t) }}}}|{{{{ _(t) ~ "<b>" }}}}')

    assert folded.render() == called.render()
    assert "context.call" not in env.compile(f'{{{{ _("{text}") }}}}', raw=True)


def test_a_text_that_needs_variables_still_fails_without_them() -> None:
    with pytest.raises(KeyError):
        environment().from_string('{{ _("Welkom, %(name)s") }}').render()


def test_a_template_that_binds_the_gettext_name_itself_calls_what_it_bound() -> None:
    template = environment().from_string('{% set _ = lower %}{{ _("Goedendag") }}')

    assert template.render(lower=str.lower) == "goedendag"


def test_numbers_have_a_decimal_comma_and_a_thousands_point() -> None:
    render = (
        environment().from_string("{{ a|number }} {{ b|number(2) }} {{ c|number(0) }} {{ d|number }}").render
    )
    assert render(a=99.4, b=1234.5, c=99.6, d=None) == "99,4 1.234,50 100 "


def test_a_csv_for_dutch_spreadsheets_writes_a_decimal_comma() -> None:
    text = to_csv([["uren", hours(90)], ["gemiddelde", Number(format_number(99.44))]]).decode("utf-8-sig")
    assert "1,5" in text and "99,4" in text
    assert "1.5" not in text and "99.4" not in text
