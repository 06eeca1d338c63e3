"""The invoice PDF: one A4 page in Dutch with what the law asks of an invoice, PDF/A-3b, UBL inside."""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from invoicing.document import EXEMPTION_REASON, DocumentKind, InvoiceDocument, Line, VatCategory
from invoicing.pdf import render_invoice_pdf
from tests.invoicing.documents import make_document

UBL = b'<?xml version="1.0" encoding="UTF-8"?><Invoice/>'


def invoice(**overrides: object) -> InvoiceDocument:
    values: dict[str, object] = {
        "number": "F2026-00042",
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "delivery_date": date(2026, 2, 20),
        "order_reference": "PO-2026-7781",
        "note": "",
    }
    values.update(overrides)
    return make_document(
        Line("Training weerbaarheid voor de raad", 1, 123450, VatCategory.STANDARD, 21),
        Line("Reiskosten", 2, 5000, VatCategory.STANDARD, 21),
        **values,
    )


def credit_note() -> InvoiceDocument:
    return invoice(
        kind=DocumentKind.CREDIT_NOTE,
        number="C2026-00003",
        lines=(Line("Workshop integriteit (onderwijs)", 1, 80000, VatCategory.EXEMPT, 0),),
        order_reference="",
        credited_invoice_number="F2026-00017",
    )


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(reader: PdfReader) -> str:
    """All whitespace, also the money filter's no-break space, as one space."""
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


async def test_an_invoice_shows_the_buyer_lines_totals_and_how_to_pay() -> None:
    reader = read(render_invoice_pdf(invoice(), UBL))

    assert len(reader.pages) == 1
    text = text_of(reader)
    for expected in [
        "Factuur F2026-00042",
        "Gemeente Utrecht",
        "Stadsplateau 1",
        "00000001234567890000",
        "Ondersteuningsteam Weerbaar Bestuur",
        "12345678",
        "NL123456782B01",
        "facturen@weerbaarbestuur.nl",
        "Uw inkoopordernummer PO-2026-7781",
        "Leverdatum 20 februari 2026",
        "Vervaldatum 1 april 2026",
        "Training weerbaarheid voor de raad",
        "€ 1.234,50",
        "Totaal excl. btw € 1.334,50",
        "Btw 21 % over € 1.334,50 € 280,25",
        "Totaal incl. btw € 1.614,75",
        "Wij verzoeken u het bedrag van € 1.614,75 vóór 1 april 2026 over te maken op "
        "NL91ABNA0417164300 t.n.v. Ondersteuningsteam Weerbaar Bestuur onder vermelding van F2026-00042",
    ]:
        assert expected in text, expected
    assert "Creditnota" not in text
    assert EXEMPTION_REASON not in text


async def test_a_credit_note_names_the_invoice_it_corrects_and_why_there_is_no_vat() -> None:
    reader = read(render_invoice_pdf(credit_note(), UBL))

    assert len(reader.pages) == 1
    text = text_of(reader)
    for expected in [
        "Creditnota C2026-00003",
        "Creditnota bij factuur F2026-00017",
        "Gemeente Utrecht",
        "Vrijgesteld van btw, over € 800,00 € 0,00",
        "Totaal incl. btw € 800,00",
        EXEMPTION_REASON,
        "terug",
    ]:
        assert expected in text, expected
    assert "inkoopordernummer" not in text
    assert "Wij verzoeken u" not in text


async def test_the_pdf_is_pdf_a_3b_with_the_ubl_embedded() -> None:
    for document in (invoice(), credit_note()):
        reader = read(render_invoice_pdf(document, UBL))

        assert reader.attachments == {f"{document.number}.xml": [UBL]}
        # WeasyPrint 70 lists the one file specification twice in /AF: compare as a set.
        files = [entry.get_object() for entry in reader.trailer["/Root"]["/AF"]]
        assert {(str(f["/UF"]), str(f["/AFRelationship"])) for f in files} == {
            (f"{document.number}.xml", "/Data")
        }
        metadata = reader.xmp_metadata
        assert metadata is not None
        xmp = metadata.stream.get_data()
        assert b'pdfaid:part="3"' in xmp
        assert b'pdfaid:conformance="B"' in xmp


async def test_text_in_a_line_is_text_not_markup() -> None:
    hostile = invoice(lines=(Line("<script>x</script> & <b>vet</b>", 1, 100, VatCategory.STANDARD, 21),))

    text = text_of(read(render_invoice_pdf(hostile, UBL)))

    assert "<script>x</script> & <b>vet</b>" in text


def test_a_long_invoice_runs_over_pages_without_splitting_a_line() -> None:
    for count in (40, 45):  # page breaks fall at other places in the rows
        lines = tuple(
            Line(f"Regel {n} met een wat langere omschrijving van de training op locatie", 1, 1000 + n, *vat)
            for n, vat in ((n, (VatCategory.STANDARD, 21)) for n in range(10, 10 + count))
        )
        reader = read(render_invoice_pdf(invoice(lines=lines), UBL))

        assert len(reader.pages) > 1
        for page in reader.pages:
            text = " ".join(page.extract_text().split())
            started = re.findall(r"Regel (\d\d)", text)
            assert not started or "Omschrijving Aantal" in text, count  # the column heads repeat
            assert set(started) == set(re.findall(r"€ 10,(\d\d)", text)), count  # each with its amounts
            assert len(started) == text.count("training op locatie"), count  # and its description whole
