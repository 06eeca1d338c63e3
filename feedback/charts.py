"""Charts of feedback results as SVG, drawn on the server: no JavaScript library, works in WeasyPrint.

Every function here is pure and returns an SVG string in which each piece of text (titles, option
labels, numbers) went through `markupsafe.escape`. That is why pages and the PDF may output these
strings with `|safe`: nothing in them comes unescaped from a user or the database.

The chart is a horizontal bar chart (labels above their bars, so long option texts and a 320 px wide
screen both fit). For screen readers the SVG has role="img", a <title> and a <desc> that gives every
number in words; the bars are decorative on top of that.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from server.i18n import _, ngettext

#: Narrow on purpose: scaled to a 320 px screen the 14-unit text stays about 11 px (CSS caps the width).
WIDTH = 360
ROW_HEIGHT = 44
BAR_HEIGHT = 18
LABEL_MAX = 44
BAR_MAX_WIDTH = 300
COUNT_GAP = 6
BAR_COLOUR = "#154273"
TRACK_COLOUR = "#e8eef5"
TEXT_COLOUR = "#1b1b1b"


def _short(label: str) -> str:
    """A label that fits one line of the chart; the full text is in the description."""
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def _answers(count: int) -> str:
    return ngettext("{n} antwoord", "{n} antwoorden", count).format(n=count)


def describe(bars: Sequence[tuple[str, int]]) -> str:
    """The numbers of a chart in words, e.g. '1: 0 antwoorden; 2: 3 antwoorden. Totaal: 3 antwoorden.'"""
    total = sum(count for _label, count in bars)
    if total == 0:
        return _("Nog geen antwoorden.")
    parts = "; ".join(f"{label}: {_answers(count)}" for label, count in bars)
    return _("{parts}. Totaal: {total}.").format(parts=parts, total=_answers(total))


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, int]]) -> str:
    """A bar chart of a distribution: one bar per (label, count), the count written after the bar.

    `chart_id` makes the ids of <title> and <desc> unique on the page (use letters, digits and
    hyphens). With no answers at all the bars are empty tracks and the chart says so.
    """
    safe_id = escape(chart_id)
    largest = max((count for _label, count in bars), default=0)
    is_empty = largest == 0
    height = len(bars) * ROW_HEIGHT + (28 if is_empty else 8)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(describe(bars))}</desc>',
    ]
    for row, (label, count) in enumerate(bars):
        top = row * ROW_HEIGHT
        bar_top = top + 20
        bar_width = round(BAR_MAX_WIDTH * count / largest) if largest else 0
        parts.append(
            f'<text x="0" y="{top + 15}" font-size="14" fill="{TEXT_COLOUR}" '
            f'font-family="DejaVu Sans, sans-serif">{escape(_short(label))}</text>'
        )
        parts.append(
            f'<rect x="0" y="{bar_top}" width="{BAR_MAX_WIDTH}" height="{BAR_HEIGHT}" fill="{TRACK_COLOUR}"/>'
        )
        if bar_width:
            parts.append(
                f'<rect x="0" y="{bar_top}" width="{bar_width}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{BAR_MAX_WIDTH + COUNT_GAP}" y="{bar_top + 14}" font-size="14" '
            f'fill="{TEXT_COLOUR}" font-family="DejaVu Sans, sans-serif">{int(count)}</text>'
        )
    if is_empty:
        parts.append(
            f'<text x="0" y="{height - 8}" font-size="14" fill="{TEXT_COLOUR}" '
            f'font-family="DejaVu Sans, sans-serif">{escape(_("Nog geen antwoorden."))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
