"""The dashboard's charts as SVG drawn on the server: progress per month and a tile map.

As in feedback/charts.py, every piece of text goes through `markupsafe.escape`, so templates may
output these strings with `|safe`. Each chart has role="img", a <title> and a <desc> that says its
numbers in words; the page also shows the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import escape

from reporting.dashboard import AreaSummary, MonthPoint
from server.i18n import _
from server.templating import format_local_date

FONT = "DejaVu Sans, sans-serif"
TEXT_COLOUR = "#1b1b1b"
ACTUAL_COLOUR = "#154273"
TARGET_COLOUR = "#a34400"
GRID_COLOUR = "#c9d2dc"
#: (column, row) of each province on a simple grid that keeps the country's shape, by CBS code.
TILES = {
    "PV21": (2, 0),
    "PV20": (3, 0),
    "PV27": (1, 1),
    "PV24": (2, 1),
    "PV22": (3, 1),
    "PV28": (1, 2),
    "PV26": (2, 2),
    "PV23": (3, 2),
    "PV29": (1, 3),
    "PV30": (2, 3),
    "PV25": (3, 3),
    "PV31": (3, 4),
}
TILE = 112
GAP = 6
#: Coverage bands (lower bound in %) with fill and a text colour that keeps a contrast of 4.5:1.
BANDS = (
    (80, "#154273", "#ffffff"),
    (60, "#3d73b0", "#ffffff"),
    (40, "#8fb1d6", TEXT_COLOUR),
    (20, "#c6d7ea", TEXT_COLOUR),
    (0, "#f0f4f9", TEXT_COLOUR),
)


def band(coverage: float) -> tuple[str, str]:
    """(fill, text colour) of a coverage percentage."""
    return next((fill, text) for lower, fill, text in BANDS if coverage >= lower or lower == 0)


def band_labels() -> list[tuple[str, str]]:
    """(fill, label) per band, from low to high, for the legend."""
    uppers = [100] + [lower for lower, _fill, _text in BANDS[:-1]]
    return [
        (fill, f"{lower}–{upper} %")
        for (lower, fill, _text), upper in reversed(list(zip(BANDS, uppers, strict=True)))
    ]


def _percent(value: float) -> str:
    return f"{value:.0f} %"


def month_label(month: date) -> str:
    return format_local_date(month, "MMM y")


def tile_map(chart_id: str, title: str, summaries: Sequence[AreaSummary]) -> str:
    """The twelve provinces as tiles coloured by coverage, each with its name and percentage."""
    safe_id = escape(chart_id)
    placed = [(summary, TILES[summary.code]) for summary in summaries if summary.code in TILES]
    columns = max((column for _s, (column, _row) in placed), default=0) + 1
    rows = max((row for _s, (_column, row) in placed), default=0) + 1
    width = columns * (TILE + GAP)
    height = rows * (TILE + GAP)
    description = "; ".join(
        _("{name}: {covered} van {total} ({percent})").format(
            name=summary.name,
            covered=summary.covered,
            total=summary.total,
            percent=_percent(summary.coverage),
        )
        for summary, _position in placed
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tile-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(description or _("Geen provincies."))}</desc>',
    ]
    for summary, (column, row) in placed:
        x, y = column * (TILE + GAP), row * (TILE + GAP)
        fill, text = band(summary.coverage)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="6" fill="{fill}" stroke="#5a6b7d"/>'
        )
        parts.append(
            f'<text x="{x + TILE / 2}" y="{y + 46}" text-anchor="middle" font-size="12" '
            f'font-family="{FONT}" fill="{text}">{escape(summary.name)}</text>'
        )
        parts.append(
            f'<text x="{x + TILE / 2}" y="{y + 74}" text-anchor="middle" font-size="20" font-weight="bold" '
            f'font-family="{FONT}" fill="{text}">{escape(_percent(summary.coverage))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


PLOT_LEFT = 44
PLOT_TOP = 12
PLOT_WIDTH = 600
PLOT_HEIGHT = 200


def _point(index: int, count: int, value: float) -> tuple[float, float]:
    step = PLOT_WIDTH / max(count - 1, 1)
    return round(PLOT_LEFT + index * step, 1), round(PLOT_TOP + PLOT_HEIGHT * (1 - value / 100), 1)


def _polyline(points: list[tuple[float, float]], colour: str, dashed: bool) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    coordinates = " ".join(f"{x},{y}" for x, y in points)
    return f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="3"{dash}/>'


def describe_progress(points: Sequence[MonthPoint]) -> str:
    parts = []
    for point in points:
        actual = _percent(point.actual) if point.actual is not None else _("nog niet")
        text = f"{month_label(point.month)}: {actual}"
        if point.target is not None:
            text += " " + _("(doel {percent})").format(percent=_percent(point.target))
        parts.append(text)
    return "; ".join(parts) or _("Nog geen voortgang.")


def progress_chart(chart_id: str, title: str, points: Sequence[MonthPoint]) -> str:
    """Share of organisations at the goal per month (solid line) against the target (dashed)."""
    safe_id = escape(chart_id)
    width = PLOT_LEFT + PLOT_WIDTH + 16
    height = PLOT_TOP + PLOT_HEIGHT + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--wide" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(describe_progress(points))}</desc>',
    ]
    for percent in (0, 25, 50, 75, 100):
        _x, y = _point(0, 1, percent)
        parts.append(
            f'<line x1="{PLOT_LEFT}" y1="{y}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{y}" stroke="{GRID_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{PLOT_LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="12" '
            f'font-family="{FONT}" fill="{TEXT_COLOUR}">{percent} %</text>'
        )
    count = len(points)
    every = max(1, -(-count // 8))
    for index, point in enumerate(points):
        if index % every == 0 or index == count - 1:
            x, _y = _point(index, count, 0)
            parts.append(
                f'<text x="{x}" y="{PLOT_TOP + PLOT_HEIGHT + 20}" text-anchor="middle" font-size="12" '
                f'font-family="{FONT}" fill="{TEXT_COLOUR}">{escape(month_label(point.month))}</text>'
            )
    target = [_point(i, count, p.target) for i, p in enumerate(points) if p.target is not None]
    if target:
        parts.append(_polyline(target, TARGET_COLOUR, dashed=True))
    actual = [_point(i, count, p.actual) for i, p in enumerate(points) if p.actual is not None]
    if actual:
        parts.append(_polyline(actual, ACTUAL_COLOUR, dashed=False))
        for x, y in actual:
            parts.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{ACTUAL_COLOUR}"/>')
    parts.append("</svg>")
    return "".join(parts)


STAGE_LABEL_WIDTH = 230
STAGE_BAR_WIDTH = 300
STAGE_ROW = 28


def stage_chart(chart_id: str, title: str, summary: AreaSummary) -> str:
    """One bar per step: how many organisations are at exactly that step, with the percentage."""
    safe_id = escape(chart_id)
    largest = max((stage.count for stage in summary.stages), default=0)
    width = STAGE_LABEL_WIDTH + STAGE_BAR_WIDTH + 110
    height = len(summary.stages) * STAGE_ROW + 4
    description = "; ".join(
        f"{stage.stage.label}: {stage.count} ({_percent(stage.percent)})" for stage in summary.stages
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--wide" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(description)}</desc>',
    ]
    left = STAGE_LABEL_WIDTH
    for row, stage in enumerate(summary.stages):
        top = row * STAGE_ROW
        bar = round(STAGE_BAR_WIDTH * stage.count / largest) if largest else 0
        figure = escape(f"{stage.count} ({_percent(stage.percent)})")
        parts.append(
            f'<text x="{STAGE_LABEL_WIDTH - 8}" y="{top + 18}" text-anchor="end" font-size="13" '
            f'font-family="{FONT}" fill="{TEXT_COLOUR}">{escape(stage.stage.label)}</text>'
        )
        parts.append(f'<rect x="{left}" y="{top + 5}" width="{STAGE_BAR_WIDTH}" height="18" fill="#e8eef5"/>')
        if bar:
            parts.append(f'<rect x="{left}" y="{top + 5}" width="{bar}" height="18" fill="{ACTUAL_COLOUR}"/>')
        parts.append(
            f'<text x="{STAGE_LABEL_WIDTH + STAGE_BAR_WIDTH + 8}" y="{top + 18}" font-size="13" '
            f'font-family="{FONT}" fill="{TEXT_COLOUR}">{figure}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
