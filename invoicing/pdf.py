"""The PDF of an issued invoice or credit note: archivable PDF/A-3b with the UBL XML embedded.

Rendered once when the document is issued and stored; it shows only what the frozen
`InvoiceDocument` holds, so a later edit of an organisation or offering never changes it.
"""

from __future__ import annotations

from invoicing.document import EXEMPTION_REASON, DocumentKind, InvoiceDocument, VatCategory
from server.i18n import _
from server.pdf import PDF_A_3B, PdfAttachment, render_pdf
from server.templating import render_text

TEMPLATE = "invoicing/invoice_pdf.html"


def document_title(document: InvoiceDocument) -> str:
    return _("Creditnota") if document.kind is DocumentKind.CREDIT_NOTE else _("Factuur")


def ubl_filename(document: InvoiceDocument) -> str:
    """The embedded XML's name, `<number>.xml`; a download of the UBL uses the same name."""
    return f"{document.number}.xml"


async def invoice_pdf(document: InvoiceDocument, ubl: bytes) -> bytes:
    """The PDF/A-3b of `document` with its UBL file `ubl` attached (relationship "Data").

    "Data": the XML carries the same content as the visible page, which is what e-invoicing
    receivers expect of a hybrid invoice.
    """
    title = document_title(document)
    html = render_text(
        TEMPLATE,
        {
            "document": document,
            "title": title,
            "is_credit_note": document.kind is DocumentKind.CREDIT_NOTE,
            "has_exempt_lines": any(b.category is VatCategory.EXEMPT for b in document.breakdown),
            "exempt": VatCategory.EXEMPT,
            "exemption_reason": EXEMPTION_REASON,
        },
    )
    attachment = PdfAttachment(
        filename=ubl_filename(document),
        content=ubl,
        relationship="Data",
        description=_("{title} {number} als e-factuur (UBL)").format(title=title, number=document.number),
    )
    return await render_pdf(html, attachments=[attachment], pdf_variant=PDF_A_3B)
