"""The UBL 2.1 file of an issued invoice or credit note (Peppol BIS Billing 3.0, Dutch public sector).

`ubl_xml(document)` writes an `Invoice` (type 380) or a `CreditNote` (type 381) from the frozen
`InvoiceDocument`, following /shared/einvoice/README.md and its examples: element order as in the
UBL 2.1 XSD, amounts in EUR with two decimals, seller identified by KvK (scheme 0106), buyer by OIN
(scheme 0190), one VAT subtotal per category and rate.

Elements whose value is empty are left out (PEPPOL-EN16931-R008 rejects empty elements), so a
document missing a mandatory value (the buyer's OIN, say) yields a file the Peppol rules reject:
check the document before issuing. The texts arrive clean: `invoicing.document` passes each through
`invoicing.text` when the document is made (no control characters, no line breaks where one line is
expected), so a value that is there is written as it is. The output is deterministic: the same
document always gives the same bytes, which are stored at issue and served unchanged.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

from invoicing.document import (
    EXEMPTION_REASON,
    EXEMPTION_REASON_CODE,
    DocumentKind,
    InvoiceDocument,
    Line,
    Party,
    VatCategory,
)

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_TYPE_CODE = "380"
CREDIT_NOTE_TYPE_CODE = "381"
CURRENCY = "EUR"
PAYMENT_MEANS_SEPA_TRANSFER = "58"
KVK_SCHEME = "0106"
OIN_SCHEME = "0190"

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)


def ubl_xml(document: InvoiceDocument) -> bytes:
    """The Peppol BIS Billing 3.0 UBL file of `document`, UTF-8 with an XML declaration."""
    is_credit_note = document.kind == DocumentKind.CREDIT_NOTE
    root_ns = CREDIT_NOTE_NS if is_credit_note else INVOICE_NS
    # ElementTree's default_namespace option refuses unprefixed attributes (schemeID, currencyID), so the
    # root's default namespace is declared by hand; everything below it lives in cac/cbc.
    root = ET.Element("CreditNote" if is_credit_note else "Invoice", xmlns=root_ns)

    _add_header(root, document, is_credit_note=is_credit_note)
    _add_party(_sub(_sub(root, CAC, "AccountingSupplierParty"), CAC, "Party"), document, seller=True)
    _add_party(_sub(_sub(root, CAC, "AccountingCustomerParty"), CAC, "Party"), document, seller=False)
    _add_date(_sub(root, CAC, "Delivery"), "ActualDeliveryDate", document.delivery_date)
    if not is_credit_note:
        _add_payment_means(root, document)
    _add_tax_total(root, document)
    _add_monetary_total(root, document)
    for number, line in enumerate(document.lines, start=1):
        _add_line(root, number, line, is_credit_note=is_credit_note)

    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return XML_DECLARATION + body.encode("utf-8") + b"\n"


def _add_header(root: ET.Element, document: InvoiceDocument, *, is_credit_note: bool) -> None:
    _text(root, CBC, "CustomizationID", CUSTOMIZATION_ID)
    _text(root, CBC, "ProfileID", PROFILE_ID)
    _text(root, CBC, "ID", document.number)
    _add_date(root, "IssueDate", document.issue_date)
    if is_credit_note:
        # A CreditNote has no DueDate (nothing is due from the buyer); the example leaves it out too.
        _text(root, CBC, "CreditNoteTypeCode", CREDIT_NOTE_TYPE_CODE)
    else:
        _add_date(root, "DueDate", document.due_date)
        _text(root, CBC, "InvoiceTypeCode", INVOICE_TYPE_CODE)
    _text(root, CBC, "Note", document.note)
    _text(root, CBC, "DocumentCurrencyCode", CURRENCY)
    # PEPPOL-EN16931-R003 wants a buyer reference or an order reference; the number is the fallback.
    _text(root, CBC, "BuyerReference", document.order_reference or document.number)
    if document.order_reference:
        _text(_sub(root, CAC, "OrderReference"), CBC, "ID", document.order_reference)
    if is_credit_note and document.credited_invoice_number:
        reference = _sub(_sub(root, CAC, "BillingReference"), CAC, "InvoiceDocumentReference")
        _text(reference, CBC, "ID", document.credited_invoice_number)


def _add_party(party_element: ET.Element, document: InvoiceDocument, *, seller: bool) -> None:
    party: Party
    if seller:
        party = document.seller
        scheme, identifier = KVK_SCHEME, document.seller.kvk
    else:
        party = document.buyer
        scheme, identifier = OIN_SCHEME, document.buyer.oin
    _text(party_element, CBC, "EndpointID", identifier, schemeID=scheme)
    if not seller and identifier:
        _text(_sub(party_element, CAC, "PartyIdentification"), CBC, "ID", identifier, schemeID=scheme)
    _text(_sub(party_element, CAC, "PartyName"), CBC, "Name", party.name)
    address = _sub(party_element, CAC, "PostalAddress")
    _text(address, CBC, "StreetName", party.street)
    _text(address, CBC, "CityName", party.city)
    _text(address, CBC, "PostalZone", party.postcode)
    _text(_sub(address, CAC, "Country"), CBC, "IdentificationCode", party.country)
    if seller and document.seller.vat_id:
        tax_scheme = _sub(party_element, CAC, "PartyTaxScheme")
        _text(tax_scheme, CBC, "CompanyID", document.seller.vat_id)
        _text(_sub(tax_scheme, CAC, "TaxScheme"), CBC, "ID", "VAT")
    legal_entity = _sub(party_element, CAC, "PartyLegalEntity")
    _text(legal_entity, CBC, "RegistrationName", party.name)
    _text(legal_entity, CBC, "CompanyID", identifier, schemeID=scheme)
    if party.email:
        _text(_sub(party_element, CAC, "Contact"), CBC, "ElectronicMail", party.email)


def _add_payment_means(root: ET.Element, document: InvoiceDocument) -> None:
    means = _sub(root, CAC, "PaymentMeans")
    _text(means, CBC, "PaymentMeansCode", PAYMENT_MEANS_SEPA_TRANSFER)
    _text(means, CBC, "PaymentID", document.reference_for_payment)
    if document.seller.iban:
        _text(_sub(means, CAC, "PayeeFinancialAccount"), CBC, "ID", document.seller.iban)


def _add_tax_total(root: ET.Element, document: InvoiceDocument) -> None:
    tax_total = _sub(root, CAC, "TaxTotal")
    _amount(tax_total, "TaxAmount", document.vat_cents)
    for group in document.breakdown:
        subtotal = _sub(tax_total, CAC, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", group.taxable_cents)
        _amount(subtotal, "TaxAmount", group.vat_cents)
        category = _sub(subtotal, CAC, "TaxCategory")
        _text(category, CBC, "ID", group.category.value)
        _text(category, CBC, "Percent", str(group.percent))
        if group.category == VatCategory.EXEMPT:
            _text(category, CBC, "TaxExemptionReasonCode", EXEMPTION_REASON_CODE)
            _text(category, CBC, "TaxExemptionReason", EXEMPTION_REASON)
        _text(_sub(category, CAC, "TaxScheme"), CBC, "ID", "VAT")


def _add_monetary_total(root: ET.Element, document: InvoiceDocument) -> None:
    totals = _sub(root, CAC, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", document.net_cents)
    _amount(totals, "TaxExclusiveAmount", document.net_cents)
    _amount(totals, "TaxInclusiveAmount", document.gross_cents)
    _amount(totals, "PayableAmount", document.gross_cents)


def _add_line(root: ET.Element, number: int, line: Line, *, is_credit_note: bool) -> None:
    element = _sub(root, CAC, "CreditNoteLine" if is_credit_note else "InvoiceLine")
    _text(element, CBC, "ID", str(number))
    quantity_tag = "CreditedQuantity" if is_credit_note else "InvoicedQuantity"
    _text(element, CBC, quantity_tag, str(line.quantity), unitCode=line.unit_code)
    _amount(element, "LineExtensionAmount", line.net_cents)
    item = _sub(element, CAC, "Item")
    _text(item, CBC, "Name", line.description)
    category = _sub(item, CAC, "ClassifiedTaxCategory")
    _text(category, CBC, "ID", line.vat_category.value)
    _text(category, CBC, "Percent", str(line.vat_percent))
    _text(_sub(category, CAC, "TaxScheme"), CBC, "ID", "VAT")
    _amount(_sub(element, CAC, "Price"), "PriceAmount", line.unit_price_cents)


def _sub(parent: ET.Element, namespace: str, name: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{namespace}}}{name}")


def _text(parent: ET.Element, namespace: str, name: str, value: str, **attributes: str) -> None:
    """Add a leaf element, or nothing at all when the value is empty."""
    if value:
        ET.SubElement(parent, f"{{{namespace}}}{name}", attributes).text = value


def _amount(parent: ET.Element, name: str, cents: int) -> None:
    _text(parent, CBC, name, f"{Decimal(cents).scaleb(-2):.2f}", currencyID=CURRENCY)


def _add_date(parent: ET.Element, name: str, value: date) -> None:
    _text(parent, CBC, name, value.isoformat())
