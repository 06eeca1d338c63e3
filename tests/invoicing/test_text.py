"""Every text of an invoice passes one cleaning step (issue 22): no control character or stray line
break reaches the PDF or the UBL file, and a required text left empty by it is refused at issue."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from peppol import check_rules
from pypdf import PdfReader

from invoicing import documents
from invoicing.document import Line, VatCategory
from invoicing.drafts import create_draft_for_booking
from invoicing.errors import InvoiceRuleBroken
from invoicing.issuing import issue_invoice
from invoicing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceStatus
from invoicing.text import multi_line, single_line
from invoicing.ubl import ubl_xml
from server.models import User
from tests.invoicing.documents import BUYER, make_document
from tests.invoicing.factories import TODAY, billed_organisation, delivered_training
from tests.invoicing.test_ubl import parse, rule_errors, text, xsd_errors

#: What gets pasted into a single-line field: a Word soft line break (U+000B), form feed, NEL,
#: the Unicode line and paragraph separators, a zero-width space, a byte-order mark, private use.
INVISIBLE = "\x0b\x0c\x85\u2028\u2029\u200b\ufeff\ue000\x00\x1f\x7f\t\r\n"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("4500012345", "4500012345"),
        ("  PO\x0b2026\n 77 ", "PO 2026 77"),
        ("Reis\u2028kosten\u00adtoeslag", "Reis kostentoeslag"),
        ("Gemeente\u00a0Zeist", "Gemeente\u00a0Zeist"),
        ("Zoë & Çelik – “training”", "Zoë & Çelik – “training”"),
        (INVISIBLE, ""),
    ],
)
def test_a_single_line_keeps_what_prints_and_nothing_else(raw: str, clean: str) -> None:
    assert single_line(raw) == clean
    assert single_line(clean) == clean  # cleaning twice changes nothing


def test_a_note_keeps_its_line_breaks() -> None:
    assert multi_line("\nEerste regel\x0b\r\nTweede\u2029regel\x00 \n") == "Eerste regel\n\nTweede\nregel"


def test_a_document_holds_only_clean_texts_and_its_ubl_stays_valid() -> None:
    document = make_document(
        Line("Werk\x0bboek\u200b", 2, 19_99, VatCategory.STANDARD, 21),
        order_reference=INVISIBLE,
        note="Regel\x0been\nregel twee",
        buyer=replace(BUYER, street="Stads\x0bplateau 1\n"),
    )
    assert document.lines[0].description == "Werk boek"
    assert (document.order_reference, document.note) == ("", "Regel\neen\nregel twee")
    assert document.buyer.street == "Stads plateau 1"

    xml = ubl_xml(document)
    root = parse(xml)
    assert xsd_errors(xml) == [] and rule_errors(xml) == []
    assert [str(f) for f in check_rules(xml) if f.severity == "fatal"] == []
    # PEPPOL-EN16931-R003: the invisible order number is no reference; the invoice number stands in.
    assert text(root, "cbc:BuyerReference") == document.number
    assert text(root, "cac:InvoiceLine/cac:Item/cbc:Name") == "Werk boek"


async def test_a_purchase_order_number_of_invisible_characters_counts_as_missing(finance: User) -> None:
    organisation = await billed_organisation(requires_po_number=True)
    draft = await create_draft_for_booking(
        (await delivered_training(organisation, po_number="\x0b\u2028")).id, actor=finance
    )

    with pytest.raises(InvoiceRuleBroken) as caught:
        await issue_invoice(draft.id, actor=finance, today=TODAY)

    assert "inkoopordernummer" in caught.value.message
    assert (await Invoice.get(id=draft.id)).status is InvoiceStatus.DRAFT
    assert not await InvoiceCounter.filter(last_number__gt=0).exists()


async def test_an_optional_invisible_purchase_order_number_is_cleaned_and_the_ubl_validates(
    finance: User,
) -> None:
    booking = await delivered_training(po_number="\x0b")
    draft = await create_draft_for_booking(booking.id, actor=finance)
    await InvoiceLine.filter(invoice=draft).update(description="Training\x0bop\u2028locatie")

    issued = await documents.with_documents(await issue_invoice(draft.id, actor=finance, today=TODAY))

    assert issued.order_reference == "" and issued.content["order_reference"] == ""
    assert issued.content["lines"][0]["description"] == "Training op locatie"
    ubl = bytes(issued.ubl)
    assert xsd_errors(ubl) == [] and rule_errors(ubl) == []
    assert [str(f) for f in check_rules(ubl) if f.severity == "fatal"] == []
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(issued.pdf))).pages)
    assert "Training op locatie" in " ".join(pdf_text.split())


async def test_a_line_of_only_invisible_characters_is_refused_before_issuing(finance: User) -> None:
    draft = await create_draft_for_booking((await delivered_training()).id, actor=finance)
    await InvoiceLine.filter(invoice=draft).update(description="\x0b\u200b\x85")

    with pytest.raises(InvoiceRuleBroken) as caught:
        await issue_invoice(draft.id, actor=finance, today=TODAY)

    assert "Regel 1 heeft geen omschrijving" in caught.value.message
    assert (await Invoice.get(id=draft.id)).number is None


async def test_an_address_of_only_a_line_break_is_named_as_missing(finance: User) -> None:
    organisation = await billed_organisation(invoice_city="\u2028")
    draft = await create_draft_for_booking((await delivered_training(organisation)).id, actor=finance)

    with pytest.raises(InvoiceRuleBroken) as caught:
        await issue_invoice(draft.id, actor=finance, today=TODAY)

    assert "plaats" in caught.value.message
