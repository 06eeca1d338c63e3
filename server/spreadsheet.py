"""CSV files for Dutch spreadsheets: semicolon-separated, UTF-8 with a BOM (so Excel reads the
accents), CRLF line ends.

Every text cell is neutralised: a value a spreadsheet could take for a formula (starting with =, +,
-, @, a tab or a carriage return, also after spaces) gets a leading single quote, so a participant's
answer or an organisation's name never runs as a formula. Numbers are written as `Number` cells,
which stay as they are: a minus sign is no formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Number(str):
    """A number already written for a Dutch spreadsheet (decimal comma): never neutralised."""


def neutralise(value: str) -> str:
    """`value`, with a leading single quote when a spreadsheet could take it for a formula."""
    if value.startswith(DANGEROUS_STARTS) or value.lstrip().startswith(DANGEROUS_STARTS):
        return "'" + value
    return value


def format_cents(cents: int) -> Number:
    """-123456 -> "-1234,56": a plain number for Dutch spreadsheets (no thousands separator)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return Number(f"{sign}{whole},{part:02d}")


def to_csv(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as CSV: `Number` cells as they are, None empty, everything else neutralised text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow(
            [
                cell if isinstance(cell, Number) else neutralise("" if cell is None else str(cell))
                for cell in row
            ]
        )
    return (BOM + buffer.getvalue()).encode("utf-8")
