"""The ministry report's PDF fits A4: with figures as wide as a national tour's could get, every column
heading and every value of the "sessions per stage" table is read back from the PDF, and every text of
every page lies between the page's margins (measured from the PDF's own text positions and glyph widths)."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from pypdf import PdfReader
from pypdf.generic import ArrayObject, ByteStringObject, ContentStream, DictionaryObject, TextStringObject

from reporting.ministry import ministry_report
from reporting.ministry_exports import TEMPLATE
from reporting.ministry_figures import MinistryReport, ProvinceRow, StageFigures
from server.pdf import render_pdf
from server.templating import render_text
from tests.reporting.test_ministry import POLICY, Q3, make_tour

MM = 72 / 25.4
A4 = (round(210 * MM), round(297 * MM))
#: The side margins of static/pdf.css's @page: nothing may be drawn beyond them.
SIDE_MARGIN = 20 * MM
#: The headings of the "sessions per stage" table, in order.
STAGE_TABLE_HEADINGS = (
    "Fase",
    "Sessies",
    "Bereikte organisaties",
    "Deelnemers",
    "Zonder deelnemersaantal",
    "Trainers",
    "Trainersuren",
)


def wide(figures: StageFigures, n: int) -> StageFigures:
    return replace(
        figures,
        sessions=123_400 + n,
        organisations=45_600 + n,
        participants=9_876_500 + n,
        sessions_without_count=78_900 + n,
        trainers=3_400 + n,
        trainer_minutes=(987_654_300 + n) * 60 + 30,
    )


async def wide_report() -> MinistryReport:
    """The report of a small tour, its figures then widened: seven-digit counts, trainer hours in the
    hundreds of millions, twelve provinces and the provinces' own row with long names, long questions."""
    await make_tour()
    report = await ministry_report(Q3, POLICY)
    provinces = tuple(
        ProvinceRow(
            label=f"Provincie met een heel lange naam {n}",
            sessions_by_stage=(11_100 + n, 22_200 + n, 33_300 + n),
            sessions=66_600 + n,
            organisations=4_400 + n,
            organisations_total=5_500 + n,
            participants=7_777_700 + n,
        )
        for n in range(13)
    )
    long_question = "Hoe goed kunt u na deze sessie omgaan met bedreigingen, intimidatie en online haat? " * 5
    return replace(
        report,
        stages=tuple(wide(stage, n) for n, stage in enumerate(report.stages)),
        total=wide(report.total, 9),
        provinces=provinces,
        questions=tuple(replace(question, text=long_question) for question in report.questions),
        revenue=replace(report.revenue, net_cents=98_765_432_100, gross_cents=119_506_172_841),
    )


def stage_table_rows(report: MinistryReport) -> list[tuple[str, ...]]:
    """Each row of the table as the PDF writes it: the stage, then its six values."""
    return [
        (
            figures.label,
            str(figures.sessions),
            str(figures.organisations),
            str(figures.participants),
            str(figures.sessions_without_count),
            str(figures.trainers),
            figures.hours_text,
        )
        for figures in (*report.stages, report.total)
    ]


@dataclass(frozen=True)
class Run:
    """One run of text the PDF draws (a TJ operator): its page and left and right edge in points."""

    page: int
    left: float
    right: float


def _glyph_widths(font: DictionaryObject) -> tuple[dict[int, float], float]:
    """The widths (thousandths of the font size) of a composite font's glyphs by code, and the default."""
    (descendant,) = font["/DescendantFonts"]
    descendant = descendant.get_object()
    spec = descendant.get("/W", ArrayObject())
    widths: dict[int, float] = {}
    i = 0
    while i < len(spec):
        first, following = int(spec[i]), spec[i + 1]
        if isinstance(following, ArrayObject):  # first [w1 w2 ...]
            widths.update((first + k, float(width)) for k, width in enumerate(following))
            i += 2
        else:  # first last width
            widths.update((code, float(spec[i + 2])) for code in range(first, int(following) + 1))
            i += 3
    return widths, float(descendant.get("/DW", 1000))


def glyph_codes(item: TextStringObject | ByteStringObject) -> list[int]:
    """The two-byte codes of a string drawn in a composite font (pypdf may have read it as UTF-16)."""
    raw = bytes(item) if isinstance(item, ByteStringObject) else item.get_original_bytes()
    raw = raw.removeprefix(b"\xfe\xff")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


def _multiply(m: list[float], n: list[float]) -> list[float]:
    """The PDF matrix product m × n of [a b c d e f] matrices."""
    a, b, c, d, e, f = m
    return [
        a * n[0] + b * n[2],
        a * n[1] + b * n[3],
        c * n[0] + d * n[2],
        c * n[1] + d * n[3],
        e * n[0] + f * n[2] + n[4],
        e * n[1] + f * n[3] + n[5],
    ]


def text_runs(content: bytes) -> list[Run]:
    """Where each text run of the PDF starts and ends horizontally.

    Reads WeasyPrint's way of writing text: composite fonts (two-byte codes), each run placed with
    `Tm` and drawn with one `TJ`. Another way of placing text fails loudly instead of being misread.
    """
    reader = PdfReader(io.BytesIO(content))
    runs: list[Run] = []
    for number, page in enumerate(reader.pages):
        fonts = {name: _glyph_widths(font.get_object()) for name, font in page["/Resources"]["/Font"].items()}
        ctm, saved = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
        tm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        widths, default, size = {}, 1000.0, 0.0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                saved.append(ctm)
            elif operator == b"Q":
                ctm = saved.pop()
            elif operator == b"cm":
                ctm = _multiply([float(v) for v in operands], ctm)
            elif operator == b"Tf":
                (widths, default), size = fonts[operands[0]], float(operands[1])
            elif operator == b"Tm":
                tm = [float(v) for v in operands]
            elif operator == b"TJ":
                advance = 0.0
                for item in operands[0]:
                    if isinstance(item, (str, bytes)):
                        advance += sum(widths.get(code, default) for code in glyph_codes(item)) * size / 1000
                    else:
                        advance -= float(item) * size / 1000
                to_page = _multiply(tm, ctm)
                ends = sorted(to_page[0] * x + to_page[4] for x in (0.0, advance))
                runs.append(Run(number, ends[0], ends[1]))
            else:
                assert operator not in (b"Td", b"TD", b"T*", b"Tj", b"'", b'"', b"Tz", b"Tc", b"Tw"), operator
    return runs


def words(text: str) -> list[str]:
    return text.split()


async def test_every_heading_and_value_of_the_wide_stage_table_is_read_back_within_the_page() -> None:
    report = await wide_report()

    content = await render_pdf(render_text(TEMPLATE, {"report": report}))

    reader = PdfReader(io.BytesIO(content))
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {A4}
    text = "\n".join(page.extract_text() for page in reader.pages)
    lines = [" ".join(words(line)) for line in text.splitlines()]
    present = set(words(text))
    for heading in STAGE_TABLE_HEADINGS:
        assert set(words(heading)) <= present, heading
    squashed = "".join(words(text))
    for row in stage_table_rows(report):
        # The values on one line, one apart, right after the stage (whose name may wrap).
        assert any(line.endswith(" ".join(row[1:])) for line in lines), row
        assert "".join(words("".join(row))) in squashed, row
    assert "987.654.309,5" in present  # the total's trainer hours, the column that was cut off

    runs = text_runs(content)
    assert len(runs) > 200
    width = float(reader.pages[0].mediabox.width)
    outside = [run for run in runs if run.left < SIDE_MARGIN - 0.5 or run.right > width - SIDE_MARGIN + 0.5]
    assert outside == []
    # The measuring is right: the right-aligned last column ends at the right margin.
    assert max(run.right for run in runs) > width - SIDE_MARGIN - 1
