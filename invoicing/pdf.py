"""The PDF of an issued invoice or credit note: archivable PDF/A-3b with the UBL XML embedded.

Rendered once when the document is issued and stored; it shows only what the frozen
`InvoiceDocument` holds, so a later edit of an organisation or offering never changes it.

Everything here runs outside the event loop (the render thread for one invoice, a pool process for
a batch): `render_documents` builds the UBL file, the HTML and the PDF in one call, so the caller
hands over one picklable `InvoiceDocument` and gets both files back.
"""

from __future__ import annotations

from invoicing import ubl
from invoicing.document import EXEMPTION_REASON, DocumentKind, InvoiceDocument, VatCategory
from invoicing.numbering import file_name
from server.i18n import DEFAULT_LANGUAGE, _, use_language
from server.pdf import PDF_A_3B, PdfAttachment, render_pdf_here
from server.templating import render_document

TEMPLATE = "invoicing/invoice_pdf.html"


def document_title(document: InvoiceDocument) -> str:
    return _("Creditnota") if document.kind is DocumentKind.CREDIT_NOTE else _("Factuur")


def ubl_filename(document: InvoiceDocument) -> str:
    """The embedded XML's name, `<number>.xml` (safe as a file name); a download of the UBL uses the
    same name."""
    return file_name(document.number, "xml")


def invoice_html(document: InvoiceDocument) -> str:
    """The HTML of `document`'s PDF (templates/invoicing/invoice_pdf.html)."""
    return render_document(
        TEMPLATE,
        {
            "document": document,
            "title": document_title(document),
            "is_credit_note": document.kind is DocumentKind.CREDIT_NOTE,
            "has_exempt_lines": any(b.category is VatCategory.EXEMPT for b in document.breakdown),
            "exempt": VatCategory.EXEMPT,
            "exemption_reason": EXEMPTION_REASON,
        },
    )


def render_invoice_pdf(document: InvoiceDocument, ubl_file: bytes) -> bytes:
    """The PDF/A-3b of `document` with its UBL file attached (relationship "Data"), in this thread.

    "Data": the XML carries the same content as the visible page, which is what e-invoicing
    receivers expect of a hybrid invoice.
    """
    attachment = PdfAttachment(
        filename=ubl_filename(document),
        content=ubl_file,
        relationship="Data",
        description=_("{title} {number} als e-factuur (UBL)").format(
            title=document_title(document), number=document.number
        ),
    )
    return render_pdf_here(invoice_html(document), attachments=[attachment], pdf_variant=PDF_A_3B)


def render_documents(document: InvoiceDocument) -> tuple[bytes, bytes]:
    """The UBL file and the PDF (with that UBL file inside) of `document`, in this thread or process;
    in Dutch, like every document for a public body."""
    with use_language(DEFAULT_LANGUAGE):
        ubl_file = ubl.ubl_xml(document)
        return ubl_file, render_invoice_pdf(document, ubl_file)
