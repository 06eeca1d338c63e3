"""The UBL file of invoices and credit notes: valid UBL 2.1, and the Peppol/Dutch rules of the checklist
in ../shared/einvoice/README.md, checked on our output and on the officially validated examples."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from peppol import check_rules
from peppol.xsd import SCHEMA_DIR

from invoicing.document import (
    EXEMPTION_REASON,
    EXEMPTION_REASON_CODE,
    DocumentKind,
    InvoiceDocument,
    Line,
    VatCategory,
)
from invoicing.ubl import ubl_xml
from tests.invoicing.documents import BUYER, SELLER, make_document
from tests.paths import SHARED_DATA

EINVOICE = SHARED_DATA.parent / "einvoice"
EXAMPLES = sorted(EINVOICE.glob("example-*.xml"))

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
AMOUNT = re.compile(r"-?\d+\.\d{2}")
ADDRESS_PARTS = ("cbc:StreetName", "cbc:CityName", "cbc:PostalZone", "cac:Country/cbc:IdentificationCode")
IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


# --- documents ----------------------------------------------------------------------------------------


def exempt_document() -> InvoiceDocument:
    return make_document(
        Line("Training Weerbaar Bestuur (CRKBO)", 1, 1250_00, VatCategory.EXEMPT, 0, "DAY"),
        order_reference="",
        note="",
    )


def mixed_document() -> InvoiceDocument:
    return make_document(
        Line("Werkboek", 17, 1_99, VatCategory.STANDARD, 21),
        Line("Koffie", 1, 2_50, VatCategory.STANDARD, 21),
        Line("Thee", 1, 2_50, VatCategory.STANDARD, 21),
        Line("Koek", 1, 2_50, VatCategory.STANDARD, 21),
        Line("Begeleiding", 3, 1_99, VatCategory.STANDARD, 21, "HUR"),
        Line("Lesmateriaal", 1, 12_34, VatCategory.STANDARD, 9),
        Line("Training", 7, 12_45, VatCategory.EXEMPT, 0, "HUR"),
        Line("Oefenkaart", 2, 33, VatCategory.EXEMPT, 0),
    )


def credit_note() -> InvoiceDocument:
    return make_document(
        kind=DocumentKind.CREDIT_NOTE,
        number="2026-C00007",
        issue_date=date(2026, 11, 30),
        note="Creditering factuur 2026-000123: training geannuleerd",
        credited_invoice_number="2026-000123",
    )


DOCUMENTS = {
    "standard": lambda: make_document(),
    "exempt": exempt_document,
    "mixed": mixed_document,
    "credit_note": credit_note,
}


# --- helpers ------------------------------------------------------------------------------------------


@cache
def ubl_schema(root_name: str) -> etree.XMLSchema:
    path = Path(SCHEMA_DIR) / "maindoc" / f"UBL-{root_name}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def parse(xml: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(xml, parser)


def xsd_errors(xml: bytes) -> list[str]:
    root = parse(xml)
    schema = ubl_schema(etree.QName(root).localname)
    schema.validate(root)
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def texts(root: etree._Element, path: str) -> list[str]:
    return [(node.text or "").strip() for node in root.xpath(path, namespaces=NS)]


def text(root: etree._Element, path: str) -> str:
    found = texts(root, path)
    return found[0] if len(found) == 1 else ""


def money(root: etree._Element, path: str) -> Decimal:
    return Decimal(text(root, path) or "NaN")


Require = Callable[[bool, str], None]


def rule_errors(xml: bytes) -> list[str]:
    """The checklist's business rules, each failure named by its rule ID."""
    root = parse(xml)
    is_credit_note = etree.QName(root).localname == "CreditNote"
    errors: list[str] = []

    def require(condition: bool, rule: str) -> None:
        if not condition:
            errors.append(rule)

    require(etree.QName(root).localname in {"Invoice", "CreditNote"}, "root")
    require(text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID, "BR-01 CustomizationID")
    require(text(root, "cbc:ProfileID") == PROFILE_ID, "PEPPOL-EN16931-R001 ProfileID")
    require(bool(text(root, "cbc:ID")), "BR-02 ID")
    require(bool(DATE.fullmatch(text(root, "cbc:IssueDate"))), "BR-03 IssueDate")
    if is_credit_note:
        require(text(root, "cbc:CreditNoteTypeCode") == "381", "BR-04 CreditNoteTypeCode 381")
        credited = text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")
        require(bool(credited), "NL-R-001 BillingRef")
    else:
        require(text(root, "cbc:InvoiceTypeCode") == "380", "BR-04 InvoiceTypeCode 380")
        require(bool(DATE.fullmatch(text(root, "cbc:DueDate"))), "NLCIUS DueDate")
    require(len(texts(root, "cbc:Note")) <= 1, "PEPPOL-EN16931-R002 one Note")
    require(text(root, "cbc:DocumentCurrencyCode") == "EUR", "BR-05 currency")
    require(set(root.xpath("//@currencyID")) == {"EUR"}, "PEPPOL-EN16931-R051 currencyID")
    require(
        bool(text(root, "cbc:BuyerReference") or text(root, "cac:OrderReference/cbc:ID")),
        "PEPPOL-EN16931-R003 BuyerReference/OrderReference",
    )

    seller = "cac:AccountingSupplierParty/cac:Party"
    require(root.xpath(f"{seller}/cbc:EndpointID/@schemeID", namespaces=NS) == ["0106"], "seller scheme")
    require(bool(re.fullmatch(r"\d{8}", text(root, f"{seller}/cbc:EndpointID"))), "seller KvK")
    require(
        root.xpath(f"{seller}/cac:PartyLegalEntity/cbc:CompanyID/@schemeID", namespaces=NS) == ["0106"],
        "NL-R-003 seller CompanyID",
    )
    require(
        bool(re.fullmatch(r"NL\d{9}B\d{2}", text(root, f"{seller}/cac:PartyTaxScheme/cbc:CompanyID"))),
        "BR-S-02/BR-E-02 seller VAT id",
    )
    buyer = "cac:AccountingCustomerParty/cac:Party"
    for path, rule in (
        (f"{buyer}/cbc:EndpointID", "buyer EndpointID"),
        (f"{buyer}/cac:PartyIdentification/cbc:ID", "buyer PartyIdentification"),
        (f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID", "NL-R-005 buyer CompanyID"),
    ):
        require(root.xpath(f"{path}/@schemeID", namespaces=NS) == ["0190"], f"{rule} scheme 0190")
        require(bool(re.fullmatch(r"\d{20}", text(root, path))), f"{rule} 20-digit OIN")
    for party, rule in ((seller, "NL-R-002 seller address"), (buyer, "NL-R-004 buyer address")):
        for part in ADDRESS_PARTS:
            require(bool(text(root, f"{party}/cac:PostalAddress/{part}")), f"{rule} {part}")
        require(bool(text(root, f"{party}/cac:PartyName/cbc:Name")), f"{rule} name")

    require(bool(DATE.fullmatch(text(root, "cac:Delivery/cbc:ActualDeliveryDate"))), "ActualDeliveryDate")
    if not is_credit_note:
        means = texts(root, "cac:PaymentMeans/cbc:PaymentMeansCode")
        require(means == ["58"], "NL-R-007/008 PaymentMeans 58")
        require(bool(text(root, "cac:PaymentMeans/cbc:PaymentID")), "PaymentID")
        iban = text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")
        require(bool(IBAN.fullmatch(iban)), "BR-50/BR-61 IBAN")

    require(all(AMOUNT.fullmatch(a) for a in texts(root, "//*[@currencyID]")), "two decimals")
    _check_vat(root, require)
    _check_totals(root, require, is_credit_note=is_credit_note)
    leaves = [e for e in root.iter("{*}*") if len(e) == 0]
    empty = [etree.QName(e).localname for e in leaves if not (e.text or "").strip()]
    require(not empty, f"PEPPOL-EN16931-R008 empty elements {empty}")
    return errors


def _check_vat(root: etree._Element, require: Require) -> None:
    require(len(root.xpath("cac:TaxTotal", namespaces=NS)) == 1, "one TaxTotal")
    subtotals = root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    keys = [(text(s, "cac:TaxCategory/cbc:ID"), text(s, "cac:TaxCategory/cbc:Percent")) for s in subtotals]
    require(len(keys) == len(set(keys)), "BR-CO-18 one TaxSubtotal per category and rate")
    lines = root.xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=NS)
    for subtotal, (category, percent) in zip(subtotals, keys, strict=True):
        taxable = money(subtotal, "cbc:TaxableAmount")
        lines_sum = sum(
            (
                money(line, "cbc:LineExtensionAmount")
                for line in lines
                if text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == category
                and Decimal(text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent")) == Decimal(percent)
            ),
            Decimal(0),
        )
        require(taxable == lines_sum, f"BR-{category}-08 taxable {category} {percent}")
        expected_vat = (taxable * Decimal(percent) / 100).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        require(money(subtotal, "cbc:TaxAmount") == expected_vat, f"BR-CO-17 VAT {category} {percent}")
        if category == "E":
            require(Decimal(percent) == 0, "BR-E-05 percent 0")
            require(bool(text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReasonCode")), "BR-E-10 reason code")
            require(bool(text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason")), "BR-E-10 reason")
    for line in lines:
        key = (
            text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
            text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        )
        require(key in keys, f"BR-CO-18 line category {key} has a TaxSubtotal")
    tax_sum = sum((money(s, "cbc:TaxAmount") for s in subtotals), Decimal(0))
    require(money(root, "cac:TaxTotal/cbc:TaxAmount") == tax_sum, "BR-CO-14 TaxAmount")


def _check_totals(root: etree._Element, require: Require, *, is_credit_note: bool) -> None:
    lines = root.xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=NS)
    require(len(lines) >= 1, "BR-16 a line")
    quantity_tag = "cbc:CreditedQuantity" if is_credit_note else "cbc:InvoicedQuantity"
    for line in lines:
        require(bool(text(line, "cbc:ID")), "BR-21 line ID")
        require(len(line.xpath(f"{quantity_tag}/@unitCode", namespaces=NS)) == 1, "BR-23 unitCode")
        price = money(line, "cac:Price/cbc:PriceAmount")
        require(price >= 0, "BR-27 price >= 0")
        amount = money(line, "cbc:LineExtensionAmount")
        require(amount == (Decimal(text(line, quantity_tag)) * price).quantize(Decimal("0.01")), "R120")
        require(bool(text(line, "cac:Item/cbc:Name")), "BR-25 item name")
        require(not is_credit_note or amount >= 0, "credit note positive amounts")
    total = "cac:LegalMonetaryTotal"
    line_sum = sum((money(line, "cbc:LineExtensionAmount") for line in lines), Decimal(0))
    tax = money(root, "cac:TaxTotal/cbc:TaxAmount")
    require(money(root, f"{total}/cbc:LineExtensionAmount") == line_sum, "BR-CO-10")
    exclusive = money(root, f"{total}/cbc:TaxExclusiveAmount")
    require(exclusive == money(root, f"{total}/cbc:LineExtensionAmount"), "BR-CO-13")
    require(money(root, f"{total}/cbc:TaxInclusiveAmount") == exclusive + tax, "BR-CO-15")
    payable = money(root, f"{total}/cbc:PayableAmount")
    require(payable == money(root, f"{total}/cbc:TaxInclusiveAmount"), "BR-CO-16")


# --- the validators work --------------------------------------------------------------------------------


def test_the_official_examples_are_there() -> None:
    assert [p.name for p in EXAMPLES] == [
        "example-creditnote.xml",
        "example-invoice-crkbo-exempt.xml",
        "example-invoice.xml",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_official_examples_pass_xsd_and_rule_checks(path: Path) -> None:
    xml = path.read_bytes()
    assert xsd_errors(xml) == []
    assert rule_errors(xml) == []


def test_xsd_check_catches_wrong_element_order() -> None:
    xml = (EINVOICE / "example-invoice.xml").read_bytes()
    due = b"  <cbc:DueDate>2026-12-23</cbc:DueDate>\n"
    type_code = b"  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\n"
    assert due + type_code in xml
    swapped = xml.replace(due + type_code, type_code + due)
    assert xsd_errors(swapped) != []


def test_a_buyer_without_oin_fails_the_rule_check() -> None:
    xml = ubl_xml(make_document(buyer=replace(BUYER, oin="")))
    errors = rule_errors(xml)
    assert "buyer EndpointID scheme 0190" in errors
    assert "NL-R-005 buyer CompanyID 20-digit OIN" in errors


def test_rule_check_catches_a_short_oin_and_a_missing_due_date() -> None:
    errors = rule_errors(ubl_xml(make_document(buyer=replace(BUYER, oin="1234567890000"))))
    assert "buyer EndpointID 20-digit OIN" in errors
    xml = (EINVOICE / "example-invoice.xml").read_bytes()
    assert "NLCIUS DueDate" in rule_errors(xml.replace(b"  <cbc:DueDate>2026-12-23</cbc:DueDate>\n", b""))


# --- our output ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_generated_xml_is_valid_ubl_and_follows_the_checklist(name: str) -> None:
    xml = ubl_xml(DOCUMENTS[name]())
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert xsd_errors(xml) == []
    assert rule_errors(xml) == []
    # A second, independent re-implementation of the published Peppol rules agrees.
    assert [str(f) for f in check_rules(xml) if f.severity == "fatal"] == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_same_document_gives_identical_bytes(name: str) -> None:
    assert ubl_xml(DOCUMENTS[name]()) == ubl_xml(DOCUMENTS[name]())


def test_standard_invoice_matches_the_example() -> None:
    root = parse(ubl_xml(make_document()))
    example = parse((EINVOICE / "example-invoice.xml").read_bytes())
    for path in (
        "cbc:ID",
        "cbc:IssueDate",
        "cbc:DueDate",
        "cbc:BuyerReference",
        "cac:OrderReference/cbc:ID",
        "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID",
        "cac:PaymentMeans/cbc:PaymentID",
        "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
        "cac:TaxTotal/cbc:TaxAmount",
        "cac:LegalMonetaryTotal/cbc:PayableAmount",
        "cac:InvoiceLine/cbc:LineExtensionAmount",
        "cac:InvoiceLine/cac:Price/cbc:PriceAmount",
    ):
        assert text(root, path) == text(example, path), path
    assert [etree.QName(e).localname for e in root] == [
        etree.QName(e).localname for e in example if etree.QName(e).localname != "PaymentTerms"
    ]


def test_exempt_invoice_has_category_e_with_reason_and_falls_back_to_number_as_buyer_reference() -> None:
    root = parse(ubl_xml(exempt_document()))
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert texts(root, f"{category}/cbc:ID") == ["E"]
    assert text(root, f"{category}/cbc:Percent") == "0"
    assert text(root, f"{category}/cbc:TaxExemptionReasonCode") == EXEMPTION_REASON_CODE
    assert text(root, f"{category}/cbc:TaxExemptionReason") == EXEMPTION_REASON
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "0.00"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1250.00"
    assert text(root, "cbc:BuyerReference") == "2026-000123"
    assert texts(root, "cac:OrderReference") == []
    assert texts(root, "cbc:Note") == []
    assert root.xpath("cac:InvoiceLine/cbc:InvoicedQuantity/@unitCode", namespaces=NS) == ["DAY"]


def test_mixed_invoice_rounds_vat_per_category_and_rate() -> None:
    document = mixed_document()
    root = parse(ubl_xml(document))
    subtotals = {
        (text(s, "cac:TaxCategory/cbc:ID"), text(s, "cac:TaxCategory/cbc:Percent")): (
            text(s, "cbc:TaxableAmount"),
            text(s, "cbc:TaxAmount"),
        )
        for s in root.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
    }
    # By hand: S 21 % = 33.83 + 3 × 2.50 + 5.97 = 47.30 → 9.933 → 9.93 (per line it would be 9.94);
    # S 9 % = 12.34 → 1.1106 → 1.11; E = 87.15 + 0.66 = 87.81, no VAT.
    assert subtotals == {
        ("E", "0"): ("87.81", "0.00"),
        ("S", "9"): ("12.34", "1.11"),
        ("S", "21"): ("47.30", "9.93"),
    }
    per_line_vat = sum((line.net_cents * 21 + 50) // 100 for line in document.lines if line.vat_percent == 21)
    assert per_line_vat == 994  # so the case really tells per-category from per-line rounding
    totals = "cac:LegalMonetaryTotal"
    assert text(root, f"{totals}/cbc:LineExtensionAmount") == "147.45"
    assert text(root, f"{totals}/cbc:TaxExclusiveAmount") == "147.45"
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "11.04"
    assert text(root, f"{totals}/cbc:TaxInclusiveAmount") == "158.49"
    assert text(root, f"{totals}/cbc:PayableAmount") == "158.49"
    assert texts(root, "cac:InvoiceLine/cbc:ID") == [str(n) for n in range(1, 9)]
    assert texts(root, "cac:InvoiceLine/cbc:LineExtensionAmount")[0] == "33.83"


def test_credit_note_refers_to_the_invoice_with_positive_amounts() -> None:
    root = parse(ubl_xml(credit_note()))
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "2026-000123"
    assert text(root, "cac:OrderReference/cbc:ID") == "4500012345"
    assert text(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == "10"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "1210.00"
    assert texts(root, "cbc:DueDate") == []
    assert texts(root, "cac:PaymentMeans") == []


def test_credit_note_without_credited_invoice_fails_the_rule_check() -> None:
    xml = ubl_xml(replace(credit_note(), credited_invoice_number=""))
    assert "NL-R-001 BillingRef" in rule_errors(xml)


def test_empty_optional_values_are_left_out() -> None:
    seller = replace(SELLER, email="")
    xml = ubl_xml(make_document(seller=seller, note="  ", order_reference=""))
    root = parse(xml)
    assert texts(root, "cbc:Note") == []
    assert texts(root, "cac:AccountingSupplierParty/cac:Party/cac:Contact") == []
    assert xsd_errors(xml) == []
    assert rule_errors(xml) == []
